import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createFileSource, type FileSourceOptions } from '../src/sources/file-source.js';
import type { LogSource, PositionStore, SourceLine, SourcePosition } from '../src/contract/log-source.js';
import { recordingLogger } from './recording-logger.js';

/** Shared set-up of the file source tests: real files in a temp folder, a recording logger, a position map. */

const running: LogSource[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

/** A fresh temp folder. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `pcl-${prefix}-`));
}

/** A small in-memory PositionStore (what the SQLite store does, without the file). */
export class MapPositions implements PositionStore {
  readonly map = new Map<string, SourcePosition>();
  getPosition(key: string): SourcePosition | undefined {
    return this.map.get(key);
  }
  setPosition(key: string, position: SourcePosition): void {
    this.map.set(key, position);
  }
}

export { recordingLogger };

/** Start a file source with fast timers; returns what its sink saw. */
export async function follow(paths: string[], options: Partial<FileSourceOptions> = {}) {
  const seen: string[] = [];
  const origins: string[] = [];
  const source = createFileSource({
    paths,
    logger: recordingLogger(),
    pollInterval: 50,
    globInterval: 200,
    ...options,
  });
  running.push(source);
  await source.start((lines: readonly SourceLine[], origin: string) => {
    for (const line of lines) seen.push(line.text);
    origins.push(origin);
  });
  return { seen, origins, source };
}

/** Resolve when `cond` holds, polling every 5 ms; fail after `ms`. */
export async function waitFor(cond: () => boolean, ms = 30_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `line 1` … `line n`. */
export const numbered = (n: number): string[] => Array.from({ length: n }, (_, i) => `line ${i + 1}`);

/** Sort `line N` strings by N (for checks where only "each exactly once" matters). */
export const byNumber = (lines: readonly string[]): string[] =>
  [...lines].sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
