// Loaded with `node --require` into a benchmarked client: records its CPU time (user + system, ms) at exit.
const { writeFileSync } = require('node:fs');
const file = process.env.BENCH_CPU_FILE;
if (file) process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  writeFileSync(file, String(Math.round((user + system) / 1000)));
});
