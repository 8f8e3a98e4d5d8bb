// Per-filter throughput: for every shipped filter, a 1,000,000-line log of that service is built from the
// filter's own annotated sample logs (every sample line, positive and negative, with its addresses varied
// over 50,000 hosts), then `portcullis test-filter <id> <log> --json` runs over it. Reports lines/s and
// peak RSS per filter (and per mode where the filter has modes). Deterministic: a seeded PRNG.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps/portcullis/dist/cli.js');
const dataDir = join(root, 'bench/data');
const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const only = process.argv.includes('--filter') ? process.argv[process.argv.indexOf('--filter') + 1] : undefined;

if (!existsSync(cli)) {
  console.error('apps/portcullis is not built: run pnpm build first');
  process.exit(2);
}
mkdirSync(dataDir, { recursive: true });

let seed = 0x9e3779b9;
function rand() {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}

const v4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
function vary(line, i) {
  const host = i % 50_000;
  return line.replace(v4, () => `10.${(host >> 8) & 255}.${host & 255}.${1 + (i % 200)}`);
}

/** Sample log lines of a plugin's fixtures (syslog-format blocks only), grouped by filter id. */
function samples(pluginDir) {
  const fixtures = join(pluginDir, 'test/fixtures');
  const byFilter = new Map();
  if (!existsSync(fixtures)) return byFilter;
  for (const f of readdirSync(fixtures)) {
    if (!f.endsWith('.log')) continue;
    const lines = [];
    let journal = false;
    for (const l of readFileSync(join(fixtures, f), 'utf8').split('\n')) {
      if (l.startsWith('#>')) journal = /format=journal/.test(l);
      if (!l || l.startsWith('#') || journal) continue;
      lines.push(l);
    }
    const id = f.replace(/\.log$/, '').replace(/-(?:multiline|journal|5424|injection|ddos|extra|aggressive|normal|syslog|file|\d+)$/g, '');
    byFilter.set(id, [...(byFilter.get(id) ?? []), ...lines]);
  }
  return byFilter;
}

function filterIds() {
  const out = [];
  for (const dir of readdirSync(join(root, 'plugins'))) {
    if (!dir.startsWith('filter-')) continue;
    const pluginDir = join(root, 'plugins', dir);
    const probe = spawnSync(process.execPath, ['--input-type=module', '-e', `const p = (await import(${JSON.stringify(join(pluginDir, 'dist/index.js'))})).default; console.log(JSON.stringify(p.filters.map((f) => ({ id: f.id, modes: f.options?.mode?.values ?? [] }))))`], { encoding: 'utf8' });
    if (probe.status !== 0) continue;
    const sampleLines = samples(pluginDir);
    const all = [...sampleLines.values()].flat();
    for (const f of JSON.parse(probe.stdout)) out.push({ ...f, lines: sampleLines.get(f.id) ?? all });
  }
  return out;
}

function build(id, lines) {
  const file = join(dataDir, `${id}.log`);
  if (existsSync(file) && statSync(file).size > 0 && !process.env.BENCH_REGENERATE) return file;
  const out = [];
  for (let i = 0; i < LINES; i++) out.push(vary(lines[Math.floor(rand() * lines.length)], i));
  writeFileSync(file, `${out.join('\n')}\n`);
  return file;
}

const results = [];
for (const f of filterIds()) {
  if (only && f.id !== only) continue;
  if (!f.lines.length) continue;
  const file = build(f.id, f.lines);
  const modes = f.modes.length ? [...new Set([f.modes.includes('aggressive') ? 'aggressive' : f.modes[0]])] : [undefined];
  for (const mode of modes) {
    const args = [cli, 'test-filter', f.id, file, '--json', ...(mode ? ['--option', `mode=${mode}`] : [])];
    const t0 = process.hrtime.bigint();
    const run = spawnSync(process.execPath, ['--max-old-space-size=256', ...args], { encoding: 'buffer', maxBuffer: 1 << 30 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const matched = run.stdout.toString('utf8').split('\n').filter(Boolean).length;
    results.push({ filter: f.id, mode: mode ?? '-', lines: LINES, matched, seconds: +(ms / 1000).toFixed(2), linesPerSecond: Math.round(LINES / (ms / 1000)), ok: run.status === 0 });
    console.log(results.at(-1));
  }
}
console.table(results);
// With --filter, only that filter's entries are replaced in the file.
const file = join(root, 'bench/results-filters.json');
const previous = only && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).filter((r) => r.filter !== only) : [];
writeFileSync(file, `${JSON.stringify([...previous, ...results].sort((a, b) => a.filter.localeCompare(b.filter)), null, 2)}\n`);
