import { existsSync, readFileSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Loader, PublicExplorer } from 'cosmiconfig';
import { PortcullisError } from '../util/errors.js';

/**
 * JS configs through `import()` with a query that changes on every load: Node caches ES modules by URL,
 * so a reload would otherwise see the module as it was at start.
 */
const importFresh: Loader = async (filepath) => {
  const url = `${pathToFileURL(await realpath(filepath)).href}?load=${Date.now()}`;
  return ((await import(url)) as { default: unknown }).default;
};

/** Where a config is looked for in the current folder, in cosmiconfig's order. */
const SEARCH_PLACES = [
  'package.json',
  'portcullis.config.ts',
  'portcullis.config.mjs',
  'portcullis.config.js',
  'portcullis.config.json',
  'portcullis.config.yaml',
  'portcullis.config.yml',
  '.portcullisrc',
  '.portcullisrc.json',
  '.portcullisrc.yaml',
  '.portcullisrc.yml',
  '.portcullisrc.js',
  '.portcullisrc.mjs',
];

let explorer: PublicExplorer | undefined;

/**
 * cosmiconfig, loaded on first use: most runs of `test-filter` have no config to read, and cosmiconfig with
 * its loaders costs tens of milliseconds to load. No cache: `reload` must see the file as it is now.
 */
async function configExplorer(): Promise<PublicExplorer> {
  if (explorer) return explorer;
  const { cosmiconfig } = await import('cosmiconfig');
  explorer = cosmiconfig('portcullis', {
    cache: false,
    loaders: { '.js': importFresh, '.mjs': importFresh },
    searchStrategy: 'none',
    searchPlaces: SEARCH_PLACES,
  });
  return explorer;
}

/** True when `dir` holds one of the config places (a package.json only with a `portcullis` key). */
function hasConfigCandidate(dir: string): boolean {
  for (const place of SEARCH_PLACES) {
    const path = resolve(dir, place);
    if (!existsSync(path)) continue;
    if (place !== 'package.json') return true;
    try {
      if ((JSON.parse(readFileSync(path, 'utf8')) as { portcullis?: unknown } | null)?.portcullis !== undefined) return true;
    } catch {
      // An unreadable package.json is not a config; cosmiconfig would skip it as well.
    }
  }
  return false;
}

/**
 * Find and read the config file without validating it: `raw` is undefined when there is none
 * (and no `configPath` was given). A file that does not parse is refused with the parser's reason and
 * its line and column (`duplicated mapping key (6:3)`).
 */
export async function readConfigFile(
  options: { configPath?: string | undefined; cwd?: string | undefined } = {},
): Promise<{ raw: unknown; file: string | undefined; dir: string }> {
  const cwd = options.cwd ?? process.cwd();
  try {
    const found = options.configPath
      ? await (await configExplorer()).load(resolve(cwd, options.configPath))
      : hasConfigCandidate(cwd)
        ? await (await configExplorer()).search(cwd)
        : null;
    if (found && !found.isEmpty) return { raw: found.config, file: found.filepath, dir: dirname(found.filepath) };
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new PortcullisError('CONFIG_NOT_FOUND', `config file ${options.configPath} does not exist`);
    const reason = syntaxReason(error);
    throw new PortcullisError('CONFIG_INVALID', `cannot read config ${options.configPath ?? cwd}:\n  (file): ${reason}`, {
      problems: [`(file): ${reason}`],
      cause: error,
    });
  }
  if (options.configPath) throw new PortcullisError('CONFIG_INVALID', `config file ${options.configPath} is empty`);
  return { raw: undefined, file: undefined, dir: cwd };
}

/**
 * The parser's own words for a config that does not parse, with `(line:column)`. cosmiconfig wraps the
 * YAML and JSON errors in a message whose first line only names the file; the reason is on the error.
 */
function syntaxReason(error: unknown): string {
  const err = error as Error & { reason?: unknown; mark?: { line?: number; column?: number }; filepath?: unknown };
  if (err.name === 'YAMLException' && typeof err.reason === 'string') {
    const at = err.mark && typeof err.mark.line === 'number' ? ` (${err.mark.line + 1}:${(err.mark.column ?? 0) + 1})` : '';
    return `YAML syntax error: ${err.reason}${at}`;
  }
  if (err.name === 'JSONError' && typeof err.filepath === 'string') {
    const reason = jsonReason(err.filepath);
    if (reason) return `JSON syntax error: ${reason}`;
  }
  return String(err.message ?? error).split('\n').find((l) => l.trim() !== '') ?? String(error);
}

/** JSON.parse's message for the file, its byte position turned into `(line:column)`. */
function jsonReason(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
    JSON.parse(text);
    return undefined;
  } catch (error) {
    if (!(error instanceof SyntaxError)) return undefined;
    const message = error.message.replace(/\s*\(line \d+ column \d+\)/, '');
    const position = /at position (\d+)/.exec(message);
    if (!position) return message;
    const before = text!.slice(0, Number(position[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return `${message.replace(/ in JSON at position \d+.*$/, '')} (${line}:${column})`;
  }
}
