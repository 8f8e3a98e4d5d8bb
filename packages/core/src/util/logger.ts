/** Structured logger handed to plugins and engine parts; pino-compatible subset. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  /** A logger whose records carry the given bindings (e.g. `{ jail: 'sshd' }`). */
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything; the default where none is given. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
