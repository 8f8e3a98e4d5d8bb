import { MAX_LINE_LENGTH } from '../contract/limits.js';
import type { SourceLine } from '../contract/log-source.js';

/** The fields of a `journalctl -o json` record the engine uses. Values are strings, byte arrays or null. */
interface JournalRecord {
  MESSAGE?: unknown;
  SYSLOG_IDENTIFIER?: unknown;
  _COMM?: unknown;
  _PID?: unknown;
  SYSLOG_PID?: unknown;
  _HOSTNAME?: unknown;
  __REALTIME_TIMESTAMP?: unknown;
  __CURSOR?: unknown;
}

/** A decoded journal record: the line for the engine and where the journal stands after it. */
export interface JournalEntry {
  readonly line: SourceLine;
  readonly cursor: string | undefined;
}

/**
 * The one journal decoder: the journal source and `LineParser`'s `journal` format (test-filter) both read
 * records through it, so a record reaches the filters the same way on both paths. The {@link SourceLine} has
 * `message = MESSAGE` (cut to {@link MAX_LINE_LENGTH}: a record can hold far more than a file line),
 * `program = SYSLOG_IDENTIFIER` (else `_COMM`), `pid = _PID` (else `SYSLOG_PID`), `hostname = _HOSTNAME`,
 * `time = __REALTIME_TIMESTAMP / 1000` (whole ms), and `text = "program[pid]: message"` for display only.
 * journalctl prints a field as an array of bytes when it is not valid UTF-8 or has control characters;
 * those are decoded with replacement characters, like file lines. Returns `undefined` for a line that is
 * not a JSON object with a `MESSAGE` or a `__REALTIME_TIMESTAMP`.
 */
export function decodeJournalRecord(json: string): JournalEntry | undefined {
  let record: JournalRecord;
  try {
    record = JSON.parse(json) as JournalRecord;
  } catch {
    return undefined;
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return undefined;
  if (!('MESSAGE' in record) && !('__REALTIME_TIMESTAMP' in record)) return undefined;
  let message = field(record.MESSAGE) ?? '';
  if (message.length > MAX_LINE_LENGTH) message = message.slice(0, MAX_LINE_LENGTH);
  const program = field(record.SYSLOG_IDENTIFIER) ?? field(record._COMM);
  // _PID is set by journald from the sender's credentials; SYSLOG_PID is what the sender claims.
  const pid = field(record._PID) ?? field(record.SYSLOG_PID);
  const micros = field(record.__REALTIME_TIMESTAMP);
  return {
    line: {
      text: `${program ?? ''}${pid ? `[${pid}]` : ''}: ${message}`,
      message,
      time: micros !== undefined && DIGITS.test(micros) ? Math.floor(Number(micros) / 1000) : undefined,
      program,
      pid,
      hostname: field(record._HOSTNAME),
    },
    cursor: field(record.__CURSOR),
  };
}

const DIGITS = /^\d{1,20}$/;

function field(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) {
    // Bytes are numbers; a field repeated in one record comes as an array of values (the last one wins).
    if (value.every((b) => typeof b === 'number' && b >= 0 && b <= 255))
      return Buffer.from(value as number[]).toString('utf8');
    return field(value[value.length - 1]);
  }
  return undefined;
}
