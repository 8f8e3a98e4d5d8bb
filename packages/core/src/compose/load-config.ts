import { dirname, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { Loader, PublicExplorer } from 'cosmiconfig';
import type { ActionDefinition } from '../contract/action-definition.js';
import { compileFilter } from '../filters/compile-filter.js';
import { checkDatePattern } from '../parsing/date-pattern.js';
import type { PortcullisConfig } from '../config/config-schema.js';
import { embeddedConfig } from '../config/embedded-config.js';
import { parseDuration } from '../util/duration.js';
import { PortcullisError } from '../util/errors.js';
import type { FilterDefinition } from '../contract/filter-definition.js';
import type { ComposedAction, ComposedJail } from '../contract/composed-jail.js';
import { type PluginRegistry, resolvePlugins } from '../plugins/resolve-plugins.js';

/** A loaded, validated and composed configuration. */
export interface LoadedConfig {
  /** The config file, or undefined when running on the embedded defaults. */
  readonly file: string | undefined;
  /** Folder plugins and relative paths resolve from. */
  readonly dir: string;
  readonly config: PortcullisConfig & { readonly database: string; readonly socket: string };
  readonly jails: readonly ComposedJail[];
  readonly registry: PluginRegistry;
  /** True when no config file was found and the embedded defaults are in use. */
  readonly embedded: boolean;
}

const BUILTIN_DEFAULTS = {
  bantime: '10m',
  findtime: '10m',
  maxretry: 5,
  ignoreip: ['127.0.0.1/8', '::1'],
  ignoreself: true,
  backend: 'auto',
  usedns: 'warn',
  protocol: 'tcp',
  logstart: 'end',
  actions: [] as unknown[],
} as const;

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
 * Find and load the config (`--config PATH`, else cosmiconfig's places in `cwd`; the embedded defaults
 * when there is none), validate it, load its plugins from the config's folder and compose the jails.
 * Every problem is collected: the error lists one line per problem, each with its path.
 */
export type { ComposedAction, ComposedJail };

export async function loadConfig(options: { configPath?: string | undefined; cwd?: string | undefined } = {}): Promise<LoadedConfig> {
  const { raw, file, dir } = await readConfigFile(options);
  return parseConfig(raw ?? embeddedConfig(), { file, dir, embedded: file === undefined });
}

/**
 * Find and read the config file without validating it: `raw` is undefined when there is none
 * (and no `configPath` was given).
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
    const first = err.message.split('\n')[0];
    throw new PortcullisError('CONFIG_INVALID', `cannot read config ${options.configPath ?? cwd}: ${first}`, {
      problems: [`(file): ${first}`],
      cause: error,
    });
  }
  if (options.configPath) throw new PortcullisError('CONFIG_INVALID', `config file ${options.configPath} is empty`);
  return { raw: undefined, file: undefined, dir: cwd };
}

/** Validate and compose a config object (already read). */
export async function parseConfig(
  raw: unknown,
  where: { file?: string | undefined; dir: string; embedded?: boolean },
): Promise<LoadedConfig> {
  const label = where.file ?? 'embedded defaults';
  // The schema (and zod) load with the first config: reading logs alone never needs them.
  const { configSchema, formatIssues } = await import('../config/config-schema.js');
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw invalid(label, formatIssues(parsed.error.issues));
  const config = parsed.data;
  let registry: PluginRegistry;
  try {
    registry = await resolvePlugins(config.plugins, where.dir);
  } catch (error) {
    if (error instanceof PortcullisError) {
      throw new PortcullisError(error.code, `${label}: ${error.message}`, { hint: error.hint, problems: [`plugins: ${error.message}`] });
    }
    throw error;
  }
  const problems: string[] = [];
  const jails: ComposedJail[] = [];
  for (const [name, jail] of Object.entries(config.jails)) {
    const composed = await composeJail(name, jail, config, registry, where.dir, problems);
    if (composed) jails.push(composed);
  }
  if (problems.length) throw invalid(label, problems);
  return {
    file: where.file,
    dir: where.dir,
    config: { ...config, ...statePaths(config, where.dir) },
    jails,
    registry,
    embedded: where.embedded ?? false,
  };
}

async function composeJail(
  name: string,
  jail: PortcullisConfig['jails'][string],
  config: PortcullisConfig,
  registry: PluginRegistry,
  dir: string,
  problems: string[],
): Promise<ComposedJail | undefined> {
  const at = `jails.${name}`;
  const s = { ...BUILTIN_DEFAULTS, ...stripUndefined(config.defaults), ...stripUndefined(jail) };
  const filterId = typeof jail.filter === 'string' ? jail.filter : jail.filter.id;
  const filterOptions = typeof jail.filter === 'string' ? {} : jail.filter.options;
  const entry = registry.filters.get(filterId);
  if (!entry) {
    problems.push(`${at}.filter: unknown filter "${filterId}"; ${known('filters', registry.filters)}`);
  } else {
    try {
      compileFilter(entry.definition, filterOptions);
    } catch (error) {
      problems.push(`${at}.filter.options: ${(error as Error).message}`);
    }
    const filterDates = entry.definition.datepattern;
    const problem = filterDates === undefined || jail.datepattern !== undefined ? undefined : checkDatePattern(filterDates);
    if (problem) problems.push(`${at}.filter: the datepattern of filter "${filterId}" is invalid: ${problem}`);
  }
  const actions: ComposedAction[] = [];
  for (const [i, ref] of (s.actions as PortcullisConfig['defaults']['actions'] & unknown[]).entries()) {
    const id = typeof ref === 'string' ? ref : ref.id;
    const opts = typeof ref === 'string' ? {} : ref.options;
    const action = registry.actions.get(id);
    if (!action) {
      problems.push(`${at}.actions.${i}: unknown action "${id}"; ${known('actions', registry.actions)}`);
      continue;
    }
    let value: unknown = opts;
    const schema = action.definition.options;
    if (schema) {
      const result = await schema['~standard'].validate(opts);
      if (result.issues) {
        for (const issue of result.issues) {
          const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p));
          problems.push(`${at}.actions.${i}.options${path.length ? `.${path.join('.')}` : ''}: ${issue.message}`);
        }
        continue;
      }
      value = result.value;
    }
    actions.push({ id, options: value, definition: action.definition, plugin: action.plugin });
  }
  const logpath = s.logpath === undefined ? [] : (Array.isArray(s.logpath) ? s.logpath : [s.logpath]).map((p) => resolve(dir, p));
  if (s.backend === 'file' && logpath.length === 0) problems.push(`${at}.logpath: the file backend needs a logpath`);
  const ports = s.port === undefined ? [] : (Array.isArray(s.port) ? s.port : [s.port]).flatMap((p) => String(p).split(',')).map((p) => p.trim()).filter(Boolean);
  for (const p of ports) if (!/^[a-z0-9][a-z0-9-]*(?::\d{1,5})?$/i.test(p)) problems.push(`${at}.port: invalid port "${p}" (use 22, ssh or 8000:8100)`);
  const inc = s.increment;
  if (!entry) return undefined;
  return {
    name,
    enabled: jail.enabled,
    filter: entry.definition,
    filterOptions,
    logpath,
    backend: s.backend,
    journalmatch: jail.journalmatch ?? entry.definition.journalmatch ?? [],
    actions,
    bantime: parseDuration(s.bantime),
    findtime: parseDuration(s.findtime),
    maxretry: s.maxretry,
    ignoreip: s.ignoreip,
    ignoreself: s.ignoreself,
    usedns: s.usedns,
    ports,
    protocol: s.protocol,
    logstart: s.logstart,
    // The jail's own, else its filter's (the filter knows its log), else the defaults'.
    datepattern: jail.datepattern ?? entry.definition.datepattern ?? config.defaults.datepattern,
    increment: inc?.enabled ? { factor: inc.factor, maxtime: parseDuration(inc.maxtime), overalljails: inc.overalljails } : undefined,
  };
}

