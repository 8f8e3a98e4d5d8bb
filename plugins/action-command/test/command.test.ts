import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ActionInstance, silentLogger } from '@portcullis/core';
import { checkActionContract, makeTicket } from '@portcullis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';

const definition = plugin.actions[0]!;
const node = process.execPath;
let dir: string;
let recorder: string;
let state: string;
const pwned = join(tmpdir(), `pcl-pwned-${process.pid}`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pcl-command-'));
  recorder = join(dir, 'record.mjs');
  // Appends one JSON record per run: its argv, stdin, cwd and one env variable.
  await writeFile(
    recorder,
    `import { appendFileSync, readFileSync } from 'node:fs';
     const stdin = readFileSync(0, 'utf8');
     appendFileSync(process.env.RECORD, JSON.stringify({ argv: process.argv.slice(2), stdin, cwd: process.cwd(), pid: process.pid, extra: process.env.EXTRA ?? null }) + '\\n');
     if (process.argv.includes('--fail')) { process.stderr.write('block: cannot talk to the firewall\\n'); process.exit(3); }`,
  );
  state = join(dir, 'state.mjs');
  // A tiny "firewall": a JSON set of addresses in a file; add/del are idempotent.
  await writeFile(
    state,
    `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
     const [op, file, ip] = process.argv.slice(2);
     const set = new Set(existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : []);
     if (op === 'add') set.add(ip); else if (op === 'del') set.delete(ip); else if (op === 'check') process.exit(existsSync(file) ? 0 : 1);
     else if (op === 'init') {} else if (op === 'drop') { writeFileSync(file, '[]'); process.exit(0); }
     writeFileSync(file, JSON.stringify([...set]));`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(pwned, { force: true });
});

async function validate(
  options: unknown,
): Promise<{ value?: unknown; issues?: readonly { message: string }[] }> {
  return definition.options!['~standard'].validate(options) as never;
}

async function create(options: Record<string, unknown>, jail = 'sshd'): Promise<ActionInstance> {
  const result = await validate(options);
  if (result.issues) throw new Error(result.issues.map((i) => i.message).join('; '));
  return definition.create(result.value, {
    jail: { name: jail, ports: [], protocol: 'tcp', bantime: 600_000 },
    logger: silentLogger,
    configDir: dir,
    dryRun: false,
  });
}

