// Loaded with `node --require` into the benchmarked process: records its peak RSS (KiB) at exit.
const { writeFileSync } = require('node:fs');
const file = process.env.BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
