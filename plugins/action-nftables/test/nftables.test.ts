import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionInstance, BanTicket } from '@portcullis/core';
import { silentLogger } from '@portcullis/core';
import { checkActionContract, makeTicket } from '@portcullis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetnsPair, createNetnsPair, eventually, netnsUnavailable } from '../../../test/netns.js';
import { nftablesAction } from '../src/index.js';
import { listedElements, nftTime, portMatch } from '../src/nft-script.js';
import { nftablesOptions } from '../src/options.js';

const why = netnsUnavailable(['/usr/sbin/nft']);
if (why && process.env.CI !== 'true') console.warn(`skipping nftables tests: ${why} (they need root and nftables, in network namespaces)`);

let ns: NetnsPair;

function create(extra: Record<string, unknown> = {}, jail = 'sshd', ports: string[] = [], protocol: 'tcp' | 'udp' | 'all' = 'tcp'): ActionInstance {
  const options = nftablesOptions.parse({ commandPrefix: ns.serverPrefix, table: 'pcltest', ...extra });
  return nftablesAction.create(options, { jail: { name: jail, ports, protocol, bantime: 600_000 }, logger: silentLogger, configDir: '/', dryRun: false });
}

/** Our own `nft -i` children (the action's long-lived process), by pid. */
function nftChildren(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (ppid === process.pid && /(^|\/)nft$/.test(argv[0]!) && argv[1] === '-i') out.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}

const ruleset = () => ns.inServer(['nft', 'list', 'ruleset']);
const has = (ip: string) => ns.inServer(['nft', 'list', 'table', 'inet', 'pcltest']).includes(ip);

