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

/**
 * Turn one line of `journalctl -o json` output into a {@link SourceLine}
 * (`text: "${SYSLOG_IDENTIFIER}[${_PID}]: ${MESSAGE}"`, time from `__REALTIME_TIMESTAMP` µs) and its cursor.
 * journalctl prints a field as an array of bytes when it is not valid UTF-8 or has control characters;
 * those are decoded with replacement characters, like file lines. Returns `undefined` for a line that is
 * not a JSON object.
 */
export function parseJournalRecord(
  json: string,
): { line: SourceLine; cursor: string | undefined } | undefined {
  let record: JournalRecord;
  try {
    record = JSON.parse(json) as JournalRecord;
  } catch {
    return undefined;
  }
  if (record === null || typeof record !== 'object') return undefined;
  const message = field(record.MESSAGE) ?? '';
  const program = field(record.SYSLOG_IDENTIFIER) ?? field(record._COMM);
  // _PID is set by journald from the sender's credentials; SYSLOG_PID is what the sender claims.
  const pid = field(record._PID) ?? field(record.SYSLOG_PID);
  const micros = Number(field(record.__REALTIME_TIMESTAMP));
  return {
    line: {
      text: `${program ?? ''}${pid ? `[${pid}]` : ''}: ${message}`,
      time: Number.isFinite(micros) && micros > 0 ? micros / 1000 : undefined,
      program,
      pid,
      hostname: field(record._HOSTNAME),
    },
    cursor: field(record.__CURSOR),
  };
}

function field(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) {
    // A field repeated in one record comes as an array of values; bytes are numbers.
    if (value.every((b) => typeof b === 'number')) return Buffer.from(value as number[]).toString('utf8');
    return field(value[value.length - 1]);
  }
  return undefined;
}
