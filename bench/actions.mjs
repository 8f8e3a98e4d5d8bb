// Firewall action benchmark (`pnpm bench:actions`, as root; it imports the built plugins from dist/).
//
// Two network namespaces created here, a "server" and an "attacker", joined by a veth pair (IPv4 and IPv6),
// with a TCP listener in the server. The measuring process re-runs itself inside the server namespace, so
// the actions spawn nft / iptables-restore / ipset directly, as the daemon does (no `ip netns exec` on the
// measured path). For nftables, iptables+ipset and plain iptables (one rule per address):
//  - throughput: 100,000 bans (half IPv6) in batches of 5,000 as the engine coalesces them, then the same
//    unbans; after the ban phase the addresses really in the kernel are counted, so only effective bans
//    count. Plain iptables is capped (BENCH_PLAIN_BANS, default 10,000): its cost grows with the chain.
//  - latency, measured while the 100,000 bans are in place (a firewall under attack): 100 single bans of
//    the attacker's address (alternating IPv4/IPv6), each timed from the ban() call to its promise
//    resolving (the kernel transaction is committed then), and each checked right after by a TCP connect
//    from the attacker namespace, which must not get through (refused, or no answer within 200 ms where a
//    connection that is let through takes well under 1 ms); then a single unban, after which it must connect.
// Prints a table and writes bench/results-actions.json.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const self = fileURLToPath(import.meta.url);
const TOTAL = Number(process.env.BENCH_BANS ?? 100_000);
const PLAIN = Math.min(TOTAL, Number(process.env.BENCH_PLAIN_BANS ?? 10_000));
const BATCH = Number(process.env.BENCH_BATCH ?? 5000);
const SINGLES = 100;
const PORT = 8023;

if (process.env.PCL_BENCH_INSIDE) await inside(JSON.parse(process.env.PCL_BENCH_INSIDE));
else outside();

