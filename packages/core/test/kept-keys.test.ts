import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CampaignDetector } from '../src/jail/campaign-detector.js';
import { OrderedHostMap } from '../src/jail/ordered-host-map.js';
import { SuccessfulLogins } from '../src/jail/successful-logins.js';
import { parseAddress } from '../src/util/ip-address.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const WINDOW = 64 * 1024;

/**
 * `value` as a reader hands it on: a slice of the text of the whole read it came from (V8 keeps a view into
 * that text, not a copy, for slices of 13 characters or more).
 */
function inText(value: string): string {
  const text = Buffer.from(`${'x'.repeat(WINDOW)} ${value} `, 'latin1').toString('latin1');
  return text.slice(WINDOW + 1, WINDOW + 1 + value.length);
}

/** The address `2001:db8:aaaa:bbbb::<i + 1>`, cut from a text of its own. */
function addressInText(i: number): string {
  return inText(`2001:db8:aaaa:bbbb::${(i + 1).toString(16)}`);
}

/** Heap bytes still used after `keep` stored 400 addresses, each cut from a 64 KiB text, and a full GC. */
function heldBy(keep: (address: string) => void): number {
  // Texts this long are held outside the heap (external strings): both count.
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  gc();
  const before = used();
  for (let i = 0; i < 400; i++) keep(addressInText(i));
  gc();
  return used() - before;
}

describe('host keys kept for long', () => {
  // 400 texts of 64 KiB are 25 MiB: a table that kept the slices would hold them all.
  it('successful logins keep a copy of each host, not the text it was read from', () => {
    const logins = new SuccessfulLogins();
    expect(heldBy((a) => logins.add(a, 1))).toBeLessThan(4 * 1024 * 1024);
    expect(logins.size).toBe(400);
  });

  it('the host map keeps a copy of a key that is not IPv4', () => {
    const map = new OrderedHostMap();
    expect(heldBy((a) => map.set(a, 1))).toBeLessThan(4 * 1024 * 1024);
    expect(map.size).toBe(400);
  });

  it('a campaign keeps copies of the names it follows and of their sources', () => {
    const campaigns = new CampaignDetector(
      { failures: 10, sources: 1000, findtime: 3_600_000, duration: 3_600_000, maxretry: 3 },
      'sshd',
      { exempt: () => false, exemptNetwork: () => false, onCampaign: () => {} },
    );
    // Each failure names a user: a slice of its line's text, like the address.
    const held = heldBy((a) => campaigns.observe({ ip: parseAddress(a)!, key: a, user: inText(`user-${a}`), time: 1 }));
    expect(held).toBeLessThan(4 * 1024 * 1024);
  });

  it('the control: a Map of the slices keeps every text alive', () => {
    const map = new Map<string, number>();
    expect(heldBy((a) => map.set(a, 1))).toBeGreaterThan(20 * 1024 * 1024);
  });
});
