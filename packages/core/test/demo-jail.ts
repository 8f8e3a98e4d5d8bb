import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/compose/load-config.js';
import { AddressMatcher } from '../src/jail/address-matcher.js';
import { Jail } from '../src/jail/jail.js';
import { LineParser } from '../src/parsing/line-parser.js';
import { MemoryBanStore } from '../src/store/memory-store.js';
import { silentLogger } from '../src/util/logger.js';

// A jail of the test plugin's `demo` filter, in-process, on a clock the test sets, with the dry-run action
// recording what it was asked; `fail(ip, at)` feeds it one failure line dated `at`.
const plugin = join(import.meta.dirname, 'fixtures/config/test-plugin.mjs');
export const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

export async function makeJail(
  jail: Record<string, unknown>,
  options: { store?: MemoryBanStore; now?: () => number; name?: string } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'jail-'));
  const name = options.name ?? 'demo';
  const loaded = await parseConfig(
    {
      plugins: [plugin],
      jails: {
        [name]: {
          filter: 'demo',
          logpath: join(dir, 'demo.log'),
          actions: [{ id: 'dry-run', options: { file: join(dir, 'events.jsonl'), restoreEvents: true } }],
          ...jail,
        },
      },
    },
    { dir },
  );
  const store = options.store ?? new MemoryBanStore();
  const clock = { now: T0 };
  const now = options.now ?? (() => clock.now);
  const instance = new Jail(loaded.jails[0]!, {
    store,
    logger: silentLogger,
    events: {},
    now,
    configDir: dir,
    ignore: new AddressMatcher([]),
    resolveHost: async () => [],
    historyWindow: 7 * 86_400_000,
  });
  const parser = new LineParser({ now });
  const fail = (ip: string, at = now()) =>
    instance.process(parser.parse(`${new Date(at).toISOString()} host demo[1]: auth failure from ${ip}`), 0);
  const events = () => {
    const text = (() => {
      try {
        return readFileSync(join(dir, 'events.jsonl'), 'utf8');
      } catch {
        return '';
      }
    })();
    return text.trim()
      ? text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];
  };
  return { jail: instance, store, clock, fail, events, dir };
}
