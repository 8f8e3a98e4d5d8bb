import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import picomatch from 'picomatch';
import { createFileSource } from '../sources/file-source.js';
import { createJournalSource } from '../sources/journal-source.js';
import type { ComposedJail } from './load-config.js';
import type { LogSource, LogSourceContext } from '../contract/log-source.js';
import { createStdinSource } from '../sources/stdin-source.js';

/** The backend a jail really uses: `auto` becomes `file` when a log path exists, else `journal` if journald runs. */
export function effectiveBackend(jail: ComposedJail): 'file' | 'journal' | 'stdin' {
  if (jail.backend !== 'auto') return jail.backend;
  if (jail.logpath.some(pathExists)) return 'file';
  if (journaldRunning()) return 'journal';
  return 'file';
}

/** Jails with the same key share one source (and so one read and one parse per line). */
export function sourceKey(jail: ComposedJail): string {
  const backend = effectiveBackend(jail);
  if (backend === 'file') return `file:${jail.logstart}:${[...jail.logpath].sort().join('|')}`;
  if (backend === 'journal') return `journal:${jail.journalmatch.join(' ')}`;
  return 'stdin';
}

/** Create the source for a jail's backend. */
export function createSourceFor(jail: ComposedJail, ctx: LogSourceContext): LogSource {
  const backend = effectiveBackend(jail);
  if (backend === 'journal') return createJournalSource({ matches: [...jail.journalmatch], logger: ctx.logger, positions: ctx.positions });
  if (backend === 'stdin') return createStdinSource({ logger: ctx.logger });
  return createFileSource({ paths: [...jail.logpath], logger: ctx.logger, positions: ctx.positions, fromStart: jail.logstart === 'start' });
}

function pathExists(path: string): boolean {
  if (!picomatch.scan(path).isGlob) return existsSync(path);
  const dir = dirname(path);
  if (picomatch.scan(dir).isGlob || !existsSync(dir)) return false;
  const match = picomatch(basename(path), { dot: true });
  try {
    return readdirSync(dir).some((f) => match(f));
  } catch {
    return false;
  }
}

function journaldRunning(): boolean {
  return existsSync('/run/systemd/journal/socket') && ['/usr/bin/journalctl', '/bin/journalctl'].some((p) => existsSync(p));
}
