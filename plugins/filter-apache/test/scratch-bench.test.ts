import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { LineParser, compileFilter } from '@portcullis/core/engine';
import { checkHostile } from '@portcullis/testkit';
import apache from '../src/index.js';
import lighttpd from '../../filter-lighttpd/src/index.js';
import vsftpd from '../../filter-vsftpd/src/index.js';

function linesOf(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#') && !l.startsWith('{'));
}
const root = '/work/main/plugins/';
const access = Array.from({ length: 50 }, (_, i) => `192.0.2.${i} - - [01/Jun/2013:02:18:${String(i % 60).padStart(2, '0')} +0000] "GET /page/${i}.html HTTP/1.1" 200 ${1000 + i} "https://example.com/ref/${i}" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"`);
const errorNoise = Array.from({ length: 50 }, (_, i) => `[Thu Jul 04 12:41:${String(i % 60).padStart(2, '0')}.000000 2013] [core:info] [pid 1234] [client 192.0.2.${i}:50042] AH00128: File does not exist: /var/www/html/img/${i}.png`);
const sets: [string, { filters: readonly any[] }, string[]][] = [
  ['apache', apache, [...linesOf(`${root}filter-apache/test/fixtures/apache-auth.log`), ...errorNoise, ...access]],
  ['apache-access', apache, [...linesOf(`${root}filter-apache/test/fixtures/apache-badbots.log`), ...access]],
  ['lighttpd', lighttpd, linesOf(`${root}filter-lighttpd/test/fixtures/lighttpd-auth.log`)],
  ['vsftpd', vsftpd, [...linesOf(`${root}filter-vsftpd/test/fixtures/vsftpd.log`), ...linesOf(`${root}filter-vsftpd/test/fixtures/vsftpd-syslog.log`)]],
];
it('bench', () => {
  for (const [name, plugin, lines] of sets) {
    const parser = new LineParser({ format: 'syslog' });
    const parsed = lines.map((l) => parser.parse(l));
    for (const def of plugin.filters) {
      for (const opts of [{}, ...(def.options?.mode ? [{ mode: 'aggressive' }] : [])]) {
        const f = compileFilter(def, opts);
        for (let w = 0; w < 2000; w++) for (const l of parsed) f.match(l);
        let n = 0;
        let hits = 0;
        const start = performance.now();
        while (performance.now() - start < 300) {
          for (const l of parsed) {
            if (f.match(l)) hits++;
            n++;
          }
        }
        const ms = performance.now() - start;
        console.log(`${name} ${def.id} ${JSON.stringify(opts)}: ${Math.round((n / ms) * 1000).toLocaleString()} lines/s (${lines.length} lines, ${hits / (n / lines.length)} hits/pass)`);
      }
      console.log(`  hostile ${def.id}: ${Math.round(checkHostile(def).ms)} ms`);
    }
  }
}, 120000);
