import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import picomatch from 'picomatch';
import { compileFilter } from '../filters/compile-filter.js';
import { checkDatePattern } from '../parsing/date-pattern.js';
import type { PortcullisConfig } from '../config/config-schema.js';
import { formatPath } from '../config/config-path.js';
import { embeddedConfig } from '../config/embedded-config.js';
import { parseDuration } from '../util/duration.js';
import { didYouMean } from '../util/closest-name.js';
import type { ComposedAction, ComposedJail } from '../contract/composed-jail.js';
import { type ComposedFleet, composeFleet } from './compose-fleet.js';
import type { PluginRegistry } from '../plugins/resolve-plugins.js';
import { definitionFromConfig, resolveJailFilter } from './jail-filter.js';
import { checkRegexSafety } from '../filters/regex-safety.js';
import { loadPluginsCollecting } from '../plugins/load-plugins.js';
import { logFileProblems } from './log-file-problems.js';
import { ConfigProblems } from './config-problems.js';
import { readConfigFile } from './read-config-file.js';

export { readConfigFile };

/** Longest Unix socket path, in bytes (`sun_path` holds 108 with the final NUL). */
const MAX_SOCKET_PATH = 107;

/** A loaded, validated and composed configuration. */
export interface LoadedConfig {
  /** The config file, or undefined when running on the embedded defaults. */
  readonly file: string | undefined;
  /** Folder plugins and relative paths resolve from. */
  readonly dir: string;
  readonly config: PortcullisConfig & { readonly database: string; readonly socket: string };
  readonly jails: readonly ComposedJail[];
  readonly registry: PluginRegistry;
  /** Fleet mode (`fleet:`), when configured. */
  readonly fleet?: ComposedFleet | undefined;
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
  ipv6prefix: 64,
  actions: [] as unknown[],
} as const;

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
 * Validate and compose a config object (already read): the one validation `start`, `reload` and
 * `check-config` share. Every problem is collected in one pass — the schema's, the plugins' (each one
 * that fails to load), and the composition's for every jail whose own settings are valid — and the error
 * lists one line per problem, each with its path.
 */
export async function parseConfig(
  raw: unknown,
  where: { file?: string | undefined; dir: string; embedded?: boolean },
): Promise<LoadedConfig> {
  const label = where.file ?? 'embedded defaults';
  // The schema (and zod) load with the first config: reading logs alone never needs them.
  const { configSchema, formatIssues, validParts } = await import('../config/config-schema.js');
  const problems = new ConfigProblems();
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) problems.push(...formatIssues(parsed.error.issues));
  // With schema problems, the valid parts are still composed, so their problems show in the same pass.
  const config = parsed.success ? parsed.data : validParts(raw);
  const registry = await loadPlugins(config.plugins, where.dir, problems);
  for (const [id, data] of Object.entries(config.filters ?? {})) await checkConfigFilter(id, data, problems);
  const jails: ComposedJail[] = [];
  for (const [name, jail] of Object.entries(config.jails)) {
    const composed = await composeJail(name, jail, config, registry, where.dir, problems);
    if (composed) jails.push(composed);
  }
  const paths = statePaths(config, where.dir);
  const socketBytes = Buffer.byteLength(paths.socket);
  if (socketBytes > MAX_SOCKET_PATH) {
    problems.push(`socket: ${paths.socket} is ${socketBytes} bytes long; a Unix socket path holds at most ${MAX_SOCKET_PATH}: set a shorter "socket"`);
  }
  const logfile = config.logfile === undefined ? undefined : resolve(where.dir, config.logfile);
  if (logfile !== undefined) problems.push(...logFileProblems(logfile));
  const fleet = await composeFleet(config.fleet, registry, problems);
  problems.throwIfAny(label);
  return {
    fleet,
    file: where.file,
    dir: where.dir,
    config: { ...config, ...paths, ...(logfile === undefined ? {} : { logfile }) },
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
  problems: ConfigProblems,
): Promise<ComposedJail | undefined> {
  const at = `jails.${name}`;
  const s = { ...BUILTIN_DEFAULTS, ...stripUndefined(config.defaults), ...stripUndefined(jail) };
  const filterOptions = typeof jail.filter === 'string' ? {} : jail.filter.options;
  const filter = await resolveJailFilter(at, jail.filter, config, registry, dir, problems, (id) =>
    problems.pluginsFailed ? undefined : unknownId('filter', id, registry.filters),
  );
  const filterDates = filter?.datepattern;
  const dateProblem = filterDates === undefined || jail.datepattern !== undefined ? undefined : checkDatePattern(filterDates);
  if (dateProblem) problems.push(`${at}.filter: the datepattern of filter "${filter!.id}" is invalid: ${dateProblem}`);
  const actions: ComposedAction[] = [];
  // Actions a jail takes from `defaults` are reported there, once for every jail.
  const actionsAt = jail.actions === undefined ? ['defaults', 'actions'] : ['jails', name, 'actions'];
  for (const [i, ref] of (s.actions as PortcullisConfig['defaults']['actions'] & unknown[]).entries()) {
    const id = typeof ref === 'string' ? ref : ref.id;
    const opts = typeof ref === 'string' ? {} : ref.options;
    const action = registry.actions.get(id);
    if (!action) {
      if (!problems.pluginsFailed) problems.push(`${formatPath([...actionsAt, i])}: ${unknownId('action', id, registry.actions)}`);
      continue;
    }
    let value: unknown = opts;
    const schema = action.definition.options;
    if (schema) {
      const result = await schema['~standard'].validate(opts);
      if (result.issues) {
        for (const issue of result.issues) {
          const path = (issue.path ?? []).map((p) => (typeof p === 'object' ? p.key : p));
          problems.push(`${formatPath([...actionsAt, i, 'options', ...path])}: ${issue.message}`);
        }
        continue;
      }
      value = result.value;
    }
    actions.push({ id, options: value, definition: action.definition, plugin: action.plugin });
  }
  const logpath = s.logpath === undefined ? [] : (Array.isArray(s.logpath) ? s.logpath : [s.logpath]).map((p) => resolve(dir, p));
  if (s.backend === 'file' && logpath.length === 0) problems.push(`${at}.logpath: the file backend needs a logpath`);
  for (const [i, path] of logpath.entries()) {
    const problem = logpathProblem(path);
    if (problem) problems.push(`${at}.logpath${Array.isArray(s.logpath) ? `[${i}]` : ''}: ${problem}`);
  }
  // Each port was checked by the schema (numbers, ranges, service names nftables and iptables resolve).
  const ports = s.port === undefined ? [] : (Array.isArray(s.port) ? s.port : [s.port]).flatMap((p) => String(p).split(',')).map((p) => p.trim()).filter(Boolean);
  const inc = s.increment;
  if (s.subnet && s.subnet.ipv6 > s.ipv6prefix) problems.push(`${at}.subnet.ipv6: ${s.subnet.ipv6} is longer than ipv6prefix (${s.ipv6prefix}); a subnet holds prefixes, use at most ${s.ipv6prefix}`);
  if (!filter) return undefined;
  return {
    name,
    enabled: jail.enabled,
    filter,
    filterOptions,
    logpath,
    backend: s.backend,
    journalmatch: jail.journalmatch ?? filter.journalmatch ?? [],
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
    datepattern: jail.datepattern ?? filter.datepattern ?? config.defaults.datepattern,
    increment: inc?.enabled ? { factor: inc.factor, maxtime: parseDuration(inc.maxtime), overalljails: inc.overalljails } : undefined,
    ipv6prefix: s.ipv6prefix,
    subnet: s.subnet && {
      ipv4: s.subnet.ipv4,
      ipv6: s.subnet.ipv6,
      maxretry: s.subnet.maxretry,
      findtime: parseDuration(s.subnet.findtime ?? s.findtime),
    },
    campaign: s.campaign && {
      failures: s.campaign.failures,
      sources: s.campaign.sources,
      findtime: parseDuration(s.campaign.findtime),
      duration: parseDuration(s.campaign.duration),
      maxretry: s.campaign.maxretry,
    },
  };
}

