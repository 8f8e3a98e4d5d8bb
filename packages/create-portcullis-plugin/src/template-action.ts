import type { PluginNames } from './plugin-names.js';

/** `src/index.ts` of a new action plugin: a working example that keeps a block-list file. */
export function actionSource(n: PluginNames): string {
  return `import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { defineAction, definePlugin, parseAddress } from '@portcullis/core';
import { z } from '@portcullis/core/schema';

/** Options, validated when the config is loaded; defaults are applied before create() sees them. */
const options = z
  .object({
    /** The block-list file, one address per line (relative paths resolve from the config folder). */
    file: z.string().min(1).default('blocklist.txt'),
  })
  .strict();

/**
 * Example action: keeps a block-list file that another system (a proxy, a cloud firewall sync job) reads.
 * Every method takes a batch of tickets and is idempotent. Replace the body with calls to your API.
 */
export const ${n.identifier} = defineAction({
  id: '${n.id}',
  description: 'Keep banned addresses in a block-list file',
  options,
  create(opts, ctx) {
    const file = resolve(ctx.configDir, opts.file);
    const read = async (): Promise<string[]> => {
      try {
        return (await readFile(file, 'utf8')).split('\\n').filter(Boolean);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    };
    // Defence in depth: only validated, canonical addresses leave the action.
    const addresses = (tickets: readonly { ip: string }[]) =>
      tickets.map((t) => parseAddress(t.ip)?.canonical).filter((ip): ip is string => ip !== undefined);
    return {
      async start() {
        await appendFile(file, '');
      },
      async ban(tickets) {
        const current = new Set(await read());
        const added = addresses(tickets).filter((ip) => !current.has(ip));
        if (added.length) await appendFile(file, \`\${[...new Set(added)].join('\\n')}\\n\`);
        ctx.logger.debug({ added: added.length }, 'block-list updated');
      },
      async unban(tickets) {
        const gone = new Set(addresses(tickets));
        const kept = (await read()).filter((ip) => !gone.has(ip));
        await writeFile(file, kept.length ? \`\${kept.join('\\n')}\\n\` : '');
      },
      async check() {
        return (await read().then(() => true, () => false));
      },
      async stop() {},
    };
  },
});

export default definePlugin({ name: '${n.packageName}', actions: [${n.identifier}] });
`;
}

/** The action's vitest test, using the test kit's contract checks against a temp folder. */
export function actionTest(n: PluginNames): string {
  return `import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkActionContract } from '@portcullis/testkit';
import { describe, expect, it } from 'vitest';
import plugin, { ${n.identifier} } from '../src/index.js';

describe('${n.id} action', () => {
  it('is exported by the plugin', () => {
    expect(plugin.actions.map((a) => a.id)).toEqual(['${n.id}']);
  });

  it('keeps the start/ban/unban/stop contract', async () => {
    const dir = mkdtempSync(join(tmpdir(), '${n.id}-'));
    const file = join(dir, 'blocklist.txt');
    const result = await checkActionContract(${n.identifier}, {
      options: { file },
      configDir: dir,
      isBanned: (ip) => readFileSync(file, 'utf8').split('\\n').includes(ip),
    });
    expect(result.errors).toEqual([]);
  });
});
`;
}
