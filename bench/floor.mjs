// The simplest Node program that does the job: read the log with readline, one regex, a Map of counts per
// host. `pnpm bench` runs it on the same log in the same run as `test-filter` and prints the ratio, so the
// figure says how Portcullis compares with what the language gives for free.
// Usage: node bench/floor.mjs <log> [<regex>]   (prints failures and hosts as JSON)
// The regex's first group is the host; the default is sshd's. bench/filters.mjs passes a dotted quad for
// the other filters' logs (their bench logs hold IPv4 addresses only).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const re = process.argv[3] ? new RegExp(process.argv[3]) : /sshd\[\d+\]: Failed \S+ for (?:invalid user )?.+? from (\S+) port \d+/;
const counts = new Map();
let failures = 0;
const rl = createInterface({ input: createReadStream(process.argv[2]), crlfDelay: Number.POSITIVE_INFINITY });
for await (const line of rl) {
  const m = re.exec(line);
  if (m) {
    failures++;
    counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
  }
}
console.log(JSON.stringify({ failures, hosts: counts.size }));
