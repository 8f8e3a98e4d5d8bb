import type { Logger } from '../src/util/logger.js';

/** One call to a {@link recordingLogger}: its level, its fields (`{}` when only a message was given), its message. */
export interface LogRecord {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps what it was told, in order, in `records`. */
export function recordingLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      records.push(
        typeof obj === 'string'
          ? { level, obj: {}, msg: obj }
          : { level, obj: obj as Record<string, unknown>, msg: msg ?? '' },
      );
    };
  const logger = {
    records,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}
