import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closestName } from '../src/util/closest-name.js';
import { MAX_DURATION_MS, durationProblem, parseDuration } from '../src/util/duration.js';
import { problems, testPlugin } from './config-problems.js';
import { portProblem } from '../src/util/port-spec.js';
import { isPackageName } from '../src/plugins/package-name.js';

const plugin = testPlugin;

describe('durations every action can hold', () => {
  it('refuses 0, sub-second and over-100-year durations, and forever outside ban times', () => {
    expect(durationProblem(0, { forever: true })).toMatch(/lift every ban at once.*-1 for a permanent ban/);
    expect(durationProblem('500ms', { forever: false })).toMatch(/shorter than 1s/);
    expect(durationProblem('1000000000000y', { forever: true })).toMatch(/longer than 100y/);
    expect(durationProblem(1e308, { forever: true })).toMatch(/longer than 100y/);
    expect(durationProblem('9'.repeat(400), { forever: true })).toMatch(/longer than 100y/);
    expect(durationProblem(-1, { forever: false })).toMatch(/only for ban times/);
    expect(durationProblem('forever', { forever: false })).toMatch(/only for ban times/);
    expect(durationProblem('ten minutes', { forever: true })).toMatch(/expected a duration/);
    for (const ok of [1, '1s', '10m', '100y', -1, 'forever']) expect(durationProblem(ok, { forever: true })).toBeUndefined();
    expect(parseDuration('100y')).toBe(MAX_DURATION_MS);
  });
});

describe('ports as nftables and iptables take them', () => {
  const services = join(mkdtempSync(join(tmpdir(), 'services-')), 'services');
  writeFileSync(services, 'ssh\t\t22/tcp\t\t\t# SSH\nhttp\t\t80/tcp\t\twww\nms-sql-s\t1433/tcp\n');
  it('accepts numbers, ranges and known names (aliases too), refuses the rest', () => {
    for (const ok of ['22', '0', '65535', '8000:8100', 'ssh', 'www', 'ms-sql-s']) expect(portProblem(ok, services)).toBeUndefined();
    expect(portProblem('sshh', services)).toMatch(/not a service name/);
    expect(portProblem('SSH', services)).toMatch(/not a service name/); // getaddrinfo is case-sensitive
    expect(portProblem('65536', services)).toMatch(/0 to 65535/);
    expect(portProblem('8100:8000', services)).toMatch(/below the second/);
    expect(portProblem('8000:8000', services)).toMatch(/for one port write 8000/);
    expect(portProblem('ssh:100', services)).toMatch(/not a port/);
    expect(portProblem('22;reboot', services)).toMatch(/not a port/);
  });
});

describe('names and suggestions', () => {
  it('suggests the nearest installed id, and knows what may be an npm package', () => {
    expect(closestName('nftable', ['nftables', 'iptables', 'dry-run'])).toBe('nftables');
    expect(closestName('@portcullis/filter-sshdd', ['@portcullis/filter-sshd', '@portcullis/filter-apache'])).toBe('@portcullis/filter-sshd');
    expect(closestName('teleport', ['dry-run'])).toBeUndefined();
    expect(isPackageName('@portcullis/filter-sshd')).toBe(true);
    expect(isPackageName('portcullis-plugin-x')).toBe(true);
    for (const not of ['^Failed .* <HOST>', './plugin.mjs', '/abs/plugin.js', 'Upper', '']) expect(isPackageName(not)).toBe(false);
  });
});

describe('one pass over the whole config', () => {
  it('reports schema and composition problems together, each once, with bracketed indexes', async () => {
    const found = await problems({
      plugins: [plugin],
      defaults: { actions: ['dry-rn'] },
      jails: {
        a: { filter: 'demo', bantime: 0, ignoreip: ['10.0.0.0/33', '192.0.2.1', 'foo bar'] },
        b: { filter: 'dem', port: 'sshh' },
      },
    });
    expect(found).toEqual([
      'jails.a.bantime: 0 would lift every ban at once: use at least 1s, or -1 for a permanent ban',
      'jails.a.ignoreip[0]: "10.0.0.0/33" is not an IP address or CIDR network (host names are not allowed)',
      'jails.a.ignoreip[2]: "foo bar" is not an IP address or CIDR network (host names are not allowed)',
      'jails.b.port: "sshh" is not a service name in /etc/services (nftables and iptables would refuse it): use the port number',
      'defaults.actions[0]: unknown action "dry-rn"; did you mean "dry-run"? known actions: dry-run',
      'jails.b.filter: unknown filter "dem"; did you mean "demo"? known filters: demo',
    ]);
  });

  it('says a filter is named by its id when given a pattern, and a log folder is not a log file', async () => {
    const found = await problems({ plugins: [plugin], jails: { a: { filter: '^Failed .* <HOST>', logpath: [tmpdir()] } } });
    expect(found).toEqual([
      expect.stringMatching(/^jails\.a\.filter: unknown filter "\^Failed \.\* <HOST>" \(a filter is named by its id; patterns belong in a plugin\); known filters: demo$/),
      expect.stringMatching(/^jails\.a\.logpath\[0\]: .* is a folder: give the log file, or a glob such as .*\/\*\.log$/),
    ]);
  });
});
