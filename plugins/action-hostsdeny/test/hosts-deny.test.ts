import { spawn } from 'node:child_process';
import { chmod, chown, lstat, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ActionInstance, silentLogger } from '@portcullis/core';
import { checkActionContract, makeTicket } from '@portcullis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { hostsDenyOptions } from '../src/options.js';

const definition = plugin.actions[0]!;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pcl-hostsdeny-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function create(file: string, jail = 'sshd', extra: Record<string, unknown> = {}): ActionInstance {
  const options = hostsDenyOptions.parse({ file, ...extra });
  return definition.create(options, {
    jail: { name: jail, ports: [], protocol: 'tcp', bantime: 600_000 },
    logger: silentLogger,
    configDir: dir,
    dryRun: false,
  });
}

const v4 = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
const lineCount = (text: string, line: string) => text.split('\n').filter((l) => l === line).length;

describe('hostsdeny action', () => {
  it('keeps the action contract, observed in the file', async () => {
    const file = join(dir, 'contract.deny');
    const isBanned = async (ip: string) => {
      const text = await readFile(file, 'utf8');
      return text.includes(`ALL: ${ip}\n`) || text.includes(`ALL: [${ip}]\n`);
    };
    const result = await checkActionContract(definition, { options: { file }, isBanned });
    expect(result.errors).toEqual([]);
  });

  it('writes IPv6 in brackets, IPv4 plain, inside a marked block, once each', async () => {
    const file = join(dir, 'format.deny');
    const action = create(file, 'sshd', { daemons: 'sshd, vsftpd' });
    await action.start!();
    await action.ban([
      makeTicket('2001:DB8:0:0::1'),
      makeTicket('192.0.2.7'),
      makeTicket('::ffff:192.0.2.7'),
    ]);
    await action.ban([makeTicket('2001:db8::1')]);
    const text = await readFile(file, 'utf8');
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^# portcullis:sshd begin /),
      'sshd, vsftpd: [2001:db8::1]',
      'sshd, vsftpd: 192.0.2.7',
      '# portcullis:sshd end',
      '',
    ]);
  });

  it('skips invalid addresses instead of writing them', async () => {
    const file = join(dir, 'invalid.deny');
    const action = create(file);
    await action.ban([
      { ...makeTicket('192.0.2.1'), ip: 'ALL' },
      { ...makeTicket('192.0.2.2'), ip: '1.2.3.4\nALL: ALL' },
    ]);
    await action.ban([makeTicket('192.0.2.3')]);
    const text = await readFile(file, 'utf8');
    expect(text).not.toMatch(/ALL: ALL/);
    expect(text.match(/^ALL: /gm)).toEqual(['ALL: ']);
  });

  it('leaves foreign lines byte for byte, including ones inside its block', async () => {
    const file = join(dir, 'foreign.deny');
    const head =
      '# /etc/hosts.deny\r\n#  comment with ünïcødé\n\nsshd: 203.0.113.9 : spawn /bin/true\n   \nALL: 198.51.100.0/255.255.255.0\n';
    await writeFile(file, head);
    const action = create(file);
    await action.ban([makeTicket('192.0.2.1'), makeTicket('2001:db8::2')]);
    const other = create(file, 'apache');
    await other.ban([makeTicket('192.0.2.1')]);
    // An administrator adds a line inside our block by hand: it must survive our edits.
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('ALL: 192.0.2.1\n', 'ALL: 192.0.2.1\nsshd: 203.0.113.50\n'));
    await action.unban([makeTicket('192.0.2.1'), makeTicket('2001:db8::2')]);
    const after = await readFile(file, 'utf8');
    expect(after.startsWith(head)).toBe(true);
    expect(after).toContain('sshd: 203.0.113.50\n');
    expect(lineCount(after, 'ALL: 192.0.2.1')).toBe(1); // the apache jail's line stays
    await other.stop!();
    await action.stop!();
    expect(await readFile(file, 'utf8')).toBe(
      `${head}# portcullis:sshd begin (managed by portcullis; lines of the form "<daemons>: <address>" here are rewritten)\nsshd: 203.0.113.50\n# portcullis:sshd end\n`,
    );
  });

  it('restores the file exactly when it stops', async () => {
    const file = join(dir, 'restore.deny');
    const original = '# comment\nALL: 203.0.113.1\n';
    await writeFile(file, original);
    const action = create(file);
    await action.start!();
    await action.ban(Array.from({ length: 100 }, (_, i) => makeTicket(v4(i + 1))));
    await action.stop!();
    expect(await readFile(file, 'utf8')).toBe(original);
  });

  it('keeps owner and mode in rename mode and the inode in inplace mode', async () => {
    const file = join(dir, 'owner.deny');
    await writeFile(file, 'ALL: 203.0.113.1\n');
    await chmod(file, 0o640);
    if (process.getuid?.() === 0) await chown(file, 1234, 2345);
    const before = await stat(file);
    await create(file).ban([makeTicket('192.0.2.10')]);
    const after = await stat(file);
    expect(after.mode & 0o7777).toBe(0o640);
    expect([after.uid, after.gid]).toEqual([before.uid, before.gid]);
    expect(after.ino).not.toBe(before.ino);
    await create(file, 'sshd', { mode: 'inplace' }).ban([makeTicket('192.0.2.11')]);
    const inplace = await stat(file);
    expect(inplace.ino).toBe(after.ino);
    expect(await readFile(file, 'utf8')).toContain('ALL: 192.0.2.11\n');
  });

  it('follows a symlink instead of replacing it', async () => {
    const real = join(dir, 'real.deny');
    const link = join(dir, 'link.deny');
    await writeFile(real, '# real\n');
    await symlink(real, link);
    await create(link).ban([makeTicket('192.0.2.12')]);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(real, 'utf8')).toContain('ALL: 192.0.2.12\n');
  });

  it('check() fails when the file or a line is removed behind its back, and recovers after start + re-ban', async () => {
    const file = join(dir, 'check.deny');
    const action = create(file);
    await action.start!();
    expect(await action.check!()).toBe(true);
    const tickets = [makeTicket('192.0.2.20'), makeTicket('2001:db8::20')];
    await action.ban(tickets);
    expect(await action.check!()).toBe(true);
    await writeFile(file, (await readFile(file, 'utf8')).replace('ALL: [2001:db8::20]\n', ''));
    expect(await action.check!()).toBe(false);
    await rm(file);
    expect(await action.check!()).toBe(false);
    await action.start!();
    await action.ban(tickets);
    expect(await action.check!()).toBe(true);
  });

  it('keeps bans on stop when keepBansOnStop is set', async () => {
    const file = join(dir, 'keep.deny');
    const action = create(file, 'sshd', { keepBansOnStop: true });
    await action.ban([makeTicket('192.0.2.30')]);
    await action.stop!();
    expect(await readFile(file, 'utf8')).toContain('ALL: 192.0.2.30\n');
  });

  it('applies a batch of 5,000 bans in one rewrite', async () => {
    const file = join(dir, 'batch.deny');
    const action = create(file);
    const tickets = Array.from({ length: 5000 }, (_, i) =>
      makeTicket(i % 2 ? v4(i) : `2001:db8::${i.toString(16)}`),
    );
    const started = performance.now();
    await action.ban(tickets);
    const ms = performance.now() - started;
    const text = await readFile(file, 'utf8');
    expect(text.split('\n').filter((l) => l.startsWith('ALL: '))).toHaveLength(5000);
    console.info(`hostsdeny: 5000 bans in one batch took ${ms.toFixed(1)} ms`);
    await action.unban(tickets.slice(0, 4000));
    expect((await readFile(file, 'utf8')).split('\n').filter((l) => l.startsWith('ALL: '))).toHaveLength(
      1000,
    );
  });

  for (const mode of ['rename', 'inplace'] as const) {
    // In-place rewrites cannot be made safe against lock-free foreign appenders (documented); there only our
    // own instances write concurrently.
    const foreignLines = mode === 'rename' ? 300 : 0;
    it(`loses nothing with concurrent instances${foreignLines ? ' and a foreign appender' : ''} (${mode})`, async () => {
      const file = join(dir, `concurrent-${mode}.deny`);
      await writeFile(file, '# foreign head\n');
      // Another program appending to the file with O_APPEND, in its own process, while we rewrite it.
      const appender = spawn(process.execPath, [
        '-e',
        `const fs = require('node:fs');
         let i = 0;
         const tick = () => { if (i >= ${foreignLines}) return; fs.appendFileSync(process.argv[1], 'sshd: 198.18.' + (i >> 8) + '.' + (i & 255) + ' # foreign\\n'); i++; setTimeout(tick, Math.random() * 2); };
         tick();`,
        file,
      ]);
      const appenderDone = new Promise((resolve) => appender.on('exit', resolve));
      const jails = ['a', 'b', 'c', 'a']; // two instances share jail "a"
      const actions = jails.map((jail) => create(file, jail, { mode }));
      const perInstance = 40;
      await Promise.all(
        actions.map(async (action, k) => {
          for (let i = 0; i < perInstance; i++) {
            const ip = v4(k * 1000 + i);
            await action.ban([makeTicket(ip), makeTicket(`2001:db8:${k + 1}::${i + 1}`)]);
            if (i % 5 === 4) await action.unban([makeTicket(ip)]);
          }
        }),
      );
      await appenderDone;
      const text = await readFile(file, 'utf8');
      for (let i = 0; i < foreignLines; i++)
        expect(lineCount(text, `sshd: 198.18.${i >> 8}.${i & 255} # foreign`)).toBe(1);
      expect(text.startsWith('# foreign head\n')).toBe(true);
      for (const [k] of jails.entries()) {
        for (let i = 0; i < perInstance; i++) {
          expect(lineCount(text, `ALL: ${v4(k * 1000 + i)}`)).toBe(i % 5 === 4 ? 0 : 1);
          expect(lineCount(text, `ALL: [2001:db8:${k + 1}::${i + 1}]`)).toBe(1);
        }
      }
      for (const jail of ['a', 'b', 'c']) expect(lineCount(text, `# portcullis:${jail} end`)).toBe(1);
      expect((await stat(`${file}.portcullis-lock`).catch(() => undefined)) === undefined).toBe(true);
    });
  }
});
