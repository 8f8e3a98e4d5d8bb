// Loaded with `node --require` into the benchmarked process: records at exit its peak RSS (KiB) and the CPU
// time it used (user and system, microseconds), space-separated. CPU time is the figure to compare on a
// loaded machine, where wall-clock time swings with what else runs.
const { writeFileSync } = require('node:fs');
const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, `${u.maxRSS} ${u.userCPUTime} ${u.systemCPUTime}`);
  });
}
