import * as fs from 'node:fs';
import { LineParser, compileFilter } from '@portcullis/core/engine';
import { it } from 'vitest';
import { sshd } from '../src/index.js';
it('probe', () => {
  const mode = process.env.PQ_MODE ?? 'normal';
  const f = compileFilter(sshd, { mode });
  const p = new LineParser({ format: (process.env.PQ_FMT ?? 'syslog') as 'syslog' });
  const lines = fs.readFileSync('/tmp/pq/in.txt', 'utf8').split('\n').filter(Boolean);
  for (const l of lines) {
    const pl = p.parse(l);
    const r = f.match(pl);
    console.log(JSON.stringify({ prog: pl.program, pid: pl.pid, msg: pl.message, time: pl.time }), '=>', JSON.stringify((r ?? []).map((x) => [x.host, x.user, x.rule])));
  }
});
