import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** dist/portcullis.service: systemd accepts it as it is, and it keeps the hardening the README describes. */
const unit = join(resolve(import.meta.dirname, '..'), 'dist/portcullis.service');
const analyze = (() => {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!analyze && process.env.CI !== 'true') console.warn('skipping systemd-analyze verify of dist/portcullis.service: systemd-analyze not found (apt-get install systemd)');

/** Every value of `key` in the unit's [Service] section, in order. */
function directive(key: string): string[] {
  const service = readFileSync(unit, 'utf8').split(/^\[Service\]$/m)[1]?.split(/^\[/m)[0] ?? '';
  return [...service.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => (m[1] ?? '').trim());
}

describe('systemd unit', () => {
  it.skipIf(!analyze && process.env.CI !== 'true')('passes systemd-analyze verify without a warning', () => {
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', timeout: 60_000 });
    expect({ status: r.status, output: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, output: '' });
  });

  it('runs with the least privilege that still bans', () => {
    expect(directive('CapabilityBoundingSet')).toEqual(['CAP_NET_ADMIN CAP_NET_RAW CAP_DAC_READ_SEARCH']);
    expect(directive('AmbientCapabilities')).toEqual(['']);
    expect(directive('NoNewPrivileges')).toEqual(['yes']);
    expect(directive('ProtectSystem')).toEqual(['strict']);
    expect(directive('ReadWritePaths')).toEqual(['/var/lib/portcullis /run/portcullis -/run/xtables.lock']);
    expect(directive('ProtectHome')).toEqual(['read-only']);
    expect(directive('PrivateTmp')).toEqual(['yes']);
    expect(directive('RuntimeDirectory')).toEqual(['portcullis']);
    expect(directive('StateDirectory')).toEqual(['portcullis']);
    // The state and socket paths of the shipped config are the folders the unit makes writable.
    const config = readFileSync(join(unit, '../portcullis.config.yaml'), 'utf8');
    expect(config).toMatch(/^database: \/var\/lib\/portcullis\//m);
    expect(config).toMatch(/^socket: \/run\/portcullis\//m);
  });
});
