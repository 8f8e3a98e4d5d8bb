import { access, open, readFile, realpath } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import {
  type ActionContext,
  type ActionInstance,
  type BanTicket,
  defineAction,
  parseNetwork,
  targetParts,
} from '@portcullis/core';
import { denyLine, denyNetworkLine, editBlock, ownedLines } from './deny-block.js';
import { withFileLock } from './file-lock.js';
import { type HostsDenyOptions, hostsDenyOptions } from './options.js';
import { rewriteFile } from './rewrite-file.js';

const JAIL_NAME = /^[A-Za-z0-9_.-]+$/;

/** The hosts.deny lines for a batch (addresses and networks), invalid targets skipped and logged (defence in depth). */
function linesFor(tickets: readonly BanTicket[], daemons: string, ctx: ActionContext): Map<string, string> {
  const lines = new Map<string, string>();
  for (const ticket of tickets) {
    const parts = targetParts(ticket.ip);
    if (!parts) {
      ctx.logger.warn({ ip: ticket.ip }, 'hostsdeny: skipping a ticket whose address is not valid');
      continue;
    }
    const { address, prefix, family } = parts;
    const whole = prefix === (family === 4 ? 32 : 128);
    lines.set(parseNetwork(ticket.ip)!.canonical, whole ? denyLine(daemons, address, family) : denyNetworkLine(daemons, address, prefix, family));
  }
  return lines;
}

/** Build one jail's `hostsdeny` action instance. */
export function createHostsDeny(options: HostsDenyOptions, ctx: ActionContext): ActionInstance {
  const jail = ctx.jail.name;
  if (!JAIL_NAME.test(jail))
    throw new Error(`hostsdeny: jail name ${JSON.stringify(jail)} is not [A-Za-z0-9_.-]+`);
  const file = isAbsolute(options.file) ? options.file : resolve(ctx.configDir, options.file);
  const { daemons, mode } = options;
  /** Lines we have written and expect to find (what `check` verifies). */
  const expected = new Map<string, string>();
  const change = async (edit: Parameters<typeof editBlock>[3]) => {
    // Follow a symlink so that the rename replaces the real file, not the link.
    const target = await realpath(file).catch(() => file);
    await withFileLock(target, options.lockTimeout, () =>
      rewriteFile(target, mode, (text) => editBlock(text, jail, daemons, edit).text),
    );
  };

  return {
    async start() {
      // Create the file if missing, never truncate it (flag 'a' keeps the content and inode).
      const handle = await open(file, 'a', 0o644);
      await handle.close();
    },
    async stop() {
      if (options.keepBansOnStop) return;
      await change({ removeAll: true, dropEmptyBlock: true });
      expected.clear();
    },
    async ban(tickets) {
      const lines = linesFor(tickets, daemons, ctx);
      if (lines.size === 0) return;
      await change({ add: [...lines.values()] });
      for (const [ip, line] of lines) expected.set(ip, line);
    },
    async unban(tickets) {
      const lines = linesFor(tickets, daemons, ctx);
      if (lines.size === 0) return;
      await change({ remove: [...lines.values()], dropEmptyBlock: true });
      for (const ip of lines.keys()) expected.delete(ip);
    },
    async flush() {
      await change({ removeAll: true, dropEmptyBlock: true });
      expected.clear();
    },
    async check() {
      try {
        await access(file);
      } catch {
        return false;
      }
      const owned = ownedLines(await readFile(file, 'utf8'), jail, daemons);
      for (const line of expected.values()) if (!owned.has(line)) return false;
      return true;
    },
  };
}

/** The `hostsdeny` action definition. */
export const hostsDenyAction = defineAction({
  id: 'hostsdeny',
  description: 'Deny banned addresses through TCP wrappers (/etc/hosts.deny), rewriting the file atomically.',
  options: hostsDenyOptions,
  create: createHostsDeny,
});
