// `node packages/store-sqlite/bench/store-ops.mjs [--n 50000] [--dir /var/tmp]`: SqliteBanStore operations
// per second on a real file (bundled from src, so no build is needed), plus addBan with synchronous=FULL for
// comparison with the NORMAL the store uses.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const n = Number(arg('n', 50_000));
const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../package.json'));
const esbuild = createRequire(require.resolve('vite'))('esbuild');
const dir = mkdtempSync(join(arg('dir', tmpdir()), 'pcl-store-bench-'));
const bundle = join(dir, 'store.mjs');
const sqlite = require.resolve('better-sqlite3');
await esbuild.build({
  entryPoints: [join(here, '../src/index.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: bundle,
  conditions: ['@portcullis/source'],
  logLevel: 'error',
  plugins: [
    {
      name: 'native',
      setup: (b) => b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: sqlite, external: true })),
    },
  ],
});
const { SqliteBanStore } = await import(bundle);

const ip = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const ban = (i) => ({
  jail: 'sshd',
  ip: ip(i),
  family: 4,
  time: Date.now(),
  bantime: 600_000,
  expires: Date.now() + 600_000,
  failures: 5,
  banCount: 1,
  matches: [`Mar  1 12:00:00 gate sshd[1234]: Failed password for root from ${ip(i)} port 22 ssh2`],
  users: ['root'],
  reason: 'failures',
});
const measure = (label, count, fn) => {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) fn(i);
  const s = (performance.now() - t0) / 1000;
  console.log(
    `${label.padEnd(28)} ${Math.round(count / s)
      .toLocaleString('en')
      .padStart(10)} ops/s  (${((s / count) * 1e6).toFixed(1)} µs/op)`,
  );
};

const store = SqliteBanStore.open(join(dir, 'normal.db'));
measure('addBan', n, (i) => store.addBan(ban(i)));
measure('setPosition', n, (i) =>
  store.setPosition('/var/log/auth.log', {
    offset: i * 100,
    dev: 2049,
    ino: 1234567,
    headHash: 'a'.repeat(40),
  }),
);
measure('getPosition', n, () => store.getPosition('/var/log/auth.log'));
measure('banCount (jail)', n, (i) => store.banCount(ip(i), 'sshd', 0));
measure('removeBan', n, (i) => store.removeBan('sshd', ip(i)));
measure('currentBans (1,000 bans)', 100, (i) => {
  if (i === 0) for (let j = 0; j < 1000; j++) store.addBan(ban(j));
  store.currentBans();
});
store.close();

// The same insert with an fsync per commit, for the durability trade-off (see SqliteBanStore); `db` is
// private in TypeScript only.
const full = SqliteBanStore.open(join(dir, 'full.db'));
full.db.pragma('synchronous = FULL');
measure('addBan (synchronous=FULL)', Math.min(n, 2000), (i) => full.addBan(ban(i)));
full.close();
rmSync(dir, { recursive: true, force: true });