/** A `filters:` entry compiles with its default options and passes the backtracking check (unless `unsafe`). */
async function checkConfigFilter(id: string, data: PortcullisConfig['filters'][string], problems: ConfigProblems): Promise<void> {
  const at = `filters.${id}`;
  const definition = definitionFromConfig(id, data);
  try {
    compileFilter(definition);
  } catch (error) {
    problems.push(`${at}: ${(error as Error).message}`);
    return;
  }
  if (data.unsafe) return;
  const rules = data.failregex.map((r) => (typeof r === 'string' ? r : r.pattern));
  const verdicts = await checkRegexSafety([...rules, ...(data.ignoreregex ?? [])]);
  verdicts.forEach((v, i) => {
    const where = i < rules.length ? `failregex.${i}` : `ignoreregex.${i - rules.length}`;
    if (v.status === 'vulnerable') problems.push(`${at}.${where}: /${v.pattern}/ can backtrack catastrophically (${v.reason}); fix the regex, or set unsafe: true on the filter to accept it`);
  });
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

/** `unknown filter "x"; did you mean "y"? known filters: …` (an id is not a regex: say so when it looks like one). */
function unknownId(kind: 'filter' | 'action', id: string, map: ReadonlyMap<string, { plugin: string }>): string {
  const ids = [...map.keys()].sort();
  const list = ids.length ? ` known ${kind}s: ${ids.join(', ')}` : ` no plugin providing ${kind}s is listed in "plugins"`;
  const regexLike = /[\s^$*\\<>()[\]|]/.test(id) ? ` (a ${kind} is named by its id; patterns belong in a plugin)` : '';
  return `unknown ${kind} "${id}"${regexLike}${didYouMean(id, ids) || ';'}${list}`;
}

/** Why a log path can never be read (undefined when it can, or may later: a missing file is waited for). */
function logpathProblem(path: string): string | undefined {
  if (picomatch.scan(path).isGlob) return undefined;
  try {
    if (statSync(path).isDirectory()) return `${path} is a folder: give the log file, or a glob such as ${path.replace(/\/$/, '')}/*.log`;
  } catch {
    // Missing or unreadable for now: the source waits for it and says so.
  }
  return undefined;
}

/** Load the config's plugins, each failure a problem at its place in `plugins`. */
async function loadPlugins(names: readonly string[], dir: string, problems: ConfigProblems): Promise<PluginRegistry> {
  const { registry, failures } = await loadPluginsCollecting(names, dir);
  for (const f of failures) problems.pushError(f.path, f.error);
  if (failures.length) problems.pluginsFailed = true;
  return registry;
}
