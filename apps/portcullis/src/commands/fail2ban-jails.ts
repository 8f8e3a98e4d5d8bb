import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDuration } from '@portcullis/core';
import { Fail2banConfig, checkRegexSafety, compileFilter, fail2banFilterPath, loadFail2banFilter } from '@portcullis/core/filtering';
import { type ImportedAction, mapAction, parseParams } from './fail2ban-actions.js';

/**
 * fail2ban's jails as a Portcullis config: the files read as fail2ban reads them (`jail.conf`,
 * `jail.d/*.conf`, `jail.local`, `jail.d/*.local`, each with its includes such as `paths-debian.conf`), the
 * enabled jails mapped setting by setting, and a report line for every setting a user set that has no
 * equivalent (with the file and line it came from and why).
 */

/** Native filter plugins for fail2ban filter names (used when the plugin is installed and offers the mode). */
const NATIVE: Readonly<Record<string, string>> = {
  sshd: '@portcullis/filter-sshd',
  postfix: '@portcullis/filter-postfix',
  'apache-auth': '@portcullis/filter-apache',
  'apache-badbots': '@portcullis/filter-apache',
  'apache-botsearch': '@portcullis/filter-apache',
  'apache-nohome': '@portcullis/filter-apache',
  'apache-noscript': '@portcullis/filter-apache',
  'apache-overflows': '@portcullis/filter-apache',
  'courier-auth': '@portcullis/filter-courier',
  'courier-smtp': '@portcullis/filter-courier',
  'lighttpd-auth': '@portcullis/filter-lighttpd',
  qmail: '@portcullis/filter-qmail',
  vsftpd: '@portcullis/filter-vsftpd',
};

/** Settings the mapping reads (or that only feed other settings through interpolation). */
const MAPPED = new Set([
  'enabled', 'filter', 'logpath', 'backend', 'journalmatch', 'maxretry', 'findtime', 'bantime', 'bantime.increment',
  'bantime.factor', 'bantime.maxtime', 'bantime.overalljails', 'ignoreip', 'ignoreself', 'port', 'protocol', 'action',
  'banaction', 'banaction_allports', 'usedns', 'mode', 'chain', 'destemail', 'sender', 'mta', 'sendername', 'logencoding',
]);

/** Answers whether a native filter plugin is installed, which modes its filter offers and its default mode. */
export type NativeLookup = (pkg: string, id: string) => Promise<{ readonly modes: readonly string[]; readonly defaultMode: string | undefined } | undefined>;

export interface ImportResult {
  readonly config: Record<string, unknown>;
  /** One line per setting that was not mapped, and per choice worth knowing. */
  readonly report: string[];
}

/** fail2ban's list of jail files in `dir`, in the order it reads them. */
export function jailFiles(dir: string): string[] {
  const glob = (ext: string) => (existsSync(join(dir, 'jail.d')) ? readdirSync(join(dir, 'jail.d')).filter((f) => f.endsWith(ext)).sort().map((f) => join(dir, 'jail.d', f)) : []);
  return [join(dir, 'jail.conf'), ...glob('.conf'), join(dir, 'jail.local'), ...glob('.local')].filter((f) => existsSync(f));
}