/** Set up the namespaces, run the measurements inside the server one, always clean up. */
function outside() {
  if (process.getuid?.() !== 0) {
    console.error('bench:actions needs root (it creates network namespaces)');
    process.exit(2);
  }
  for (const pkg of ['action-nftables', 'action-iptables']) {
    if (!existsSync(join(root, 'plugins', pkg, 'dist/index.js'))) {
      console.error(`${pkg} is not built: run pnpm build (or pnpm bench:actions, which builds first)`);
      process.exit(2);
    }
  }
  const id = process.pid % 100000;
  const n = (process.pid % 200) + 20;
  const net = { server: `pcl-bch${id}-s`, attacker: `pcl-bch${id}-a`, server4: `10.232.${n}.1`, attacker4: `10.232.${n}.2`, server6: `fd00:232:${n}::1`, attacker6: `fd00:232:${n}::2` };
  const sh = (argv) => {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr || r.error}`);
  };
  const cleanup = () => {
    for (const ns of [net.server, net.attacker]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  let status = 1;
  try {
    sh(['ip', 'netns', 'add', net.server]);
    sh(['ip', 'netns', 'add', net.attacker]);
    sh(['ip', 'link', 'add', `vb${id}s`, 'type', 'veth', 'peer', 'name', `vb${id}a`]);
    for (const [ns, dev, a4, a6] of [[net.server, `vb${id}s`, net.server4, net.server6], [net.attacker, `vb${id}a`, net.attacker4, net.attacker6]]) {
      sh(['ip', 'link', 'set', dev, 'netns', ns]);
      const x = ['ip', 'netns', 'exec', ns];
      sh([...x, 'ip', 'link', 'set', 'lo', 'up']);
      sh([...x, 'ip', 'addr', 'add', `${a4}/24`, 'dev', dev]);
      sh([...x, 'ip', '-6', 'addr', 'add', `${a6}/64`, 'dev', dev, 'nodad']);
      sh([...x, 'ip', 'link', 'set', dev, 'up']);
    }
    // The probes ask for an ICMP "port unreachable" per ban, faster than the kernel's default ICMP rate
    // limit (1 per second and destination) allows: lift it, in this namespace only.
    sh(['ip', 'netns', 'exec', net.server, 'sysctl', '-q', '-w', 'net.ipv4.icmp_ratelimit=0', 'net.ipv6.icmp.ratelimit=0']);
    const r = spawnSync('ip', ['netns', 'exec', net.server, process.execPath, self], { stdio: 'inherit', env: { ...process.env, PCL_BENCH_INSIDE: JSON.stringify(net) }, timeout: 15 * 60_000 });
    status = r.status ?? 1;
  } finally {
    cleanup();
  }
  process.exit(status);
}

/** The measurements, run inside the server namespace. */
async function inside(net) {
  const logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
  const listener = (await import('node:net')).createServer((c) => {
    c.on('error', () => {});
    c.end('hello\n');
  });
  await new Promise((r) => listener.listen({ port: PORT, host: '::', ipv6Only: false }, r));
  const probe = startProber(net);
  try {
    const load = async (pkg) => (await import(join(root, 'plugins', pkg, 'dist/index.js'))).default.actions[0];
    const nftables = await load('action-nftables');
    const iptables = await load('action-iptables');
    const results = [];
    results.push(await measure('nftables', nftables, { table: 'pclbench', blocktype: 'reject' }, TOTAL));
    console.log(JSON.stringify(results[0]));
    results.push(await measure('iptables + ipset', iptables, { ipset: true }, TOTAL));
    results.push(await measure('iptables (rule per address)', iptables, {}, PLAIN));
    console.table(results);
    const os = await import('node:os');
    const machine = { cores: os.cpus().length, kernel: os.release(), loadAverage1m: +os.loadavg()[0].toFixed(2) };
    writeFileSync(join(root, 'bench/results-actions.json'), `${JSON.stringify({ machine, batch: BATCH, singles: SINGLES, results }, null, 2)}\n`);
  } finally {
    probe.close();
    listener.close();
  }

  async function measure(label, definition, options, total) {
    const parsed = await definition.options['~standard'].validate(options);
    if (parsed.issues) throw new Error(JSON.stringify(parsed.issues));
    const jail = { name: 'bench', ports: [String(PORT)], protocol: 'tcp', bantime: 3_600_000 };
    const action = definition.create(parsed.value, { jail, logger, configDir: root, dryRun: false });
    await action.start();
    try {
      if ((await probe(4)) !== 'ok' || (await probe(6)) !== 'ok') throw new Error(`${label}: the attacker cannot connect before any ban`);
      const all = tickets(total, 0);
      let t0 = performance.now();
      for (let i = 0; i < all.length; i += BATCH) await action.ban(all.slice(i, i + BATCH));
      const banMs = performance.now() - t0;
      const applied = inKernel(label);
      if (applied !== total) throw new Error(`${label}: ${applied} of ${total} bans are in the kernel`);

      const banTimes = [];
      const unbanTimes = [];
      const outcomes = {};
      for (let i = 0; i < SINGLES; i++) {
        const family = i % 2 ? 6 : 4;
        const t = ticket(family === 4 ? net.attacker4 : net.attacker6, family);
        const s = performance.now();
        await action.ban([t]);
        banTimes.push(performance.now() - s);
        const blocked = await probe(family);
        // Refused (ICMP unreachable) or no answer within the probe's timeout: either way the connection
        // did not get through. A connection that is let through completes in well under a millisecond here.
        // (Over a veth the ICMPv6 error for the first SYN arrives while connect() still holds the socket,
        // where Linux records it only as a soft error: IPv6 probes of a REJECT show up as timeouts.)
        if (blocked === 'ok') throw new Error(`${label}: single ban #${i} resolved but the attacker could still connect`);
        outcomes[blocked] = (outcomes[blocked] ?? 0) + 1;
        const u = performance.now();
        await action.unban([t]);
        unbanTimes.push(performance.now() - u);
        if ((await probe(family)) !== 'ok') throw new Error(`${label}: single unban #${i} resolved but the attacker still cannot connect`);
        // Separate bans as real ones are: a kernel transaction that deleted elements finishes its RCU
        // clean-up in the background for a few ms, and a ban glued to it would measure that instead.
        await new Promise((r) => setTimeout(r, 25));
      }

      t0 = performance.now();
      for (let i = 0; i < all.length; i += BATCH) await action.unban(all.slice(i, i + BATCH));
      const unbanMs = performance.now() - t0;
      const left = inKernel(label);
      if (left !== 0) throw new Error(`${label}: ${left} addresses left in the kernel after unbanning all`);
      return {
        action: label,
        bans: total,
        bansPerSecond: Math.round(total / (banMs / 1000)),
        unbansPerSecond: Math.round(total / (unbanMs / 1000)),
        singleBanP50ms: pct(banTimes, 0.5),
        singleBanP90ms: pct(banTimes, 0.9),
        singleBanP99ms: pct(banTimes, 0.99),
        singleUnbanP50ms: pct(unbanTimes, 0.5),
        singleUnbanP99ms: pct(unbanTimes, 0.99),
        attackerAfterBan: Object.entries(outcomes).map(([k, v]) => `${v} ${k}`).join(', '),
      };
    } finally {
      await action.stop();
    }
  }
}