async function records(
  file: string,
): Promise<{ argv: string[]; stdin: string; cwd: string; pid: number; extra: string | null }[]> {
  if (!existsSync(file)) return [];
  return (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('command action', () => {
  it('keeps the action contract with real programs, observed in their state file', async () => {
    const file = join(dir, 'contract.json');
    const isBanned = async (ip: string) =>
      existsSync(file) && (JSON.parse(await readFile(file, 'utf8')) as string[]).includes(ip);
    const result = await checkActionContract(definition, {
      configDir: dir,
      isBanned,
      options: {
        start: [node, state, 'init', file],
        ban: [node, state, 'add', file, '{ip}'],
        unban: [node, state, 'del', file, '{ip}'],
        check: [node, state, 'check', file],
      },
    });
    expect(result.errors).toEqual([]);
  });

  it('passes attacker text as literal argv elements: nothing is executed', async () => {
    const out = join(dir, 'literal.jsonl');
    const action = await create({
      ban: [
        node,
        recorder,
        '{ip}',
        '--user={user}',
        '{matches}',
        '{jail}:{failures}:{bantime}:{banCount}:{family}:{{literal}}',
      ],
      env: { RECORD: out },
    });
    const hostile = [
      `$(touch ${pwned})`,
      `; touch ${pwned}`,
      `\`touch ${pwned}\``,
      `| touch ${pwned} && echo`,
      `'"\\ \n${pwned}`,
    ];
    const ticket = makeTicket('2001:DB8::7', 'sshd', {
      users: [hostile[0]!],
      matches: hostile,
      failures: 3,
      banCount: 2,
      bantime: 90_000,
    });
    await action.ban([ticket]);
    const [rec] = await records(out);
    expect(rec!.argv).toEqual([
      '2001:db8::7',
      `--user=${hostile[0]}`,
      hostile.join('\n'),
      'sshd:3:90:2:6:{literal}',
    ]);
    expect(existsSync(pwned)).toBe(false);
  });

  it('refuses a command string at config load and explains argv arrays', async () => {
    const result = await validate({ ban: '/usr/local/bin/block {ip}' });
    expect(result.issues?.map((i) => i.message).join('\n')).toMatch(/argv array.*never runs a shell/s);
  });

  it('refuses unknown placeholders and a missing ban command', async () => {
    expect((await validate({ ban: ['/bin/true', '{ipaddr}'] })).issues?.[0]?.message).toMatch(
      /unknown placeholder \{ipaddr\}/,
    );
    expect(
      (await validate({ ban: ['/bin/true'], start: ['/bin/true', '{ip}'] })).issues?.[0]?.message,
    ).toMatch(/unknown placeholder \{ip\}/);
    expect((await validate({ unban: ['/bin/true'] })).issues?.[0]?.message).toMatch(/ban is required/);
    expect((await validate({ module: './x.js', ban: ['/bin/true'] })).issues?.[0]?.message).toMatch(
      /either module or ban/,
    );
  });

  it('runs one program per ticket, up to `concurrency` at once', async () => {
    const out = join(dir, 'per-ticket.jsonl');
    const action = await create({ ban: [node, recorder, '{ip}'], env: { RECORD: out }, concurrency: 8 });
    const tickets = Array.from({ length: 40 }, (_, i) => makeTicket(`198.51.100.${i + 1}`));
    await action.ban(tickets);
    const recs = await records(out);
    expect(recs.map((r) => r.argv[0]).sort()).toEqual(tickets.map((t) => t.ip).sort());
  });

  it('batch.stdin runs one program for the whole batch, one line per ticket', async () => {
    const out = join(dir, 'batch.jsonl');
    const action = await create({
      ban: [node, recorder, '--jail', '{jail}', '--count', '{count}'],
      unban: [node, recorder, 'unban', '{count}'],
      batch: { stdin: true, line: '{ip} {bantime} {user}' },
      env: { RECORD: out },
    });
    const tickets = Array.from({ length: 2000 }, (_, i) =>
      makeTicket(i % 2 ? `10.9.${i >> 8}.${i & 255}` : `2001:db8::${i.toString(16)}`, 'sshd', {
        users: ['evil\nALL'],
      }),
    );
    const started = performance.now();
    await action.ban(tickets);
    const ms = performance.now() - started;
    await action.unban(tickets.slice(0, 10));
    const recs = await records(out);
    expect(recs).toHaveLength(2);
    expect(recs[0]!.argv).toEqual(['--jail', 'sshd', '--count', '2000']);
    const lines = recs[0]!.stdin.split('\n');
    expect(lines).toHaveLength(2001);
    expect(lines[1]).toBe(`${tickets[1]!.ip} 600 evil ALL`);
    expect(recs[1]!.argv).toEqual(['unban', '10']);
    console.info(`command: batch of 2000 bans through one process took ${ms.toFixed(0)} ms`);
  });

  it('reports a non-zero exit with the program stderr, and a missing program clearly', async () => {
    const out = join(dir, 'fail.jsonl');
    const failing = await create({ ban: [node, recorder, '--fail', '{ip}'], env: { RECORD: out } });
    await expect(failing.ban([makeTicket('192.0.2.1')])).rejects.toThrow(
      /option "ban"\) exited with code 3: block: cannot talk to the firewall/,
    );
    const missing = await create({ ban: ['/nonexistent/portcullis-block', '{ip}'] });
    await expect(missing.ban([makeTicket('192.0.2.1')])).rejects.toThrow(
      /"\/nonexistent\/portcullis-block" \(option "ban"\) not found/,
    );
    const notOnPath = await create({ ban: ['portcullis-no-such-program'] });
    await expect(notOnPath.ban([makeTicket('192.0.2.1')])).rejects.toThrow(
      /not found — give its absolute path or fix PATH/,
    );
    await writeFile(join(dir, 'not-exec.sh'), '#!/bin/true\n', { mode: 0o644 });
    const notExecutable = await create({ ban: ['./not-exec.sh'] });
    if (process.getuid?.() !== 0)
      await expect(notExecutable.ban([makeTicket('192.0.2.1')])).rejects.toThrow(/permission denied/);
    else
      await expect(notExecutable.ban([makeTicket('192.0.2.1')])).rejects.toThrow(
        /cannot execute|permission denied/,
      );
  });

  it('kills a program that outlives the timeout (SIGTERM ignored → SIGKILL)', async () => {
    const script = join(dir, 'hang.mjs');
    await writeFile(script, `process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`);
    const action = await create({ ban: [node, script, '{ip}'], timeout: '300ms', killGrace: '200ms' });
    const started = Date.now();
    await expect(action.ban([makeTicket('192.0.2.1')])).rejects.toThrow(
      /timed out after 0.3 s and was killed \(SIGKILL\)/,
    );
    // The program never exits by itself: ending at all shows it was killed; the bound is only generous.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('check: exit 0 is ok, anything else is not; start/stop/flush run their commands', async () => {
    const file = join(dir, 'check.json');
    const action = await create({
      start: [node, state, 'init', file],
      ban: [node, state, 'add', file, '{ip}'],
      check: [node, state, 'check', file],
      flush: [node, state, 'drop', file],
      stop: [node, state, 'drop', file],
      cwd: '.',
    });
    expect(await action.check!()).toBe(false);
    await action.start!();
    expect(await action.check!()).toBe(true);
    await action.ban([makeTicket('192.0.2.5'), makeTicket('2001:db8::5')]);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(['192.0.2.5', '2001:db8::5']);
    await action.flush!();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual([]);
    await rm(file);
    expect(await action.check!()).toBe(false);
    expect((await create({ ban: ['/bin/true'] })).check).toBeUndefined();
  });

  it('passes env and cwd, and skips invalid addresses', async () => {
    const out = join(dir, 'env.jsonl');
    const action = await create({
      ban: [node, recorder, '{ip}'],
      env: { RECORD: out, EXTRA: 'yes' },
      cwd: '/tmp',
    });
    await action.ban([{ ...makeTicket('192.0.2.9'), ip: '-rf' }, makeTicket('192.0.2.10')]);
    const recs = await records(out);
    expect(recs.map((r) => [r.argv, r.cwd, r.extra])).toEqual([[['192.0.2.10'], '/tmp', 'yes']]);
  });

  it('module: delegates to an action object or a defineAction result, relative to the config folder', async () => {
    const log = join(dir, 'module.jsonl');
    await writeFile(
      join(dir, 'object-action.mjs'),
      `import { appendFileSync } from 'node:fs';
       const rec = (op, t = []) => appendFileSync(${JSON.stringify(log)}, JSON.stringify([op, t.map((x) => x.ip)]) + '\\n');
       export default { start: async () => rec('start'), ban: async (t) => rec('ban', t), unban: async (t) => rec('unban', t) };`,
    );
    const objectAction = await create({ module: './object-action.mjs' });
    await objectAction.start!();
    await objectAction.ban([makeTicket('192.0.2.1'), makeTicket('2001:db8::1')]);
    await objectAction.unban([makeTicket('192.0.2.1')]);
    expect(await objectAction.check!()).toBe(true);
    await objectAction.flush!(); // no flush in the module: unbans what is left
    const lines = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      ['start', []],
      ['ban', ['192.0.2.1', '2001:db8::1']],
      ['unban', ['192.0.2.1']],
      ['unban', ['2001:db8::1']],
    ]);

    await writeFile(
      join(dir, 'defined-action.mjs'),
      `export default { id: 'mine', options: { '~standard': { version: 1, vendor: 'test', validate: (v) => (typeof v.tag === 'string' ? { value: { tag: v.tag.toUpperCase() } } : { issues: [{ message: 'tag is required' }] }) } },
         create: (o, ctx) => ({ ban: async (t) => { globalThis.__pclModule = [o.tag, ctx.jail.name, t.length]; }, unban: async () => {} }) };`,
    );
    const defined = await create({ module: './defined-action.mjs', moduleOptions: { tag: 'x' } }, 'web');
    await defined.ban([makeTicket('192.0.2.3')]);
    expect((globalThis as Record<string, unknown>).__pclModule).toEqual(['X', 'web', 1]);
    const badOptions = await create({ module: './defined-action.mjs', moduleOptions: {} });
    await expect(badOptions.ban([makeTicket('192.0.2.3')])).rejects.toThrow(/tag is required/);
    await writeFile(join(dir, 'not-an-action.mjs'), 'export default { hello: 1 };');
    await expect((await create({ module: './not-an-action.mjs' })).ban([])).rejects.toThrow(
      /must default-export an action object.*keys hello/,
    );
    await expect((await create({ module: './missing.mjs' })).start!()).rejects.toThrow(
      /cannot import module/,
    );
  });
});
