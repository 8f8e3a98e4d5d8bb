// `pnpm bench:readme`: writes the README's resource table (between the bench markers) from the committed
// bench/results*.json, so the figures there are always the measured ones. `--check` changes nothing and
// exits 1 when the README's table is not the one the results give (a test in the default run does this).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BEGIN = '<!-- bench:begin (written by `pnpm bench:readme` from bench/results*.json; do not edit) -->';
const END = '<!-- bench:end -->';
const read = (name) => JSON.parse(readFileSync(join(root, 'bench', name), 'utf8'));

const millions = (n) => `${(n / 1e6).toFixed(2)} M`;
const thousands = (n) => `${Math.round(n / 1000).toLocaleString('en')},000`;
const percent = (x) => `${Math.round(x * 100)}%`;

/** The table, from the results files. */
export function renderTable() {
  const normal = read('results.json');
  const aggressive = read('results-sshd-aggressive.json');
  const filters = read('results-filters.json');
  const daemon = read('results-daemon.json');
  const actions = read('results-actions.json').results;
  const restart = read('results-restart.json');
  const control = read('results-control.json');
  const fleet = read('results-fleet.json');
  const nftLatency = read('results-nft-latency.json');
  const action = (name) => actions.find((a) => a.action === name);
  const range = (values) => `${Math.min(...values)}–${Math.max(...values)}`;
  const speeds = filters.map((f) => f.linesPerSecond);
  const shares = filters.map((f) => f.matched / f.lines);
  const checked = normal.checked && normal.hostsDiffering === 0 && aggressive.checked && aggressive.hostsDiffering === 0;
  const nft = action('nftables');
  const ipset = action('iptables + ipset');
  const plain = action('iptables (rule per address)');
  const rows = [
    [
      `\`test-filter sshd\` on a ${normal.lines.toLocaleString('en')}-line auth.log, whole command incl. start-up`,
      `normal mode ${millions(normal.linesPerSecond)} lines/s, aggressive ${millions(aggressive.linesPerSecond)} lines/s${normal.allThreads ? ` by default (\`--threads ${normal.allThreads.threads}\`: ${millions(normal.lines / normal.allThreads.seconds)} / ${millions(aggressive.lines / aggressive.allThreads.seconds)} lines/s)` : ''}; peak RSS ${normal.peakRssMiB} / ${aggressive.peakRssMiB} MiB${normal.allThreads ? ` (${normal.allThreads.peakRssMiB} MiB with ${normal.allThreads.threads} threads` : ' ('}${normal.json ? `, ${normal.json.peakRssMiB} MiB with \`--json\`)` : ')'}${normal.floorCpuRatio !== undefined ? `; with \`--hosts\` (failures per host, the floor's job) ${normal.floorRatio}× the floor (\`bench/floor.mjs\`, same run) by wall time, ${normal.floorCpuRatio}× by CPU time${normal.allThreads ? ` (${normal.allThreads.threads} threads: ${normal.allThreads.floorRatio}× / ${normal.allThreads.floorCpuRatio}×; aggressive ${aggressive.floorRatio}×, ${aggressive.allThreads?.threads} threads ${aggressive.allThreads?.floorRatio}×)` : ''}` : ''}${normal.json ? `, with \`--json\` (a record per failure, one thread) ${normal.json.floorRatio}× / ${normal.json.floorCpuRatio}×` : ''}${checked ? "; every host's count as generated" : ''}`,
    ],
    [
      `\`test-filter\` per filter (${filters.length} filters), 1M-line logs built from each filter's samples (${percent(Math.min(...shares))}–${percent(Math.max(...shares))} matching)`,
      `${millions(Math.min(...speeds))}–${millions(Math.max(...speeds))} lines/s${filters.every((f) => f.floorCpuRatio !== undefined) ? `; ${range(filters.map((f) => f.floorRatio))}× the floor (same run, each on its own log) by wall time, ${range(filters.map((f) => f.floorCpuRatio))}× by CPU time` : ''}${filters.every((f) => f.oneThread) ? `; one thread: ${range(filters.map((f) => f.oneThread.floorRatio))}× / ${range(filters.map((f) => f.oneThread.floorCpuRatio))}×` : ''}`,
    ],
    [`ban latency, failure line appended → ban event written (${daemon.latency.bans.toLocaleString('en')} bans)`, `p50 ${daemon.latency.p50ms} ms, p99 ${daemon.latency.p99ms} ms`],
    [
      `${daemon.sustained.writeRate.toLocaleString('en')} lines/s into one file read by ${daemon.sustained.jails} jails (${daemon.sustained.linesRead.toLocaleString('en')} of ${daemon.sustained.linesWritten.toLocaleString('en')} lines read)`,
      `${daemon.sustained.cpuCores} CPU cores, peak RSS ${daemon.sustained.peakRssMiB} MiB`,
    ],
    [
      `nftables, ${nft.bans.toLocaleString('en')} bans (half IPv6) in a namespace`,
      `${thousands(nft.bansPerSecond)} bans/s, ${thousands(nft.unbansPerSecond)} unbans/s; one ban in the kernel in ${nft.singleBanP50ms} ms (p50)`,
    ],
    [
      `failure line appended → address in the kernel's nftables set, through the daemon (\`pnpm bench:nft-latency\`, ${nftLatency.bans.toLocaleString('en')} bans)`,
      `p50 ${nftLatency.p50ms} ms, p95 ${nftLatency.p95ms} ms, p99 ${nftLatency.p99ms} ms (load average ${nftLatency.loadavg1} when measured)`,
    ],
    ['iptables + ipset / plain iptables', `${thousands(ipset.bansPerSecond)} / ${thousands(plain.bansPerSecond)} bans/s`],
    [
      `restart with ${restart.bans.toLocaleString('en')} bans in the store (\`pnpm bench:restart\`)`,
      `${restart.cpuAtPingS} s of CPU until \`ping\` answers, peak RSS ${restart.peakRssMiB} MiB, ${restart.rssHoldingBansMiB} MiB once the bans are held (whole daemon); ${restart.batchCounterBatches} batch per action, ${restart.dryRunRestoreEvents} restore events`,
    ],
    [
      `\`banned --json\` / \`unban --all\` with ${control.bans.toLocaleString('en')} bans (\`pnpm bench:control\`)`,
      `daemon RSS growth ${control.banned.rssGrowthMiB} / ${control.unbanAll.rssGrowthMiB} MiB; daemon CPU ${control.banned.daemonCpuSeconds} / ${control.unbanAll.daemonCpuSeconds} s`,
    ],
    [
      `fleet: a ban on one node → applied on the two others (\`pnpm bench:fleet\`, ${fleet.propagation.bans.toLocaleString('en')} bans)`,
      `p50 ${fleet.propagation.p50ms} ms, p99 ${fleet.propagation.p99ms} ms; Redis memory ${fleet.memory.bytesPerBan} bytes per fleet ban`,
    ],
  ];
  return ['| what | figure |', '|---|---|', ...rows.map(([what, figure]) => `| ${what} | ${figure} |`)].join('\n');
}

/** The README with its table replaced (throws when the markers are missing). */
export function withTable(readme, table = renderTable()) {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin === -1 || end < begin) throw new Error(`README.md has no bench markers (${BEGIN} … ${END})`);
  return `${readme.slice(0, begin + BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = join(root, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const next = withTable(readme);
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error('README.md: the resource table differs from bench/results*.json; run `pnpm bench:readme`');
      process.exit(1);
    }
  } else if (next !== readme) {
    writeFileSync(file, next);
    console.log('README.md: resource table rewritten from bench/results*.json');
  }
}
