// Firewall action benchmark (`pnpm bench:actions`, as root): inside a network namespace created here,
// apply 100,000 bans (half IPv6) in batches the way the engine coalesces them, then unban them, for
// nftables, iptables+ipset and plain iptables (capped: one rule per address is linear by design). Also the
// time for a single ban to be in the kernel (ban() resolved = nft/ipset transaction committed), p50/p99
// over 100 single bans.
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

async function measure(label, definition, options, total) {
  const parsed = await definition.options['~standard'].validate(options);
  if (parsed.issues) throw new Error(JSON.stringify(parsed.issues));
  const action = definition.create(parsed.value, { jail: { name: 'bench', ports: ['22'], protocol: 'tcp', bantime: 3_600_000 }, logger, configDir: root, dryRun: false });
  await action.start();
  const all = tickets(total);
  let t0 = performance.now();
  for (let i = 0; i < all.length; i += BATCH) await action.ban(all.slice(i, i + BATCH));
  const banMs = performance.now() - t0;
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
  results.push(await measure('iptables + ipset', iptables, { commandPrefix: prefix, useIpset: true }, TOTAL));
  results.push(await measure('iptables (rule per address)', iptables, { commandPrefix: prefix }, Math.min(TOTAL, 10_000)));
} finally {
  spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}
console.table(results);
writeFileSync(join(root, 'bench/results-actions.json'), `${JSON.stringify(results, null, 2)}\n`);
