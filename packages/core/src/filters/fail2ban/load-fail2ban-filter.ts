import { existsSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { FailRule, FilterDefinition, FilterOption } from '../../contract/filter-definition.js';
import { PortcullisError } from '../../util/errors.js';
import { Fail2banConfig, substituteTags } from './fail2ban-config.js';
import { type Prefregex, UntranslatableError, splitPrefregex, translateRule } from './fail2ban-rules.js';

/** Where fail2ban keeps its configuration. */
export const FAIL2BAN_DIR = '/etc/fail2ban';

/** The id prefix that names a fail2ban filter in a config: `fail2ban:nginx-http-auth`. */
export const FAIL2BAN_PREFIX = 'fail2ban:';

/**
 * The file a reference names: `nginx-http-auth` → `<dir>/filter.d/nginx-http-auth.conf`; a path (with a
 * `/` or ending in `.conf`) is taken as it is, relative to `cwd`.
 */
export function fail2banFilterPath(ref: string, dir: string = FAIL2BAN_DIR, cwd: string = process.cwd()): string {
  const name = ref.startsWith(FAIL2BAN_PREFIX) ? ref.slice(FAIL2BAN_PREFIX.length) : ref;
  if (name.includes('/') || name.endsWith('.conf') || name.endsWith('.local')) return isAbsolute(name) ? name : resolve(cwd, name);
  return join(dir, 'filter.d', `${name}.conf`);
}

/** What a fail2ban filter file holds besides its rules. */
export interface Fail2banExtras {
  /** The files read, in merge order (the filter, its includes and `.local` files). */
  readonly files: readonly string[];
  readonly fail2banDates: string | undefined;
  readonly maxlines: number;
}

/**
 * Reads a fail2ban filter file (with its `[INCLUDES]` and `.local`) into a filter definition: the [Init]
 * options become filter options (their values: the default plus every `<name>-<value>` variant the file
 * defines, so `mode` offers `normal`, `ddos`, `extra`, `aggressive` for sshd), and the rules are translated
 * per option set on compile. The filter sees lines as fail2ban shows them (`lineView: 'fail2ban'`).
 * @throws PortcullisError `FILTER_UNKNOWN` when the file is missing, `FILTER_REGEX_INVALID` (with the file,
 * line and construct) when a rule of the default options uses what JavaScript cannot run.
 */
export function loadFail2banFilter(
  path: string,
  how: {
    /** Filter id (default `fail2ban:<file name>`). */
    readonly id?: string | undefined;
    /** Values for any option of the file, as fail2ban's `filter = name[key=value]` gives them. */
    readonly vars?: Readonly<Record<string, string>> | undefined;
  } = {},
): FilterDefinition & Fail2banExtras {
  const id = how.id ?? `${FAIL2BAN_PREFIX}${basename(path).replace(/\.(conf|local)$/, '')}`;
  if (!existsSync(path)) {
    throw new PortcullisError('FILTER_UNKNOWN', `fail2ban filter file ${path} does not exist`, {
      hint: 'install fail2ban (its filter.d files) or give the path to a filter .conf file',
    });
  }
  let cfg: Fail2banConfig;
  try {
    cfg = new Fail2banConfig(path);
  } catch (e) {
    throw new PortcullisError('FILTER_REGEX_INVALID', `fail2ban filter ${id}: ${(e as Error).message}`, { cause: e });
  }
  const options = filterOptions(cfg);
  for (const [k, v] of Object.entries(how.vars ?? {})) {
    const o = options[k];
    if (o !== undefined) options[k] = { ...o, values: [...new Set([v, ...o.values])], default: v };
  }
  const defaults: Record<string, string> = { ...Object.fromEntries(Object.entries(options).map(([k, o]) => [k, o.default])), ...how.vars };
  const cache = new Map<string, Built>();
  const build = (opts: Readonly<Record<string, string>>): Built => {
    const key = JSON.stringify(opts);
    let built = cache.get(key);
    if (built === undefined) {
      built = buildRules(cfg, id, { ...defaults, ...opts });
      cache.set(key, built);
    }
    return built;
  };
  const first = build(defaults);
  const lookup = tagLookup(cfg, defaults);
  const journalmatch = (lookup('journalmatch') ?? '')
    .split('\n')
    .flatMap((l) => l.trim().split(/\s+/))
    .filter(Boolean);
  const maxlines = Math.max(1, Math.min(100, Math.floor(Number(lookup('maxlines') ?? 1)) || 1));
  return {
    id,
    description: `fail2ban filter ${path}`,
    // No `programs`: fail2ban's own regexes (`__prefix_line`) read the header, and a line whose header the
    // parser reads differently (Asterisk's `[date] NOTICE[1638] chan_sip.c: …`) must still reach them.
    programs: undefined,
    journalmatch: journalmatch.length ? journalmatch : undefined,
    options,
    failregex: (opts) => build(opts).failregex,
    ignoreregex: (opts) => build(opts).ignoreregex,
    correlate: first.mlfid ? mlfidOf(first.mlfidSource) : undefined,
    fail2banDates: first.datepattern,
    lineView: 'fail2ban',
    files: cfg.files,
    maxlines,
  };
}

interface Built {
  readonly failregex: readonly FailRule[];
  readonly ignoreregex: readonly string[];
  readonly mlfid: boolean;
  readonly mlfidSource: string | undefined;
  readonly datepattern: string | undefined;
}

function tagLookup(cfg: Fail2banConfig, vars: Readonly<Record<string, string>>): (tag: string) => string | undefined {
  const get = (tag: string): string | undefined => {
    try {
      // `<section/option>` is that section's value read in that section (`%(section/option)s`, by contrast,
      // is interpolated where it is written).
      const slash = tag.indexOf('/');
      const v = vars[tag] ?? (slash > 0 && !/^(?:known|default)\//i.test(tag) ? cfg.get(tag.slice(0, slash), tag.slice(slash + 1), vars) : cfg.get('Definition', tag, vars));
      return v === undefined ? undefined : substituteTags(v, get);
    } catch {
      return undefined;
    }
  };
  return get;
}

function buildRules(cfg: Fail2banConfig, id: string, vars: Readonly<Record<string, string>>): Built {
  const lookup = tagLookup(cfg, vars);
  const where = (construct: string, reason: string): PortcullisError => {
    const at = locate(cfg.files, construct);
    return new PortcullisError('FILTER_REGEX_INVALID', `fail2ban filter ${id}: ${at ? `${at}: ` : ''}${reason}`, {
      hint: 'JavaScript cannot run this regex construct; rewrite the rule in a .local file or write the filter in the config (filters:)',
    });
  };
  const lines = (key: string): string[] => (lookup(key) ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  let pref: Prefregex | undefined;
  try {
    const p = lookup('prefregex');
    if (p !== undefined && p.trim() !== '') pref = splitPrefregex(p.trim());
    const multiline = Number(lookup('maxlines') ?? 1) > 1;
    const failregex = lines('failregex').map((l) => translateRule(l, pref, multiline));
    const ignoreregex = lines('ignoreregex').map((l) => translateRule(l, pref, multiline).pattern);
    if (failregex.length === 0) throw new UntranslatableError('failregex', 'the filter defines no failregex');
    const datepattern = lookup('datepattern')?.trim() || undefined;
    return { failregex, ignoreregex, mlfid: pref?.mlfid ?? false, mlfidSource: pref?.mlfidSource, datepattern };
  } catch (e) {
    if (e instanceof UntranslatableError) throw where(e.construct, e.message);
    throw e;
  }
}

/**
 * fail2ban's multi-line id: the text its `<F-MLFID>` group takes in the line (for sendmail the host, program,
 * pid and queue id), so two messages of one process about different mails stay apart. The process id when
 * the group cannot be read.
 */
function mlfidOf(source: string | undefined): FilterDefinition['correlate'] {
  if (source === undefined) return 'pid';
  const regex = new RegExp(source);
  return (line) => {
    const id = regex.exec(line.message)?.groups?.mlfid?.trim();
    return id === undefined || id === '' ? line.pid : id;
  };
}

/** `file:line` of the first line of `files` that contains `construct` (or its first 20 characters). */
function locate(files: readonly string[], construct: string): string | undefined {
  for (const needle of [construct, construct.slice(0, 20)]) {
    if (needle.length < 3) continue;
    for (const file of files) {
      const lines = readFileSync(file, 'utf8').split('\n');
      const n = lines.findIndex((l) => l.includes(needle) && !/^\s*[#;]/.test(l));
      if (n >= 0) return `${file}:${n + 1}`;
    }
  }
  return undefined;
}

/**
 * [Init] options with their values: the default, and for a name used inside another tag's name
 * (`<mdre-<mode>>`, `<cmnfailre-failed-pub-<publickey>>`) every value some `prefix-<value>` key offers.
 */
function filterOptions(cfg: Fail2banConfig): Record<string, FilterOption> {
  const out: Record<string, FilterOption> = {};
  const text = cfg.files.map((f) => readFileSync(f, 'utf8')).join('\n');
  const keys = new Set(['Definition', 'DEFAULT', 'Init'].flatMap((s) => cfg.keys(s)));
  // [Init] options, and [Definition] ones a tag name is built from (nginx-http-auth's `<mdre-<mode>>`).
  const names = new Set(cfg.keys('Init'));
  for (const name of cfg.keys('Definition')) if (text.includes(`-<${name}>>`)) names.add(name);
  for (const name of names) {
    let def: string;
    try {
      def = (cfg.has('Init', name) ? cfg.get('Init', name) : cfg.get('Definition', name))?.trim() ?? '';
    } catch {
      continue;
    }
    const values = new Set([def]);
    for (const m of text.matchAll(new RegExp(`<([\\w-]+-)<${name}>>`, 'g'))) {
      for (const k of keys) if (k.startsWith(m[1]!) && /^[\w]+$/.test(k.slice(m[1]!.length))) values.add(k.slice(m[1]!.length));
    }
    out[name] = { values: [...values], default: def, description: `fail2ban option ${name}` };
  }
  return out;
}