describe('nft script', () => {
  it('refuses a malformed port before it reaches nft', () => {
    const jail = { name: 'x', ports: ['22 } accept; flush ruleset'], protocol: 'tcp' as const, bantime: 1 };
    expect(() => portMatch(jail)).toThrow(/invalid port "22 } accept; flush ruleset"/);
    expect(portMatch({ ...jail, ports: ['ssh', '8000:8100'] })).toBe('tcp dport { ssh, 8000-8100 } ');
  });

  it('writes long timeouts in days, hours, minutes and seconds (nft refuses more than 8 digits of seconds)', () => {
    expect(nftTime(59)).toBe('59s');
    expect(nftTime(86_400 + 3600 + 61)).toBe('1d1h1m1s');
    expect(nftTime(100 * 365 * 86_400)).toBe('36500d');
  });

  // Kernels before 6.x keep an element's old timeout on `add` (newer ones update it, so the kernel test
  // below cannot tell): the action's own transaction must delete and re-add a re-banned element.
  it('re-creates a re-banned element in its transaction, IPv4 and IPv6 alike', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-nft-script-'));
    try {
      const scripts = join(dir, 'scripts');
      // Bans go to one long-lived `nft -i`: a line per batch, then a marker line whose error says it is done.
      // `nft -f -` (a batch while the long-lived process starts) writes its whole script as one batch too.
      const fake = `#!/bin/sh\nif [ "$1" = -f ]; then cat >> '${scripts}'; printf -- '---\\n' >> '${scripts}'; exit 0; fi\nwhile IFS= read -r line; do\n  case "$line" in\n    portcullis-sync-*) printf 'Error: syntax error\\n%s\\n^\\n' "$line" >&2 ;;\n    '#'*) ;;\n    *) printf '%s\\n---\\n' "$line" >> '${scripts}' ;;\n  esac\ndone\n`;
      writeFileSync(join(dir, 'nft'), fake, { mode: 0o755 });
      const options = nftablesOptions.parse({ nft: join(dir, 'nft'), commandPrefix: [], table: 'pcltest' });
      const action = nftablesAction.create(options, { jail: { name: 'sshd', ports: [], protocol: 'tcp', bantime: 600_000 }, logger: silentLogger, configDir: '/', dryRun: false });
      const now = Date.now();
      const tickets = (ms: number) => ['203.0.113.20', '2001:db8:20::20'].map((ip) => makeTicket(ip, 'sshd', { time: now, bantime: ms, expires: now + ms }));
      await action.ban!(tickets(60_000));
      await action.ban!(tickets(7_200_000));
      const [first, second] = readFileSync(scripts, 'utf8').split('---\n');
      expect(first).not.toContain('delete');
      const lines = second!.trim().split(/; |\n/);
      for (const [set, ip] of [['j_sshd_v4', '203.0.113.20'], ['j_sshd_v6', '2001:db8:20::20']]) {
        const del = lines.indexOf(`delete element inet pcltest ${set} { ${ip} }`);
        const add = lines.findIndex((l) => l.startsWith(`add element inet pcltest ${set} { ${ip} timeout 2h`));
        expect(del, `${ip} deleted`).toBeGreaterThanOrEqual(0);
        expect(add, `${ip} re-added after the delete`).toBeGreaterThan(del);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('batches while the long-lived nft process starts', () => {
  // A ruleset with many bans makes a new `nft -i` read every element before it answers: batches must not
  // wait for it, and one that never answers in time is not started again and again.
  it('applies batches with nft -f - until the long-lived process is ready, and stops starting one that does not answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-nft-slow-'));
    try {
      const log = join(dir, 'log');
      // -f: record the script. -i: record the start, then never answer (a start-up slower than the timeout).
      const fake = `#!/bin/sh\nif [ "$1" = -f ]; then cat >> '${log}'; exit 0; fi\nif [ "$1" != -i ]; then echo '{"nftables":[]}'; exit 0; fi\necho interactive-start $$ >> '${log}'\nexec sleep 30\n`;
      writeFileSync(join(dir, 'nft'), fake, { mode: 0o755 });
      const options = nftablesOptions.parse({ nft: join(dir, 'nft'), commandPrefix: [], table: 'pcltest', timeout: 1 });
      const action = nftablesAction.create(options, { jail: { name: 'sshd', ports: [], protocol: 'tcp', bantime: 600_000 }, logger: silentLogger, configDir: '/', dryRun: false });
      const text = () => readFileSync(log, 'utf8');
      await action.ban!([makeTicket('203.0.113.40', 'sshd')]);
      expect(text()).toContain('add element inet pcltest j_sshd_v4 { 203.0.113.40');
      expect(await eventually(() => text().includes('interactive-start'))).toBe(true);
      // Past the timeout the silent process is killed; later batches still land, and no new one is started.
      const pid = /interactive-start (\d+)/.exec(text())![1];
      expect(await eventually(() => !existsSync(`/proc/${pid}`), 20_000)).toBe(true);
      for (const ip of ['203.0.113.41', '203.0.113.42']) {
        await action.ban!([makeTicket(ip, 'sshd')]);
        expect(text()).toContain(`j_sshd_v4 { ${ip}`);
      }
      expect(text().match(/interactive-start/g)).toHaveLength(1);
      // A large batch never waits for the long-lived process either.
      const many = Array.from({ length: 2000 }, (_, i) => makeTicket(`198.51.${i >> 8}.${i & 255}`, 'sshd'));
      await action.ban!(many);
      expect(text()).toContain('198.51.7.207');
      await action.stop!();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(why !== undefined && process.env.CI !== 'true')('nftables action against the kernel (network namespaces)', () => {
  beforeAll(() => {
    if (why) throw new Error(why);
    ns = createNetnsPair('nft');
  });
  afterAll(() => ns?.destroy());

  it('blocks a batch of IPv4 and IPv6 attackers, and lets them back after unban', async () => {
    const action = create({}, 'sshd', [String(ns.port)]);
    await action.start!();
    expect(ns.canConnect(4)).toBe(true);
    expect(await eventually(() => ns.canConnect(6))).toBe(true);
    const others: BanTicket[] = [];
    for (let i = 0; i < 1000; i++) others.push(makeTicket(i % 2 ? `198.51.${i >> 8}.${i & 255}` : `2001:db8:77::${i.toString(16)}`, 'sshd'));
    const attackers = [makeTicket(ns.attacker4, 'sshd'), makeTicket(ns.attacker6, 'sshd')];
    await action.ban([...others, ...attackers]);
    expect(ns.canConnect(4)).toBe(false);
    expect(ns.canConnect(6)).toBe(false);
    await action.unban(attackers);
    expect(ns.canConnect(4)).toBe(true);
    expect(ns.canConnect(6)).toBe(true);
    await action.stop!();
    expect(ruleset()).not.toContain('pcltest');
  });

  it('is idempotent: start twice, ban twice, unban unknown — one table, one chain, four rules, one element', async () => {
    const action = create();
    await action.start!();
    await action.start!();
    const t = makeTicket('203.0.113.5', 'sshd');
    await action.ban([t]);
    await action.ban([t]);
    await action.unban([makeTicket('203.0.113.99', 'sshd')]);
    const rs = ruleset();
    expect(rs.match(/table inet pcltest/g)).toHaveLength(1);
    expect(rs.match(/chain j_sshd \{/g)).toHaveLength(1);
    expect(rs.match(/saddr @j_sshd_(v|net)[46] drop/g)).toHaveLength(4);
    expect(rs.match(/203\.0\.113\.5/g)).toHaveLength(1);
    // An element that expired or was deleted behind our back: unban still succeeds for the rest.
    ns.inServer(['nft', 'delete', 'element', 'inet', 'pcltest', 'j_sshd_v4', '{ 203.0.113.5 }']);
    await action.ban([makeTicket('203.0.113.6', 'sshd')]);
    await action.unban([makeTicket('203.0.113.5', 'sshd'), makeTicket('203.0.113.6', 'sshd')]);
    expect(has('203.0.113.6')).toBe(false);
    // A duplicate inside one batch, and a unban batch of only unknown addresses (v4 and v6), are not errors.
    await action.ban([makeTicket('203.0.113.7', 'sshd'), makeTicket('203.0.113.7', 'sshd')]);
    expect(ruleset().match(/203\.0\.113\.7/g)).toHaveLength(1);
    await action.unban([makeTicket('203.0.113.8', 'sshd'), makeTicket('2001:db8::8', 'sshd')]);
    await action.stop!();
  });

  it('bans through one long-lived nft process, and starts a new one when it is killed (the next ban lands in the set)', async () => {
    const action = create();
    await action.start!();
    await action.ban([makeTicket('203.0.113.30', 'sshd')]);
    expect(has('203.0.113.30')).toBe(true);
    const sessions = nftChildren();
    expect(sessions, 'one nft -i process').toHaveLength(1);
    await action.ban([makeTicket('203.0.113.31', 'sshd')]);
    expect(nftChildren(), 'the same process for the next batch').toEqual(sessions);
    process.kill(sessions[0]!, 'SIGKILL');
    expect(await eventually(() => !existsSync(`/proc/${sessions[0]}`))).toBe(true);
    await action.ban([makeTicket('203.0.113.32', 'sshd'), makeTicket('2001:db8:32::1', 'sshd')]);
    expect(has('203.0.113.32')).toBe(true);
    expect(has('2001:db8:32::1')).toBe(true);
    const next = nftChildren();
    expect(next).toHaveLength(1);
    expect(next[0]).not.toBe(sessions[0]);
    await action.unban([makeTicket('203.0.113.30', 'sshd')]);
    expect(has('203.0.113.30')).toBe(false);
    // A batch nft refuses (its table was deleted behind our back) fails alone, with nft's error; the same
    // process takes the next batch, and sees the table start() puts back.
    ns.inServer(['nft', 'delete', 'table', 'inet', 'pcltest']);
    await expect(action.ban([makeTicket('203.0.113.33', 'sshd')])).rejects.toThrow(/nft -(i|f -) failed.*: Error: No such file or directory/s);
    await action.start!();
    await action.ban([makeTicket('203.0.113.33', 'sshd')]);
    expect(has('203.0.113.33')).toBe(true);
    expect(nftChildren()).toEqual(next);
    await action.stop!();
    expect(await eventually(() => nftChildren().length === 0)).toBe(true);
  });

  it('re-banning a banned address gives it the new remaining time on every kernel (prolonged, or permanent), IPv4 and IPv6', async () => {
    const action = create();
    await action.start!();
    const now = Date.now();
    const addresses = ['203.0.113.20', '2001:db8:20::20'];
    const ban = (ms: number) => action.ban(addresses.map((ip) => makeTicket(ip, 'sshd', { time: now, bantime: ms, expires: now + ms })));
    const element = (ip: string) => ruleset().match(new RegExp(`${ip.replace(/[.]/g, '\\.')}[^,}\n]*`))?.[0];
    await ban(60_000);
    await ban(7_200_000);
    for (const ip of addresses) expect(element(ip), ip).toMatch(/timeout 2h /);
    await ban(Number.POSITIVE_INFINITY);
    for (const ip of addresses) {
      expect(element(ip), ip).not.toContain('timeout');
      expect(ruleset().split(ip).length - 1, ip).toBe(1);
    }
    await action.stop!();
  });

  it('holds the longest ban the engine allows (100 years), which nft refuses written in seconds', async () => {
    const action = create();
    await action.start!();
    const now = Date.now();
    const years = (n: number) => n * 365 * 86_400_000;
    await action.ban([
      makeTicket('203.0.113.30', 'sshd', { time: now, bantime: years(10), expires: now + years(10) }),
      makeTicket('203.0.113.31', 'sshd', { time: now, bantime: years(100), expires: now + years(100) }),
    ]);
    const element = (ip: string) => ruleset().match(new RegExp(`${ip.replace(/\./g, '\\.')} timeout [^,}\n]*`))?.[0];
    expect(element('203.0.113.30')).toMatch(/timeout 3650d /);
    expect(element('203.0.113.31')).toMatch(/timeout 36500d /);
    await action.stop!();
  });

  it('check() notices a flushed ruleset; start + ban restore the rules', async () => {
    const action = create();
    await action.start!();
    expect(await action.check!()).toBe(true);
    ns.inServer(['nft', 'flush', 'ruleset']);
    expect(await action.check!()).toBe(false);
    await action.start!();
    await action.ban([makeTicket(ns.attacker4, 'sshd')]);
    expect(await action.check!()).toBe(true);
    expect(ns.canConnect(4)).toBe(false);
    await action.stop!();
    expect(ns.canConnect(4)).toBe(true);
  });

  it('lets the kernel expire an element by its timeout, without the daemon', async () => {
    const action = create({ keepBansOnStop: true });
    await action.start!();
    // Long enough that a loaded machine still sees the ban in place before the kernel lifts it (2 s was not).
    const now = Date.now();
    await action.ban([makeTicket(ns.attacker4, 'sshd', { time: now, bantime: 6000, expires: now + 6000 })]);
    expect(ns.canConnect(4)).toBe(false);
    await action.stop!(); // keepBansOnStop: the set stays, the kernel keeps enforcing until the timeout
    expect(ns.canConnect(4)).toBe(false);
    expect(await eventually(() => ns.canConnect(4), 60_000)).toBe(true);
    ns.inServer(['nft', 'delete', 'table', 'inet', 'pcltest']);
  }, 90_000);

  it('lists what its sets hold with the time left, for a restart whose store lost its bans', async () => {
    const before = create({ keepBansOnStop: true });
    await before.start!();
    const now = Date.now();
    await before.ban([
      makeTicket('198.51.100.7', 'sshd', { time: now, bantime: 600_000, expires: now + 600_000 }),
      makeTicket('2001:db8::7', 'sshd', { time: now, bantime: -1, expires: Number.POSITIVE_INFINITY }),
    ]);
    // A new instance (the daemon restarted after kill -9): start keeps the sets' elements, list reads them.
    const after = create();
    await after.start!();
    const listed = (await after.list!()).sort((a, b) => a.ip.localeCompare(b.ip));
    expect(listed.map((e) => e.ip)).toEqual(['198.51.100.7', '2001:db8::7']);
    expect(listed[0]!.expires).toBeGreaterThan(now + 500_000);
    expect(listed[0]!.expires).toBeLessThanOrEqual(Date.now() + 600_000);
    expect(listed[1]!.expires).toBe(Number.POSITIVE_INFINITY);
    await after.stop!();
    expect(await after.list!()).toEqual([]); // no table: nothing held
  });

  it('reads set elements from nft JSON: timed, permanent, and anything else skipped', () => {
    const json = JSON.stringify({ nftables: [{ metainfo: {} }, { set: { elem: [{ elem: { val: '192.0.2.1', timeout: 100, expires: 40 } }, '192.0.2.2', { elem: { val: 5 } }, { other: 1 }] } }] });
    expect(listedElements(json, 1000)).toEqual([
      { ip: '192.0.2.1', expires: 41_000 },
      { ip: '192.0.2.2', expires: Number.POSITIVE_INFINITY },
    ]);
  });

  it('keeps the action contract (testkit), verified against the kernel set', async () => {
    const result = await checkActionContract(nftablesAction, {
      options: { commandPrefix: ns.serverPrefix, table: 'pcltest' },
      isBanned: (ip) => {
        const out = spawnSync('ip', ['netns', 'exec', ns.server, 'nft', 'list', 'table', 'inet', 'pcltest'], { encoding: 'utf8' });
        return out.stdout.includes(`${ip} `) || out.stdout.includes(`${ip},`) || out.stdout.includes(`${ip}\n`);
      },
    });
    expect(result.errors).toEqual([]);
  });

  it('handles jail names nft identifiers cannot carry, reject, an ip-only table and a hand-deleted chain', async () => {
    const action = create({ family: 'ip', blocktype: 'reject' }, 'web.jail-1', [String(ns.port)]);
    await action.start!();
    await action.ban([makeTicket(ns.attacker4, 'web.jail-1'), makeTicket(ns.attacker6, 'web.jail-1')]);
    const table = ns.inServer(['nft', 'list', 'table', 'ip', 'pcltest']);
    expect(table).toMatch(/chain j_web_jail_1_[0-9a-f]{6} \{/);
    expect(table).toContain('reject');
    expect(table).not.toContain('ip6');
    expect(ns.canConnect(4)).toBe(false);
    expect(ns.canConnect(6)).toBe(true); // an IPv4-only table cannot hold the IPv6 address: skipped, not an error
    const chain = table.match(/chain (j_web_jail_1_[0-9a-f]{6})/)![1]!;
    ns.inServer(['nft', 'delete', 'chain', 'ip', 'pcltest', chain]);
    expect(await action.check!()).toBe(false);
    expect(ns.canConnect(4)).toBe(true);
    await action.stop!();
    expect(ruleset()).not.toContain('pcltest');
  });

  it('accepts every protocol/ports shape: all protocols on some ports (with a range), all traffic, udp only', async () => {
    const some = create({}, 'both', [String(ns.port), '9000:9100'], 'all');
    await some.start!();
    await some.ban([makeTicket(ns.attacker6, 'both')]);
    expect(ns.inServer(['nft', 'list', 'chain', 'inet', 'pcltest', 'j_both'])).toMatch(/th dport \{ 9000-9100, 8022 \}|th dport \{ 8022, 9000-9100 \}/);
    expect(ns.canConnect(6)).toBe(false);
    await some.stop!();
    const every = create({}, 'every', [], 'all');
    await every.start!();
    await every.ban([makeTicket(ns.attacker4, 'every')]);
    expect(ns.canConnect(4)).toBe(false);
    await every.stop!();
    const udp = create({}, 'udp', [String(ns.port)], 'udp');
    await udp.start!();
    await udp.ban([makeTicket(ns.attacker4, 'udp')]);
    expect(ns.canConnect(4)).toBe(true); // the listener is TCP: a udp-only ban must not block it
    await udp.stop!();
    expect(ruleset()).not.toContain('pcltest');
  });

  it('reports a missing nft binary clearly', async () => {
    const action = create({ nft: '/nonexistent/nft', commandPrefix: [] });
    await expect(action.start!()).rejects.toThrow(/\/nonexistent\/nft not found: install nftables/);
  });

  it('reports a non-executable nft and a hanging one (killed after the timeout) clearly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-nft-'));
    try {
      writeFileSync(join(dir, 'plain'), '');
      await expect(create({ nft: join(dir, 'plain'), commandPrefix: [] }).start!()).rejects.toThrow(/must be executable.*root or CAP_NET_ADMIN/);
      writeFileSync(join(dir, 'hang'), '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
      const started = Date.now();
      await expect(create({ nft: join(dir, 'hang'), commandPrefix: [], timeout: 0.3 }).ban!([makeTicket('203.0.113.1', 'sshd')])).rejects.toThrow(/killed by SIGKILL after 0\.3 s/);
      expect(Date.now() - started).toBeLessThan(25_000); // far below the 600 s it would hang
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
