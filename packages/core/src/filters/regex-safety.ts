import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Catastrophic-backtracking check for regexes we did not write (a config's `filters:`, fail2ban's filter.d),
 * with recheck (an automaton-based ReDoS checker with a fuzzing fallback). The address tags are replaced by a
 * bounded class before the check: the expansions core writes are linear by construction (see filter-tags.ts)
 * and their size would only slow the checker down; what can backtrack is the text around them.
 *
 * Verdicts are cached by the pattern's hash in `~/.cache/portcullis/regex-safety.json` (the checker needs
 * 0.1–5 s per regex; a start reads the cache). A cache in a world-writable place could be filled with
 * "safe" for a bad regex, so it lives in the user's home only.
 */

/** What the checker said of one pattern. */
export interface RegexVerdict {
  readonly pattern: string;
  /** `unknown`: the checker gave up within its time (counted as safe; the hostile-line budget still applies). */
  readonly status: 'safe' | 'vulnerable' | 'unknown';
  /** For `vulnerable`: the complexity and an attack string, e.g. `exponential, 'a'.repeat(31) + '\x00'`. */
  readonly reason?: string | undefined;
}

const ADDRESS_TAG = /<(?:HOST|ADDR|IP4|IP6)>/g;
const FIELD_TAG = /<(\/?)F-[A-Za-z][A-Za-z0-9_]*>/g;

/** The pattern as the checker sees it: tags replaced by plain groups. */
export function checkedSource(pattern: string): string {
  return pattern.replace(ADDRESS_TAG, '([0-9A-Za-z.:]{1,45})').replace(FIELD_TAG, (_m, close: string) => (close ? ')' : '('));
}

type Cache = Record<string, { status: RegexVerdict['status']; reason?: string | undefined }>;

/** Default cache file; `PORTCULLIS_CACHE_DIR` moves it (tests). */
export function regexCacheFile(): string {
  return join(process.env.PORTCULLIS_CACHE_DIR ?? join(homedir(), '.cache', 'portcullis'), 'regex-safety.json');
}

function readCache(file: string): Cache {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Cache;
  } catch {
    return {};
  }
}

/**
 * Checks every pattern (tag language, JavaScript syntax), cached verdicts first.
 * @param timeoutMs per pattern; past it the verdict is `unknown`.
 */
export async function checkRegexSafety(
  patterns: readonly string[],
  options: { cacheFile?: string | undefined; timeoutMs?: number | undefined } = {},
): Promise<RegexVerdict[]> {
  const file = options.cacheFile ?? regexCacheFile();
  const cache = readCache(file);
  const keyOf = (p: string): string => createHash('sha256').update(checkedSource(p)).digest('hex').slice(0, 32);
  const todo = [...new Set(patterns.filter((p) => cache[keyOf(p)] === undefined))];
  if (todo.length > 0) {
    // Loaded on demand: most runs find every verdict in the cache.
    const { check } = await import('recheck');
    const results = await Promise.all(
      todo.map(async (p) => {
        try {
          const d = await check(checkedSource(p), '', { timeout: options.timeoutMs ?? 5000 });
          if (d.status === 'vulnerable') return [p, { status: 'vulnerable', reason: `${d.complexity.summary} backtracking, e.g. on ${d.attack.pattern}` }] as const;
          return [p, { status: d.status === 'safe' ? 'safe' : 'unknown' }] as const;
        } catch {
          return [p, { status: 'unknown' }] as const;
        }
      }),
    );
    for (const [p, v] of results) cache[keyOf(p)] = v;
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(`${file}.tmp`, JSON.stringify(cache));
      renameSync(`${file}.tmp`, file);
    } catch {
      // Read-only home: the verdicts are just not remembered.
    }
  }
  return patterns.map((p) => ({ pattern: p, ...cache[keyOf(p)]! }));
}
