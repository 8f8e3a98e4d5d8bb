// `pnpm bench` ends here: one table of what the other benches wrote (bench/results*.json) — test-filter
// against the floor by wall clock and by CPU time, peak RSS, the per-filter range and the daemon — and
// the same figures in bench/results-summary.json. A bench that did not run shows as missing.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const read = (name) =>
  existsSync(join(dir, name)) ? JSON.parse(readFileSync(join(dir, name), 'utf8')) : undefined;
const sshdFigures = (r) =>
  r && {
    seconds: r.seconds,
    cpuSeconds: r.cpuSeconds,
    linesPerSecond: r.linesPerSecond,
    peakRssMiB: r.peakRssMiB,
    floorSeconds: r.floor?.seconds,
    floorCpuSeconds: r.floor?.cpuSeconds,
    floorPeakRssMiB: r.floor?.peakRssMiB,
    floorRatio: r.floorRatio,
    floorCpuRatio: r.floorCpuRatio,
    oneThread: r.oneThread,
    allThreads: r.allThreads,
    exact: r.checked ? r.hostsDiffering === 0 : undefined,
  };
const filters = read('results-filters.json');
const rates = filters?.map((f) => f.linesPerSecond) ?? [];
const summary = {
  node: process.version,
  sshd: sshdFigures(read('results.json')),
  sshdAggressive: sshdFigures(read('results-sshd-aggressive.json')),
  filters: rates.length
    ? { count: rates.length, minLinesPerSecond: Math.min(...rates), maxLinesPerSecond: Math.max(...rates) }
    : undefined,
  daemon: read('results-daemon.json'),
};
const n = (v, unit = '') =>
  v === undefined || Number.isNaN(v) ? 'missing' : `${v.toLocaleString('en')}${unit}`;
const row = (r) =>
  r
    ? `${n(r.seconds, ' s')} (CPU ${n(r.cpuSeconds, ' s')}), ${n(r.peakRssMiB, ' MiB')}; floor ${n(r.floorSeconds, ' s')} (CPU ${n(r.floorCpuSeconds, ' s')}), ${n(r.floorPeakRssMiB, ' MiB')}; ${n(r.floorRatio, '×')} wall, ${n(r.floorCpuRatio, '×')} CPU${r.allThreads ? ` (default threads; ${r.allThreads.threads} threads ${n(r.allThreads.floorRatio, '×')} wall, ${n(r.allThreads.floorCpuRatio, '×')} CPU)` : ''}`
    : 'missing';
const d = summary.daemon?.sustained;
const rows = [
  ['test-filter sshd (normal)', row(summary.sshd)],
  ['test-filter sshd (aggressive)', row(summary.sshdAggressive)],
  [
    'test-filter, other filters',
    summary.filters
      ? `${n(summary.filters.minLinesPerSecond)}–${n(summary.filters.maxLinesPerSecond)} lines/s (${summary.filters.count} runs)`
      : 'missing',
  ],
  [
    'daemon, 7 jails',
    d ? `${n(d.writeRate)} lines/s: ${n(d.cpuCores)} cores, ${n(d.peakRssMiB, ' MiB')} peak` : 'missing',
  ],
  [
    'ban latency',
    summary.daemon?.latency
      ? `p50 ${n(summary.daemon.latency.p50ms, ' ms')}, p99 ${n(summary.daemon.latency.p99ms, ' ms')}`
      : 'missing',
  ],
];
const width = Math.max(...rows.map((r) => r[0].length));
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
writeFileSync(join(dir, 'results-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
