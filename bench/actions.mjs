// Firewall action benchmark (`pnpm bench:actions`, as root): inside a network namespace created here,
// apply 100,000 bans (half IPv6) in batches the way the engine coalesces them, then unban them, for
// nftables, iptables+ipset and plain iptables (one rule per address: its unbans rewrite the chain, so they
// slow down with the chain's size; BENCH_PLAIN_BANS caps it). After the ban phase the addresses really in
// the kernel are counted, so only effective bans are reported. Also the time for a single ban to be in the
// kernel (ban() resolved = the nft / ipset / iptables-restore transaction committed), p50/p99 over 100.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.getuid?.() !== 0) {
  console.error('bench:actions needs root (it creates a network namespace)');
  process.exit(2);
}
const ns = `pcl-bench-${process.pid}`;
const prefix = ['ip', 'netns', 'exec', ns];
const logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return logger; } };
const TOTAL = Number(process.env.BENCH_BANS ?? 100_000);
const BATCH = 5000;

function tickets(n, offset = 0) {
  const now = Date.now();
  const out = [];
  for (let i = offset; i < offset + n; i++) {
    const v6 = i % 2 === 1;
    const ip = v6 ? `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1` : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    out.push({ ip, family: v6 ? 6 : 4, jail: 'bench', time: now, bantime: 3_600_000, expires: now + 3_600_000, failures: 5, banCount: 1, matches: [] });
  }
  return out;
}

async function load(pkg) {
  const file = join(root, 'plugins', pkg, 'dist/index.js');
  if (!existsSync(file)) throw new Error(`${pkg} is not built: run pnpm build`);
  return (await import(file)).default.actions[0];
}

/** Addresses really in the kernel after the ban phase: the figures count only bans that took effect. */
function inKernel(label) {
  const run = (argv) => spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout ?? '';
  if (label === 'nftables') {
    return ['j_bench_v4', 'j_bench_v6'].reduce((n, set) => {
      const json = JSON.parse(run([...prefix, 'nft', '-j', 'list', 'set', 'inet', 'pclbench', set]) || '{}');
      return n + (json.nftables?.find((o) => o.set)?.set.elem?.length ?? 0);
    }, 0);
  }
  if (label.includes('ipset')) {
    return ['-v4', '-v6'].reduce((n, v) => n + Number(run([...prefix, 'ipset', 'list', '-t', `portcullis-bench${v}`]).match(/Number of entries: (\d+)/)?.[1] ?? 0), 0);
  }
  return ['iptables', 'ip6tables'].reduce((n, bin) => n + run([...prefix, bin, '-w', '-S', 'portcullis-bench']).split('\n').filter((l) => l.includes(' -s ')).length, 0);
}

async function measure(label, definition, options, total) {
  const parsed = await definition.options['~standard'].validate(options);
  if (parsed.issues) throw new Error(JSON.stringify(parsed.issues));
  const action = definition.create(parsed.value, { jail: { name: 'bench', ports: ['22'], protocol: 'tcp', bantime: 3_600_000 }, logger, configDir: root, dryRun: false });
  await action.start();
  const all = tickets(total);
  let t0 = performance.now();
  for (let i = 0; i < all.length; i += BATCH) await action.ban(all.slice(i, i + BATCH));
  const banMs = performance.now() - t0;
  const applied = inKernel(label);
  if (applied !== total) throw new Error(`${label}: ${applied} of ${total} bans are in the kernel`);
  t0 = performance.now();
  for (let i = 0; i < all.length; i += BATCH) await action.unban(all.slice(i, i + BATCH));
  const unbanMs = performance.now() - t0;
  const single = [];
  const lone = tickets(100, 1_000_000);
  for (const t of lone) {
    const s = performance.now();
    await action.ban([t]);
    single.push(performance.now() - s);
  }
  const lonely = inKernel(label);
  if (lonely !== lone.length) throw new Error(`${label}: ${lonely} of ${lone.length} single bans are in the kernel`);
  await action.stop();
  single.sort((a, b) => a - b);
  return {
    action: label,
    bans: total,
    bansPerSecond: Math.round(total / (banMs / 1000)),
    unbansPerSecond: Math.round(total / (unbanMs / 1000)),
    firstBanP50ms: +single[50].toFixed(2),
    firstBanP99ms: +single[98].toFixed(2),
  };
}

spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
spawnSync('ip', ['netns', 'add', ns], { stdio: 'inherit' });
const results = [];
try {
  const nftables = await load('action-nftables');
  const iptables = await load('action-iptables');
  results.push(await measure('nftables', nftables, { commandPrefix: prefix, table: 'pclbench' }, TOTAL));
  results.push(await measure('iptables + ipset', iptables, { commandPrefix: prefix, ipset: true }, TOTAL));
  results.push(await measure('iptables (rule per address)', iptables, { commandPrefix: prefix }, Math.min(TOTAL, Number(process.env.BENCH_PLAIN_BANS ?? TOTAL))));
} finally {
  spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}
console.table(results);
writeFileSync(join(root, 'bench/results-actions.json'), `${JSON.stringify(results, null, 2)}\n`);
