// fail2ban's annotated sample logs (its tests' files/logs): every log line follows a `# failJSON: {…}` comment
// that says whether fail2ban matches it, and with which host and time. `# filterOptions: […]` switches the
// filter's options for the lines after it (one run per option set), `# addFILE: "name"` reads another file.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogLine } from '../src/contract/log-line.js';

/** Where Debian's fail2ban package keeps the sample logs. */
export const FAIL2BAN_SAMPLES = '/usr/lib/python3/dist-packages/fail2ban/tests/files/logs';
/** fail2ban's tests run at this time (2005-08-14 12:00 CEST) and in this zone. */
export const TEST_NOW = 1124013600 * 1000;
export const TEST_TZ = 'Europe/Zurich';

export interface Annotated {
  readonly file: string;
  readonly lineno: number;
  readonly line: string;
  readonly match: boolean;
  readonly host: string | undefined;
  /** Local time as written (`2005-02-25T14:34:10`), undefined when the annotation gives none. */
  readonly time: string | undefined;
  /** Option sets in force (each gives one run of the line). */
  readonly optionSets: readonly Readonly<Record<string, string>>[];
}

/** The annotated lines of a filter's sample log (and the files it adds), in order. */
export function readSamples(name: string, dir: string = FAIL2BAN_SAMPLES): Annotated[] {
  const out: Annotated[] = [];
  const files = [name];
  let optionSets: Record<string, string>[] = [{}];
  for (let f = 0; f < files.length && f < 10; f++) {
    const path = join(dir, files[f]!);
    if (!existsSync(path)) continue;
    const lines = readFileSync(path, 'utf8').split('\n');
    let pending: Record<string, unknown> | undefined;
    // `fileOptions` hold for the whole file (its `test.condition` names the filter, which is ours here).
    let fileOptions: Record<string, string> = {};
    for (let n = 0; n < lines.length; n++) {
      const text = lines[n]!.replace(/\r$/, '');
      const m = /^#+ ?(failJSON|(?:file|filter)Options|addFILE):(.+)$/.exec(text);
      if (m) {
        const data = JSON.parse(m[2]!) as unknown;
        const strip = (o: Record<string, unknown>): Record<string, string> => Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('test.')).map(([k, v]) => [k, String(v)]));
        if (m[1] === 'fileOptions') {
          fileOptions = strip(data as Record<string, unknown>);
          optionSets = [{ ...fileOptions }];
        } else if (m[1] === 'filterOptions') {
          const list = (Array.isArray(data) ? data : [data]) as Record<string, unknown>[];
          optionSets = list.filter((o) => o['test.condition'] === undefined).map((o) => ({ ...fileOptions, ...strip(o) }));
        } else if (m[1] === 'addFILE') files.push(String(data));
        else if (m[1] === 'failJSON') pending = data as Record<string, unknown>;
        continue;
      }
      if (pending === undefined || text.startsWith('#') || text.trim() === '') continue;
      if (pending.constraint === undefined) {
        out.push({
          file: files[f]!,
          lineno: n + 1,
          line: text,
          match: pending.match === true,
          host: typeof pending.host === 'string' ? pending.host : undefined,
          time: typeof pending.time === 'string' ? pending.time : undefined,
          optionSets,
        });
      }
      pending = undefined;
    }
  }
  return out;
}

/**
 * A journal sample line as fail2ban writes it (`host program[pid]: message`, its formatJournalEntry) as the
 * journal source hands it over: decoded fields, `raw` the `program[pid]: message` shown for display.
 */
export function journalLine(text: string, time: number): LogLine {
  const m = /^(\S+) ([^\s[\]]+)(?:\[(\d+)\])?: (.*)$/.exec(text);
  if (!m) return { raw: `: ${text}`, message: text, time };
  const [, hostname, program, pid, message] = m as unknown as [string, string, string, string | undefined, string];
  return { raw: `${program}${pid ? `[${pid}]` : ''}: ${message}`, message, time, program, pid, hostname };
}
