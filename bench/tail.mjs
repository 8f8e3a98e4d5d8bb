// `node bench/tail.mjs [--rate 100000] [--seconds 10] [--flush-ms 5]`: file source throughput, CPU and latency.
//
// A writer process appends sshd-like lines (~110 bytes) to a temp log at --rate lines/s, flushing every
// --flush-ms like a syslog daemon; this process follows the file with the file source (bundled from
// packages/core/src, so no build is needed) and a sink that only counts. Each line carries its write time, so
// the last line of every batch gives the append-to-delivery latency. Prints lines/s, the reader's CPU (% of
// one core, user+system) and latency percentiles; fails when a line is missing or duplicated.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const rate = arg('rate', 100_000);
const seconds = arg('seconds', 10);
const flushMs = arg('flush-ms', 5);
const now = () => performance.timeOrigin + performance.now();

if (process.argv[2] === 'writer') {
  // The writer: batches of lines every flushMs, paced against the clock so the rate holds on average.
  const fd = openSync(process.argv[3], 'a');
  const total = rate * seconds;
  const start = now();
  let n = 0;
  const tick = () => {
    const due = Math.min(total, Math.floor(((now() - start) / 1000) * rate));
    if (due > n) {
      const t = now().toFixed(3);
      let chunk = '';
      while (n < due) {
        n++;
        chunk += `Mar  1 12:00:00 gate sshd[${1000 + (n % 50000)}]: Failed password for root from 10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255} port 22 ssh2 n=${n} t=${t}\n`;
      }
      writeSync(fd, chunk);
    }
    if (n < total) setTimeout(tick, flushMs);
    else closeSync(fd);
  };
  tick();
} else {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const esbuild = createRequire(createRequire(join(root, 'package.json')).resolve('vite'))('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'pcl-bench-tail-'));
  const bundle = join(dir, 'file-source.mjs');
  await esbuild.build({
    entryPoints: [join(root, 'packages/core/src/sources/file-source.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    conditions: ['@portcullis/source'],
    logLevel: 'error',
  });
  const { createFileSource } = await import(bundle);
  const log = join(dir, 'auth.log');
  closeSync(openSync(log, 'w'));

  let lines = 0;
  let batches = 0;
  let lastN = 0;
  let disorder = 0;
  const latencies = [];
  const source = createFileSource({
    paths: [log],
    logger: {
      debug() {},
      info() {},
      warn: console.warn,
      error: console.error,
      child() {
        return this;
      },
    },
  });
  await source.start((batch) => {
    lines += batch.length;
    batches++;
    const last = batch[batch.length - 1].text;
    const n = Number(last.slice(last.lastIndexOf(' n=') + 3, last.lastIndexOf(' t=')));
    if (n !== lastN + batch.length) disorder++;
    lastN = n;
    latencies.push(now() - Number(last.slice(last.lastIndexOf('t=') + 2)));
  });

  const total = rate * seconds;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  const writer = spawn(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      'writer',
      log,
      '--rate',
      String(rate),
      '--seconds',
      String(seconds),
      '--flush-ms',
      String(flushMs),
    ],
    {
      stdio: 'inherit',
    },
  );
  const writerExit = new Promise((r) => writer.once('exit', r));
  const deadline = t0 + seconds * 1000 + 15_000;
  while (lines < total && now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const wall = (now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await writerExit;
  await source.stop();
  rmSync(dir, { recursive: true, force: true });

  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]?.toFixed(1);
  const result = {
    lines,
    expected: total,
    linesPerSecond: Math.round(lines / wall),
    readerCpuPercent: +(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(1),
    cpuMicrosPerLine: +((cpu.user + cpu.system) / lines).toFixed(3),
    batches,
    linesPerBatch: Math.round(lines / batches),
    latencyMs: { p50: pct(50), p99: pct(99), max: latencies.at(-1)?.toFixed(1) },
    outOfOrderBatches: disorder,
  };
  console.log(JSON.stringify(result, null, 2));
  if (lines !== total || disorder > 0) {
    console.error('FAIL: lines missing, duplicated or out of order');
    process.exit(1);
  }
}
