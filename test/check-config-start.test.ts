import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, missingBuild, repoTempDir, runCli } from './daemon-process.js';

/**
 * check-config is start's validation: every bad config below is refused by `check-config` and by `start`
 * (the built CLI, real processes) with the same problem lines, one per mistake, each with its path. A
 * config that passes check-config is not tested here: the other daemon suites start valid ones.
 */
const unbuilt = missingBuild(['plugins/filter-sshd', 'plugins/action-nftables']);
let dir = '';

/** `start` until it exits (a refused config exits at once; a started daemon would be killed at the deadline). */
function start(config: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cliPath, 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => (stderr += d));
    const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(deadline);
      done({ code, stderr });
    });
  });
}

/** The problem lines of an error report: `  path: message`. */
function problemLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^ {2}\S/.test(l) && !l.startsWith('  hint:')).map((l) => l.trim());
}

const sshd = (extra: Record<string, unknown>) => ({
  plugins: ['@portcullis/filter-sshd', '@portcullis/action-nftables'],
  socket: './p.sock',
  database: './state.db',
  jails: { sshd: { filter: 'sshd', logpath: './auth.log', ...extra } },
});

/** Each case: a config (object → JSON, string → YAML as written) and the lines both commands must print. */
const cases: { name: string; config: unknown; lines: (string | RegExp)[]; hint?: RegExp | undefined; noHint?: RegExp }[] = [
  {
    name: 'addresses in ignoreip',
    config: sshd({ ignoreip: ['10.0.0.0/33', 'foo bar', '192.0.2.0/24'] }),
    lines: [
      'jails.sshd.ignoreip[0]: "10.0.0.0/33" is not an IP address or CIDR network (host names are not allowed)',
      'jails.sshd.ignoreip[1]: "foo bar" is not an IP address or CIDR network (host names are not allowed)',
    ],
  },
  { name: 'a port name nft cannot resolve', config: sshd({ port: 'sshh' }), lines: [/^jails\.sshd\.port: "sshh" is not a service name in \/etc\/services/] },
  { name: 'a port out of range', config: sshd({ port: [22, 70000] }), lines: ['jails.sshd.port[1]: a port is 0 to 65535'] },
  { name: 'a reversed port range', config: sshd({ port: '8100:8000' }), lines: [/^jails\.sshd\.port: "8100:8000" is not a port range/] },
  { name: 'bantime 0', config: sshd({ bantime: 0 }), lines: ['jails.sshd.bantime: 0 would lift every ban at once: use at least 1s, or -1 for a permanent ban'] },
  {
    name: 'durations no firewall holds',
    config: { ...sshd({ bantime: '1000000000000y', findtime: 1e308, increment: { maxtime: -1 } }), dbpurgeage: '0s' },
    lines: [
      /^dbpurgeage: "0s" is shorter than 1s/,
      /^jails\.sshd\.bantime: "1000000000000y" is longer than 100y/,
      /^jails\.sshd\.findtime: 1e\+308 is longer than 100y/,
      /^jails\.sshd\.increment\.maxtime: -1 \(forever\) is only for ban times/,
    ],
  },
  { name: 'action options', config: sshd({ actions: [{ id: 'nftables', options: { priority: 1000, family: 'ipx' } }] }), lines: [/^jails\.sshd\.actions\[0\]\.options\.family: /, /^jails\.sshd\.actions\[0\]\.options\.priority: /] },
  { name: 'filter options', config: sshd({ filter: { id: 'sshd', options: { mode: 'paranoid' } } }), lines: [/^jails\.sshd\.filter\.options: .*mode.*paranoid/] },
  {
    name: 'unknown ids with a suggestion',
    config: sshd({ filter: 'sshd-x', actions: ['nftable'] }),
    lines: [/^jails\.sshd\.filter: unknown filter "sshd-x"; did you mean "sshd"\?/, /^jails\.sshd\.actions\[0\]: unknown action "nftable"; did you mean "nftables"\?/],
  },
  {
    name: 'a missing plugin package',
    config: { ...sshd({}), plugins: ['@portcullis/filter-sshdd', '@portcullis/action-nftables'] },
    lines: [/^plugins\[0\]: plugin @portcullis\/filter-sshdd is not installed; looked in .*; did you mean "@portcullis\/filter-sshd"\?$/],
    hint: /^ {2}hint: install it beside portcullis \(npm install -g @portcullis\/filter-sshdd\)/m,
  },
  {
    name: 'plugins that are not package names get no npm hint',
    config: { ...sshd({}), plugins: ['@portcullis/filter-sshd', '^Failed .* <HOST>', './no-such-plugin.mjs'] },
    lines: ['plugins[1]: plugin "^Failed .* <HOST>" is neither an npm package name nor a path', /^plugins\[2\]: plugin file .*no-such-plugin\.mjs does not exist$/],
    noHint: /npm install/,
  },
  { name: 'a log path that is a folder', config: sshd({ logpath: ['./auth.log', '.'] }), lines: [/^jails\.sshd\.logpath\[1\]: .* is a folder: give the log file, or a glob/] },
  {
    name: 'three mistakes, three lines',
    config: sshd({ ignoreip: ['10.0.0.0/33'], port: 'sshh', filter: 'sshdd' }),
    lines: [/^jails\.sshd\.ignoreip\[0\]: /, /^jails\.sshd\.port: /, /^jails\.sshd\.filter: unknown filter "sshdd"; did you mean "sshd"\?/],
  },
  { name: 'YAML syntax', config: 'jails:\n  sshd:\n    filter: sshd\n  sshd:\n    filter: sshd\n', lines: ['(file): YAML syntax error: duplicated mapping key (4:3)'] },
];

describe('check-config refuses what start refuses, every problem at once', () => {
  beforeAll(() => {
    if (unbuilt) throw new Error(unbuilt);
    dir = repoTempDir('check-config');
    writeFileSync(join(dir, 'auth.log'), '');
  });

  afterAll(() => {
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it.each(cases)('$name', async ({ name, config, lines, hint, noHint }) => {
    const caseDir = join(dir, name.replace(/\W+/g, '-'));
    mkdirSync(caseDir, { recursive: true });
    writeFileSync(join(caseDir, 'auth.log'), '');
    const file = join(caseDir, typeof config === 'string' ? 'portcullis.config.yaml' : 'portcullis.config.json');
    writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
    const checked = await runCli(['check-config', '--config', file]);
    const started = await start(file);
    expect(checked.code, checked.stderr).toBe(2);
    expect(started.code, started.stderr).toBe(2);
    const fromCheck = problemLines(checked.stderr);
    // The same lines, in the same order, from both commands.
    expect(problemLines(started.stderr)).toEqual(fromCheck);
    expect(fromCheck).toHaveLength(lines.length);
    for (const [i, want] of lines.entries()) {
      if (typeof want === 'string') expect(fromCheck[i]).toBe(want);
      else expect(fromCheck[i]).toMatch(want);
    }
    if (hint) expect(checked.stderr).toMatch(hint);
    if (noHint) expect(checked.stderr).not.toMatch(noHint);
  });

  it('keeps the JSON parser\'s reason with line and column', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{\n  "jails": {\n    ,\n  }\n}\n');
    const checked = await runCli(['check-config', '--config', file]);
    const started = await start(file);
    expect(checked.code).toBe(2);
    expect(started.code).toBe(2);
    expect(checked.stderr).toMatch(/JSON syntax error: .+ \(3:5\)/);
    expect(started.stderr).toContain(checked.stderr.split('\n')[0]!.replace(/^portcullis: /, ''));
  });
});
