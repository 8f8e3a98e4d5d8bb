import type { ControlCommand } from './control-protocol.js';

/** `get`, `set`, `jail` and `flushlogs` results as text: the value alone for `get`, so scripts can read it. */
export function renderRuntimeControl(cmd: Extract<ControlCommand, 'get' | 'set' | 'jail' | 'flushlogs'>, result: unknown): string {
  switch (cmd) {
    case 'get':
      return value((result as { value: unknown }).value);
    case 'set': {
      const r = result as { jail?: string; setting: string; value: unknown };
      return `${r.jail === undefined ? '' : `${r.jail}: `}${r.setting} = ${value(r.value)}`;
    }
    case 'jail': {
      const r = result as { jail: string; running: boolean };
      return `jail ${r.jail} ${r.running ? 'started' : 'stopped'}`;
    }
    case 'flushlogs':
      return (result as { reopened: boolean }).reopened ? 'log file reopened' : 'no logfile configured (logging to stderr): nothing to reopen';
  }
}

function value(v: unknown): string {
  return Array.isArray(v) ? v.join('\n') : String(v);
}
