// Every duration setting of a config, checked by the schema start and check-config share: a duration is
// accepted exactly from 1 s to 100 y, and -1 (forever) only where it means something, the ban time.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configSchema, formatIssues } from '../src/config/config-schema.js';
import { MAX_DURATION_MS, MIN_DURATION_MS } from '../src/util/duration.js';

/** Each duration setting: where it sits in a config, and whether forever (-1) is allowed there. */
const settings: { path: string[]; forever: boolean }[] = [
  { path: ['dbpurgeage'], forever: false },
  ...['defaults', 'jails.sshd'].flatMap((at) => {
    const base = at.split('.');
    return [
      { path: [...base, 'bantime'], forever: true },
      { path: [...base, 'findtime'], forever: false },
      { path: [...base, 'increment', 'maxtime'], forever: false },
      { path: [...base, 'subnet', 'findtime'], forever: false },
      { path: [...base, 'campaign', 'findtime'], forever: false },
      { path: [...base, 'campaign', 'duration'], forever: false },
    ];
  }),
];

/** A config with `value` at `path` (a jail `sshd` always exists). */
function configWith(path: readonly string[], value: unknown): Record<string, unknown> {
  const config: Record<string, unknown> = { jails: { sshd: { filter: 'sshd' } } };
  let at = config;
  for (const key of path.slice(0, -1)) {
    at[key] ??= {};
    at = at[key] as Record<string, unknown>;
  }
  at[path.at(-1)!] = value;
  return config;
}

function problems(config: unknown): string[] {
  const parsed = configSchema.safeParse(config);
  return parsed.success ? [] : formatIssues(parsed.error.issues);
}

const setting = fc.constantFrom(...settings);

describe('duration settings in the config', () => {
  it('accept exactly 1s to 100y, each refusal one line at its path', () => {
    const ms = fc.oneof(
      fc.integer({ min: 0, max: 3 * MIN_DURATION_MS }),
      fc.integer({ min: MAX_DURATION_MS - 3000, max: MAX_DURATION_MS + 3000 }),
      fc.integer({ min: 0, max: 2 * MAX_DURATION_MS }),
    );
    fc.assert(
      fc.property(setting, ms, fc.boolean(), ({ path }, n, asSeconds) => {
        const value = asSeconds && n % 1000 === 0 ? n / 1000 : `${n}ms`;
        const found = problems(configWith(path, value));
        if (n >= MIN_DURATION_MS && n <= MAX_DURATION_MS) expect(found).toEqual([]);
        else {
          expect(found).toHaveLength(1);
          expect(found[0]).toMatch(new RegExp(`^${path.join('\\.')}: ${JSON.stringify(value)} (?:is shorter than 1s|is longer than 100y|would lift every ban)`));
        }
      }),
      { numRuns: 300, endOnFailure: true },
    );
  });

  it('take forever (-1) for ban times only', () => {
    for (const { path, forever } of settings) {
      for (const value of [-1, '-1', 'forever']) {
        const found = problems(configWith(path, value));
        if (forever) expect(found, path.join('.')).toEqual([]);
        else expect(found).toEqual([`${path.join('.')}: ${JSON.stringify(value)} (forever) is only for ban times: use a duration like 600, 10m, 1h, 1d`]);
      }
    }
  });

  it('apply their documented defaults', () => {
    const parsed = configSchema.parse({ jails: { sshd: { filter: 'sshd', increment: {}, subnet: {}, campaign: {} } } });
    expect(parsed.dbpurgeage).toBe('7d');
    const jail = parsed.jails.sshd!;
    expect(jail.increment).toEqual({ enabled: true, factor: 2, maxtime: '1w', overalljails: false });
    expect(jail.subnet).toEqual({ ipv4: 24, ipv6: 48, maxretry: 20 });
    expect(jail.campaign).toEqual({ failures: 50, sources: 10, findtime: '10m', duration: '1h', maxretry: 1 });
  });
});