export async function importFail2ban(dirArg: string, native: NativeLookup): Promise<ImportResult> {
  const dir = resolve(dirArg);
  const files = jailFiles(dir);
  if (!files.some((f) => f.endsWith('jail.conf') || f.endsWith('jail.local'))) throw new Error(`${dir} holds no jail.conf or jail.local`);
  const cfg = new Fail2banConfig(files);
  const userFile = (file: string) => file.endsWith('.local') || file.includes('/jail.d/');
  const report: string[] = [];
  const plugins = new Set<string>();
  const jails: Record<string, Record<string, unknown>> = {};
  for (const name of cfg.sectionNames()) {
    const at = `jails.${name}`;
    const get = (key: string): string | undefined => {
      try {
        return cfg.get(name, key)?.trim();
      } catch (e) {
        report.push(`${at}: ${key}: ${(e as Error).message}`);
        return undefined;
      }
    };
    if (!/^(?:true|yes|1|on)$/i.test(get('enabled') ?? 'false')) continue;
    if (!/^[A-Za-z0-9_.-]{1,48}$/.test(name)) {
      report.push(`${at}: skipped: a jail name uses letters, digits, _ . - (at most 48)`);
      continue;
    }
    const jail: Record<string, unknown> = {};
    const filter = await mapFilter(name, get('filter') ?? name, dir, native, report, plugins);
    if (filter === undefined) continue;
    jail.filter = filter;
    const backend = get('backend') ?? 'auto';
    if (/^systemd\b/.test(backend)) {
      jail.backend = 'journal';
      if (backend !== 'systemd') report.push(`${at}: backend = ${backend}: journal flags are not mapped (the journal is read with journalctl)`);
      const jm = (get('journalmatch') ?? '').split(/\s+/).filter(Boolean);
      if (jm.length) jail.journalmatch = jm;
    } else {
      if (!/^(?:auto|polling|pyinotify|gamin)$/.test(backend)) report.push(`${at}: backend = ${backend}: not mapped; reading the log files`);
      const paths = (get('logpath') ?? '').split('\n').map((l) => l.trim().replace(/\s+(?:head|tail)$/, '')).filter(Boolean);
      if (paths.length === 0) {
        report.push(`${at}: skipped: no logpath`);
        continue;
      }
      jail.backend = 'file';
      jail.logpath = paths;
    }
    const int = (key: string) => {
      const v = get(key);
      if (v === undefined) return;
      if (/^\d+$/.test(v) && Number(v) > 0) jail[key] = Number(v);
      else report.push(`${at}: ${key} = ${v}: not a positive integer; left out`);
    };
    const duration = (key: string, into: string = key) => {
      const v = get(key);
      if (v === undefined) return;
      try {
        parseDuration(v);
        jail[into] = v;
      } catch {
        report.push(`${at}: ${key} = ${v}: not a duration Portcullis reads (600, 10m, 1h, 1d, -1); left out`);
      }
    };
    int('maxretry');
    duration('findtime');
    duration('bantime');
    if (/^(?:true|yes|1|on)$/i.test(get('bantime.increment') ?? 'false')) {
      const inc: Record<string, unknown> = { enabled: true };
      const factor = Number(get('bantime.factor') ?? 1);
      // fail2ban's default formula multiplies by 2^(n) scaled by factor; Portcullis multiplies by `factor` per ban.
      inc.factor = Number.isFinite(factor) && factor > 0 ? Math.max(2, factor) : 2;
      const maxtime = get('bantime.maxtime');
      if (maxtime) inc.maxtime = maxtime;
      if (/^(?:true|yes|1|on)$/i.test(get('bantime.overalljails') ?? 'false')) inc.overalljails = true;
      jail.increment = inc;
      report.push(`${at}: bantime.increment: each new ban multiplies the ban time by ${String(inc.factor)} (fail2ban's formula and multipliers are not mapped)`);
    }
    const ignoreip = (get('ignoreip') ?? '').split(/[\s,]+/).filter(Boolean);
    if (ignoreip.length) jail.ignoreip = ignoreip;
    const ignoreself = get('ignoreself');
    if (ignoreself !== undefined) jail.ignoreself = /^(?:true|yes|1|on)$/i.test(ignoreself);
    const usedns = get('usedns');
    if (usedns === 'yes' || usedns === 'warn' || usedns === 'no') jail.usedns = usedns;
    else if (usedns !== undefined) report.push(`${at}: usedns = ${usedns}: not mapped (yes, warn, no)`);
    const actions: ImportedAction[] = [];
    const protocols = new Set<string>();
    for (const line of (get('action') ?? '').split('\n').map((l) => l.trim()).filter(Boolean)) {
      const mapped = mapAction(line, `${at}.action`, report);
      if (mapped?.protocol) protocols.add(mapped.protocol);
      // One action per id and options: fail2ban's per-protocol copies (asterisk's tcp and udp) become one.
      if (mapped && !actions.some((a) => a.id === mapped.id && JSON.stringify(a.options) === JSON.stringify(mapped.options))) actions.push(mapped);
    }
    const ports = new Set(actions.map((a) => a.port).filter((p) => p !== undefined));
    const port = ports.size === 1 ? [...ports][0] : get('port');
    if (port && !actions.some((a) => a.allports)) jail.port = port.split(',').map((p) => p.trim()).filter(Boolean);
    const protocol = protocols.size > 1 ? 'all' : get('protocol');
    if (protocol === 'tcp' || protocol === 'udp' || protocol === 'all') jail.protocol = protocol;
    jail.actions = actions.map((a) => (Object.keys(a.options).length ? { id: a.id, options: a.options } : a.id));
    for (const a of actions) plugins.add(a.plugin);
    if (actions.length === 0) report.push(`${at}: no action could be mapped: the jail counts failures and bans in its state only`);
    // Settings the user set that nothing above reads.
    for (const key of new Set([...cfg.keys(name), ...cfg.keys('DEFAULT')])) {
      const raw = cfg.raw(name, key);
      if (raw === undefined || !userFile(raw.file) || MAPPED.has(key) || key.startsWith('action_') || key.startsWith('__')) continue;
      report.push(`${at}: ${key} (${raw.file}:${raw.line}): not mapped`);
    }
    if (name === 'recidive' || String(jail.filter).endsWith(':recidive')) {
      report.push(`${at}: recidive reads fail2ban's own log (${String((jail.logpath as string[] | undefined)?.[0])}), which Portcullis does not write; use increment (bantime.increment) for repeat offenders`);
    }
    jails[name] = jail;
  }
  return { config: { plugins: [...plugins].sort(), fail2ban: { dir }, jails }, report };
}

