import { describe, expect, it } from 'vitest';
import { banTarget, targetsOverlap } from '../src/index.js';

describe('banTarget', () => {
  it('gives the canonical address or network, host bits cleared', () => {
    expect(banTarget('192.0.2.7')).toMatchObject({ entry: '192.0.2.7', family: 4, network: false, prefix: 32 });
    expect(banTarget('2001:DB8:0:0::1')).toMatchObject({ entry: '2001:db8::1', family: 6, network: false, prefix: 128 });
    expect(banTarget('198.51.100.77/24')).toMatchObject({ entry: '198.51.100.0/24', network: true, prefix: 24 });
    expect(banTarget('2001:db8:aa:bb:1:2:3:4', 64)).toMatchObject({ entry: '2001:db8:aa:bb::/64', family: 6, network: true });
    expect(banTarget('192.0.2.7', 32)).toMatchObject({ entry: '192.0.2.7', network: false });
  });

  it('refuses what is not an address or a valid prefix, so it never reaches a firewall', () => {
    for (const bad of ['', 'example.com', '192.0.2.1; rm -rf /', '192.0.2.0/33', '2001:db8::/129', '192.0.2.1/-1', '::ffff:1.2.3.4.5']) {
      expect(banTarget(bad), bad).toBeUndefined();
    }
    expect(banTarget('192.0.2.1', 40)).toBeUndefined();
  });
});

describe('targetsOverlap', () => {
  const t = (s: string) => banTarget(s)!;
  it('is true when one target contains the other, in either order', () => {
    expect(targetsOverlap(t('10.0.0.0/8'), t('10.1.2.3'))).toBe(true);
    expect(targetsOverlap(t('10.1.2.3'), t('10.0.0.0/8'))).toBe(true);
    expect(targetsOverlap(t('10.231.5.0/30'), t('10.231.5.2/31'))).toBe(true);
    expect(targetsOverlap(t('2001:db8::/32'), t('2001:db8:ffff::1'))).toBe(true);
    expect(targetsOverlap(t('192.0.2.1'), t('192.0.2.1'))).toBe(true);
    // IPv4-mapped IPv6 is IPv4: the mapped /120 is 192.0.2.0/24, and it holds the plain address.
    expect(banTarget('::ffff:192.0.2.0/120')).toMatchObject({ entry: '192.0.2.0/24', family: 4 });
    expect(targetsOverlap(t('::ffff:192.0.2.0/120'), t('192.0.2.1'))).toBe(true);
  });
  it('is false for neighbours and across families', () => {
    expect(targetsOverlap(t('10.231.5.0/31'), t('10.231.5.2/31'))).toBe(false);
    expect(targetsOverlap(t('192.0.2.0/24'), t('192.0.3.1'))).toBe(false);
    expect(targetsOverlap(t('2001:db8::1'), t('::ffff:192.0.2.1'))).toBe(false);
    expect(targetsOverlap(t('2001:db8::/33'), t('2001:db8:8000::1'))).toBe(false);
  });
});