function pct(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return +sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(2);
}

function ticket(ip, family) {
  const now = Date.now();
  return { ip, family, jail: 'bench', time: now, bantime: 3_600_000, expires: now + 3_600_000, failures: 5, banCount: 1, matches: [], reason: 'failures' };
}

/** `n` distinct documentation/private-range addresses, every other one IPv6 (set elements only: no traffic goes to them). */
function tickets(n, offset) {
  const out = [];
  for (let i = offset; i < offset + n; i++) {
    const v6 = i % 2 === 1;
    out.push(ticket(v6 ? `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1` : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, v6 ? 6 : 4));
  }
  return out;
}

/** Addresses really in the kernel for the bench jail (this process runs inside the server namespace). */
function inKernel(label) {
  const run = (argv) => spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout ?? '';
  if (label === 'nftables') {
    // Addresses in the hash sets, networks (none here) in the interval sets.
    return ['j_bench_v4', 'j_bench_v6', 'j_bench_net4', 'j_bench_net6'].reduce((n, set) => {
      const json = JSON.parse(run(['nft', '-j', 'list', 'set', 'inet', 'pclbench', set]) || '{}');
      return n + (json.nftables?.find((o) => o.set)?.set.elem?.length ?? 0);
    }, 0);
  }
  if (label.includes('ipset')) {
    return ['-n4', '-n6'].reduce((n, v) => n + Number(run(['ipset', 'list', '-t', `portcullis-bench${v}`]).match(/Number of entries: (\d+)/)?.[1] ?? 0), 0);
  }
  return ['iptables', 'ip6tables'].reduce((n, bin) => n + run([bin, '-w', '-S', 'portcullis-bench']).split('\n').filter((l) => l.includes(' -s ')).length, 0);
}

/**
 * A long-lived connecting process in the attacker namespace (spawning one per probe would cost more than
 * what is measured). `probe(4|6)` resolves 'ok' (greeting received), 'refused' or 'timeout'.
 */
function startProber(net) {
  const code = `const net=require('net');require('readline').createInterface({input:process.stdin}).on('line',(f)=>{
    const s=net.connect({host:f==='4'?${JSON.stringify(net.server4)}:${JSON.stringify(net.server6)},port:${PORT}});let done=false;
    const end=(r)=>{if(done)return;done=true;clearTimeout(t);s.destroy();process.stdout.write(r+'\\n')};
    const t=setTimeout(()=>end('timeout'),200);
    s.on('data',(d)=>end(String(d).startsWith('hello')?'ok':'bad'));s.on('error',(e)=>end(e.code==='ECONNREFUSED'?'refused':e.code));});`;
  const child = spawn('ip', ['netns', 'exec', net.attacker, process.execPath, '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (l) => waiting.shift()?.(l));
  const probe = (family) => new Promise((resolve) => {
    waiting.push(resolve);
    child.stdin.write(`${family}\n`);
  });
  probe.close = () => child.kill('SIGKILL');
  return probe;
}
