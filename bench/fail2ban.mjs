// fail2ban compatibility speed, in one run on one log: fail2ban's own filter.d/nginx-http-auth.conf read by
// Portcullis (`test-filter fail2ban:nginx-http-auth`), a native filter of the same size (its one failregex,
// as a regex argument: the message-view pipeline every plugin filter uses), and fail2ban-regex itself.
// The log: 1,000,000 lines drawn from fail2ban's annotated nginx-http-auth samples (matching and not), their
// addresses varied over 50,000 hosts. Needs Debian's fail2ban package (filter.d, samples, fail2ban-regex).
// Usage: pnpm bench:fail2ban   (BENCH_LINES to change the size; writes bench/results-fail2ban.json)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps/portcullis/dist/cli.js');
const samples = '/usr/lib/python3/dist-packages/fail2ban/tests/files/logs/nginx-http-auth';
const conf = '/etc/fail2ban/filter.d/nginx-http-auth.conf';
const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
for (const [f, why] of [[cli, 'run pnpm build first'], [samples, 'apt-get install fail2ban'], [conf, 'apt-get install fail2ban'], ['/usr/bin/fail2ban-regex', 'apt-get install fail2ban']]) {
  if (!existsSync(f)) {
    console.error(`${f} not found: ${why}`);
    process.exit(2);
  }
}

// The native equivalent of the filter's normal mode (mdre-auth), after the date: the same regex.
const NATIVE = String.raw`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] \d+#\d+: \*\d+ user "(?:[^"]+|.*?)":? (?:password mismatch|was not found in "[^"]*"), client: <HOST>, server: \S*, request: "\S+ \S+ HTTP/\d+\.\d+", host: "\S+"(?:, referrer: "\S+")?\s*$`;

let seed = 0x9e3779b9;
function rand() {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}

const dataDir = join(root, 'bench/data');
mkdirSync(dataDir, { recursive: true });
const log = join(dataDir, `fail2ban-nginx-http-auth-${LINES}.log`);
if (!existsSync(log) || statSync(log).size === 0) {
  const lines = readFileSync(samples, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  const out = [];
  for (let i = 0; i < LINES; i++) {
    const host = i % 50_000;
    out.push(lines[Math.floor(rand() * lines.length)].replace(/\b(?:\d{1,3}\.){3}\d{1,3}\b/g, () => `10.${(host >> 8) & 255}.${host & 255}.${1 + (i % 200)}`));
  }
  writeFileSync(log, `${out.join('\n')}\n`);
}

function timed(label, argv) {
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, TZ: 'UTC' } });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${label} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  return { ms, stdout: r.stdout };
}

const matchedOf = (out) => Number(/matched:\s+(\d+)/.exec(out)?.[1]);
const compat = timed('fail2ban:nginx-http-auth', [process.execPath, cli, 'test-filter', 'fail2ban:nginx-http-auth', log]);
const native = timed('native', [process.execPath, cli, 'test-filter', NATIVE, log]);
const f2b = timed('fail2ban-regex', ['/usr/bin/fail2ban-regex', log, conf]);
const f2bMatched = Number(/Lines: \d+ lines, \d+ ignored, (\d+) matched/.exec(f2b.stdout)?.[1]);
const rate = (ms) => Math.round(LINES / (ms / 1000));
const result = {
  lines: LINES,
  node: process.version,
  compat: { ms: Math.round(compat.ms), linesPerSecond: rate(compat.ms), matched: matchedOf(compat.stdout) },
  native: { ms: Math.round(native.ms), linesPerSecond: rate(native.ms), matched: matchedOf(native.stdout) },
  fail2banRegex: { ms: Math.round(f2b.ms), linesPerSecond: rate(f2b.ms), matched: f2bMatched },
  compatVsNative: Number((compat.ms / native.ms).toFixed(2)),
  fail2banRegexVsCompat: Number((f2b.ms / compat.ms).toFixed(1)),
};
console.log(JSON.stringify(result, null, 2));
writeFileSync(join(root, 'bench/results-fail2ban.json'), `${JSON.stringify(result, null, 2)}\n`);
if (result.compat.matched !== result.fail2banRegex.matched) console.error(`note: matched lines differ: Portcullis ${result.compat.matched}, fail2ban-regex ${result.fail2banRegex.matched}`);
