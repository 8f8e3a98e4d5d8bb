// The findtime window as a jail applies it: a failure counts exactly while now - t < findtime. The
// reference is plain arithmetic over the failure times; the code under test is the path a log line takes
// (the jail's age check, its detection, the maxretry rule), not the failure tracker alone.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/compose/load-config.js';
import type { ComposedJail } from '../src/contract/composed-jail.js';
import { Detection } from '../src/jail/detection.js';
import { MaxretryDetector } from '../src/jail/maxretry-detector.js';
import { parseAddress } from '../src/util/ip-address.js';
import { silentLogger } from '../src/util/logger.js';
import { T0, makeJail } from './demo-jail.js';

const plugin = join(import.meta.dirname, 'fixtures/config/test-plugin.mjs');
const HOST = parseAddress('192.0.2.1')!;

/** Gaps between failures, with the window's edge (gap = findtime, findtime ± 1) as likely as any other gap. */
function gapsAround(findtime: number) {
  const edge = fc.constantFrom(findtime - 1, findtime, findtime + 1, 0);
  return fc.array(fc.oneof(edge, fc.integer({ min: 0, max: 3 * findtime })), { minLength: 1, maxLength: 30 });
}

/** One host's failures through `observe`, with an `expire` between failures, checked against the reference. */
function checkWindow(
  findtime: number,
  maxretry: number,
  steps: { gap: number; sweep: number }[],
  d: { observe(time: number): { failures: number } | undefined; expire(now: number): void; readonly size: number },
): void {
  let kept: number[] = [];
  let t = T0;
  for (const { gap, sweep } of steps) {
    // A sweep some time after the last failure: a host stays tracked while its newest failure is in the window.
    const at = t + Math.min(sweep, gap);
    d.expire(at);
    expect(d.size).toBe(kept.some((x) => at - x < findtime) ? 1 : 0);
    t += gap;
    kept = kept.filter((x) => t - x < findtime);
    kept.push(t);
    const verdict = d.observe(t);
    if (kept.length >= maxretry) {
      expect(verdict?.failures).toBe(kept.length);
      kept = [];
    } else {
      expect(verdict).toBeUndefined();
    }
  }
}

const steps = (findtime: number) =>
  gapsAround(findtime).chain((gaps) =>
    fc.tuple(...gaps.map((gap) => fc.record({ gap: fc.constant(gap), sweep: fc.oneof(fc.constantFrom(0, findtime - 1, findtime, gap), fc.nat({ max: gap })) }))),
  );

describe('the findtime window, through the detectors', () => {
  let base: ComposedJail;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'window-'));
    base = (await parseConfig({ plugins: [plugin], jails: { demo: { filter: 'demo', logpath: join(dir, 'demo.log') } } }, { dir })).jails[0]!;
  });

  it('MaxretryDetector: a failure counts exactly while now - t < findtime, and a sweep keeps a host exactly as long', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 100_000 }).chain((findtime) => fc.tuple(fc.constant(findtime), fc.integer({ min: 2, max: 6 }), steps(findtime))),
        ([findtime, maxretry, s]) => {
          const m = new MaxretryDetector({ findtime, maxretry }, undefined);
          checkWindow(findtime, maxretry, s, {
            observe: (time) => m.observe({ ip: HOST, key: HOST.canonical, user: undefined, time }),
            expire: (now) => m.expire(now),
            get size() {
              return m.size;
            },
          });
        },
      ),
      { numRuns: 400 },
    );
  });

  it('Detection: the same window for a jail configured with findtime and maxretry', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 100_000 }).chain((findtime) => fc.tuple(fc.constant(findtime), fc.integer({ min: 2, max: 6 }), steps(findtime))),
        ([findtime, maxretry, s]) => {
          const d = new Detection({ ...base, findtime, maxretry }, undefined, silentLogger, () => undefined);
          checkWindow(findtime, maxretry, s, {
            observe: (time) => d.observe({ ip: HOST, key: d.keyOf(HOST), user: undefined, time }),
            expire: (now) => d.expire(now),
            get size() {
              return d.size;
            },
          });
          d.close();
        },
      ),
      { numRuns: 400 },
    );
  });

  it('Detection: failures saved before a restart count back only while inside the window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 100_000 }).chain((findtime) =>
          fc.tuple(fc.constant(findtime), fc.array(fc.oneof(fc.constantFrom(0, 1, findtime - 1, findtime, findtime + 1), fc.nat({ max: 2 * findtime })), { maxLength: 6 })),
        ),
        ([findtime, ages]) => {
          // maxretry above any count here: the count shows how many saved failures came back.
          const maxretry = 10;
          const d = new Detection({ ...base, findtime, maxretry }, undefined, silentLogger, () => undefined);
          const now = T0 + 3 * findtime;
          d.restore(HOST.canonical, ages.map((a) => now - a), now);
          const inside = ages.filter((a) => a < findtime).length;
          expect(d.snapshot()).toEqual(inside ? [{ host: HOST.canonical, times: ages.filter((a) => a < findtime).map((a) => now - a).sort((x, y) => x - y) }] : []);
          d.close();
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the findtime window, at the jail', () => {
  it('a line dated age ms before now counts (and with maxretry 1 bans) exactly when age < findtime', async () => {
    const findtime = 600_000;
    const { jail, fail } = await makeJail({ maxretry: 1, findtime: '10m', bantime: '1h' }, { now: () => T0 });
    await jail.start();
    let n = 0;
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(0, 1, findtime - 1, findtime, findtime + 1), fc.nat({ max: 2 * findtime })), (age) => {
        n++;
        const host = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
        const failed = jail.totalFailed;
        fail(host, T0 - age);
        expect(jail.totalFailed - failed).toBe(age < findtime ? 1 : 0);
        expect(jail.isBanned(host)).toBe(age < findtime);
      }),
      { numRuns: 500 },
    );
    await jail.stop();
  });
});
