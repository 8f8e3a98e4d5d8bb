import { type Runtime, checkLogLevel } from '@portcullis/core/engine';
import type { ControlCommand } from './control-protocol.js';
import { ProtocolError } from './control-protocol.js';
import { optionalString } from './control-dispatch.js';

/** What fail2ban-client-style runtime control needs from the daemon besides the runtime. */
export interface RuntimeControlHandlers {
  /** The daemon's log level now. */
  logLevel?(): string;
  /** Change the daemon's log level (every jail's and action's logger) until the next restart. */
  setLogLevel?(level: string): void;
  /** Reopen the `logfile` (after logrotate moved it); false when the daemon logs to stderr. */
  flushLogs?(): boolean;
}

type RuntimeControlTarget = Pick<Runtime, 'getSetting' | 'setSetting' | 'stopJail' | 'startJail' | 'jailNames'>;

/**
 * `get`, `set`, `jail start|stop` and `flushlogs`: change the running daemon without touching its config
 * file, so a change lasts until the next reload or restart.
 */
export async function runtimeControl(cmd: Extract<ControlCommand, 'get' | 'set' | 'jail' | 'flushlogs'>, args: Record<string, unknown>, rt: RuntimeControlTarget, handlers: RuntimeControlHandlers): Promise<unknown> {
  switch (cmd) {
    case 'get': {
      const setting = required(args, 'setting');
      if (setting === 'loglevel') return { setting, value: handlers.logLevel?.() ?? 'info' };
      const jail = required(args, 'jail');
      return { jail, setting, value: rt.getSetting(jail, setting) };
    }
    case 'set': {
      const setting = required(args, 'setting');
      const value = required(args, 'value');
      if (setting === 'loglevel') {
        checkLogLevel(value);
        handlers.setLogLevel?.(value);
        return { setting, value };
      }
      const jail = required(args, 'jail');
      return { jail, setting: setting.endsWith('ignoreip') ? 'ignoreip' : setting, value: await rt.setSetting(jail, setting, value) };
    }
    case 'jail': {
      const name = required(args, 'jail');
      const action = required(args, 'action');
      if (action === 'stop') await rt.stopJail(name);
      else if (action === 'start') await rt.startJail(name);
      else throw new ProtocolError('BAD_REQUEST', '"action" must be "start" or "stop"');
      return { jail: name, running: action === 'start', jails: rt.jailNames };
    }
    case 'flushlogs':
      return { reopened: handlers.flushLogs?.() ?? false };
  }
}

function required(args: Record<string, unknown>, key: string): string {
  const value = optionalString(args, key);
  if (value === undefined) throw new ProtocolError('BAD_REQUEST', `"${key}" is required`);
  return value;
}
