import { type Dirent, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import picomatch from 'picomatch';

/** How deep a `**` glob descends below its base folder. */
const MAX_DEPTH = 8;
/** Entries looked at per expansion: a glob over a huge tree must not stall the event loop. */
const MAX_ENTRIES = 50_000;

interface Glob {
  readonly base: string;
  readonly depth: number;
  readonly match: (path: string) => boolean;
}

/**
 * The paths a file source follows: plain paths (followed even while missing) and globs, expanded
 * against the file system on demand. A glob's non-glob prefix is its base folder; the walk goes as deep
 * as the pattern has segments (`**` up to {@link MAX_DEPTH}).
 */
export class LogPaths {
  /** Paths without glob characters. */
  readonly plain: readonly string[];
  private readonly globs: readonly Glob[];

  constructor(patterns: readonly string[]) {
    const plain: string[] = [];
    const globs: Glob[] = [];
    for (const pattern of patterns) {
      const scan = picomatch.scan(pattern);
      if (!scan.isGlob) {
        plain.push(pattern);
        continue;
      }
      const segments = scan.glob.split('/').length;
      globs.push({
        base: scan.base || '.',
        depth: scan.isGlobstar || scan.glob.includes('**') ? MAX_DEPTH : segments,
        match: picomatch(pattern, { dot: true }),
      });
    }
    this.plain = plain;
    this.globs = globs;
  }

  get hasGlobs(): boolean {
    return this.globs.length > 0;
  }

  /** Every path to follow now: the plain ones and the regular files the globs match. */
  expand(): string[] {
    const found = new Set(this.plain);
    for (const glob of this.globs) this.walk(glob, glob.base, 1, found, { left: MAX_ENTRIES });
    return [...found];
  }

  /** Folders to watch for created and renamed files: those of the given paths and the glob bases. */
  folders(paths: Iterable<string>): Set<string> {
    const dirs = new Set(this.globs.map((g) => g.base));
    for (const path of paths) dirs.add(dirname(path));
    return dirs;
  }

  private walk(glob: Glob, dir: string, level: number, found: Set<string>, budget: { left: number }): void {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // the folder does not exist (yet) or is unreadable: looked at again next time
    }
    for (const entry of entries) {
      if (--budget.left < 0) return;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (level < glob.depth) this.walk(glob, path, level + 1, found, budget);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && glob.match(path)) {
        found.add(path);
      }
    }
  }
}