/** `name[key=value, …]` → a filter reference: the native plugin's filter when it offers the mode, else `fail2ban:name`. */
async function mapFilter(jail: string, spec: string, dir: string, native: NativeLookup, report: string[], plugins: Set<string>): Promise<unknown> {
  const at = `jails.${jail}.filter`;
  const m = /^([^[\s]+)(?:\[(.*)\])?$/s.exec(spec.trim());
  if (!m) {
    report.push(`${at}: cannot read filter = ${spec}; jail skipped`);
    return undefined;
  }
  const name = m[1]!;
  const params = parseParams(m[2] ?? '');
  const pkg = NATIVE[name];
  if (pkg !== undefined) {
    const found = await native(pkg, name);
    const mode = params.mode ?? 'normal';
    const rest = Object.keys(params).filter((k) => k !== 'mode' && !/^<.*>$/.test(params[k]!));
    const modes = found?.modes ?? [];
    if (found !== undefined && (modes.length === 0 ? mode === 'normal' : modes.includes(mode)) && rest.length === 0) {
      plugins.add(pkg);
      return modes.length > 0 && mode !== found.defaultMode ? { id: name, options: { mode } } : name;
    }
    report.push(`${at}: native filter ${name} (${pkg}) ${found === undefined ? 'is not installed' : `does not take ${rest.length ? rest.join(', ') : `mode ${mode}`}`}; using fail2ban's filter.d file`);
  }
  const id = `fail2ban:${name}`;
  try {
    const def = loadFail2banFilter(fail2banFilterPath(id, dir), { id });
    const known = Object.keys(def.options ?? {});
    // Options at the file's own default are left out: the config says only what differs.
    const options = Object.fromEntries(Object.entries(params).filter(([k, v]) => known.includes(k) && def.options?.[k]?.default !== v));
    for (const k of Object.keys(params)) {
      if (!known.includes(k) && !/^<.*>$/.test(params[k]!)) report.push(`${at}: filter parameter ${k}=${params[k]} is not an option of ${name}; left out`);
    }
    const compiled = compileFilter(def, options);
    // start refuses what can backtrack catastrophically unless the user accepts it: say so here, per jail.
    const ignores = typeof def.ignoreregex === 'function' ? def.ignoreregex(compiled.options) : (def.ignoreregex ?? []);
    const bad = (await checkRegexSafety([...compiled.rules.map((r) => r.pattern), ...ignores])).filter((v) => v.status === 'vulnerable');
    if (bad.length) {
      report.push(`${at}: ${id} has ${bad.length} regex${bad.length === 1 ? '' : 'es'} that can backtrack catastrophically (${bad[0]!.reason}); jail skipped — to run it anyway, add it with filter: { id: ${id}, unsafe: true }`);
      return undefined;
    }
    return Object.keys(options).length ? { id, options } : id;
  } catch (e) {
    report.push(`${at}: ${(e as Error).message.split('\n')[0]}; jail skipped`);
    return undefined;
  }
}