/**
 * Where the database and the control socket live: the config's `database`/`socket` (relative to its
 * folder), else the system places as root, else `./var/` beside the config for a first run without root.
 */
export function statePaths(config: { database?: unknown; socket?: unknown }, dir: string): { database: string; socket: string } {
  const root = process.getuid?.() === 0;
  const state = (f: string) => resolve(dir, 'var', f);
  return {
    database: typeof config.database === 'string' ? resolveMaybe(dir, config.database) : root ? '/var/lib/portcullis/portcullis.db' : state('portcullis.db'),
    socket: typeof config.socket === 'string' ? resolve(dir, config.socket) : root ? '/run/portcullis/portcullis.sock' : state('portcullis.sock'),
  };
}

function resolveMaybe(dir: string, path: string): string {
  return path === ':memory:' ? path : resolve(dir, path);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function known(kind: string, map: ReadonlyMap<string, { plugin: string }>): string {
  const ids = [...map.keys()].sort();
  return ids.length ? `known ${kind}: ${ids.join(', ')}` : `no plugin providing ${kind} is listed in "plugins"`;
}

function invalid(label: string, problems: readonly string[]): PortcullisError {
  return new PortcullisError('CONFIG_INVALID', `invalid configuration (${label}):\n  ${problems.join('\n  ')}`, { problems });
}
