import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { type IniSections, type IniValue, parseIni } from './ini-file.js';

/**
 * A fail2ban config file with what it includes, merged as fail2ban merges them: `[INCLUDES] before` files,
 * the file, its `.local`, then `after` files (each with its own `.local`); a later file's options replace
 * earlier ones, and the replaced values stay reachable as `%(known/name)s`. Values are read with Python's
 * `%(name)s` interpolation (the section, then `[DEFAULT]`; `%(section/name)s` reads another section) and
 * fail2ban's `<tag>` substitution (innermost first, so `<mdre-<mode>>` becomes `<mdre-normal>` and then
 * its value).
 */
export class Fail2banConfig {
  /** Every file read, in merge order. */
  readonly files: readonly string[];
  private readonly sections: IniSections = new Map();

  /**
   * @param path a file (read with its `.local`), or fail2ban's list for a config name (`jail.conf`,
   * `jail.d/*.conf`, `jail.local`, `jail.d/*.local`: each with its includes, and a `.conf`'s `.local` unless
   * the list names it itself).
   */
  constructor(path: string | readonly string[]) {
    const files: string[] = [];
    const list = typeof path === 'string' ? [path] : path;
    for (const p of list) collect(p, [], files, list);
    this.files = files;
    for (const file of files) {
      for (const [name, options] of parseIni(readFileSync(file, 'utf8'), file)) {
        const merged = this.sections.get(name);
        if (merged === undefined) {
          this.sections.set(name, new Map(options));
          continue;
        }
        const known = this.sections.get(`KNOWN/${name}`) ?? new Map<string, IniValue>();
        for (const [k, v] of options) {
          const old = merged.get(k);
          if (old !== undefined) known.set(k, old);
          merged.set(k, v);
        }
        this.sections.set(`KNOWN/${name}`, known);
      }
    }
  }

  /** Section names in the order first read (`DEFAULT`, `INCLUDES` and the `KNOWN/…` bookkeeping left out). */
  sectionNames(): string[] {
    return [...this.sections.keys()].filter((n) => n !== 'DEFAULT' && n !== 'INCLUDES' && !n.startsWith('KNOWN/'));
  }

  has(section: string, key: string): boolean {
    return this.raw(section, key) !== undefined;
  }

  /** Option names of a section (without `[DEFAULT]`'s). */
  keys(section: string): string[] {
    return [...(this.sections.get(section)?.keys() ?? [])];
  }

  /** Where an option was written (its own section, then `[DEFAULT]`). */
  raw(section: string, key: string): IniValue | undefined {
    return this.sections.get(section)?.get(key) ?? this.sections.get('DEFAULT')?.get(key);
  }

  /**
   * The value of `section`/`key` with `%(…)s` interpolated; `vars` take precedence over the file (fail2ban
   * passes a jail's filter options this way). Undefined when the option does not exist.
   */
  get(section: string, key: string, vars: Readonly<Record<string, string>> = {}, depth = 0): string | undefined {
    const slash = /^([\w-]+)\/(.+)$/.exec(key);
    if (slash) {
      const [, sec, opt] = slash as unknown as [string, string, string];
      if (sec.toLowerCase() === 'known') {
        // The value before this section overrode it: an earlier file's, else `[DEFAULT]`'s (common.conf's
        // `__prefix_line` for sendmail's `%(known/__prefix_line)s(?:\w{14,20}: )?`).
        const o = opt.toLowerCase();
        const v = this.sections.get(`KNOWN/${section}`)?.get(o) ?? (section === 'DEFAULT' ? this.sections.get('KNOWN/DEFAULT') : this.sections.get('DEFAULT'))?.get(o);
        return v === undefined ? undefined : this.interpolate(section, v.value, vars, depth);
      }
      // As fail2ban does: the other section's raw value, interpolated where it is used (asterisk's
      // `%(default/action_)s` takes the jail's own port).
      const v = this.raw(sec.toLowerCase() === 'default' ? 'DEFAULT' : sec, opt.toLowerCase());
      return v === undefined ? undefined : this.interpolate(section, v.value, vars, depth);
    }
    const k = key.toLowerCase();
    // configparser's `%(__name__)s`: the section's own name (fail2ban's `filter = %(__name__)s[…]`).
    const own = vars[k] ?? this.raw(section, k)?.value ?? (k === '__name__' ? section : undefined);
    if (own === undefined) return undefined;
    return this.interpolate(section, own, vars, depth);
  }

  private interpolate(section: string, value: string, vars: Readonly<Record<string, string>>, depth: number): string {
    if (!value.includes('%')) return value;
    if (depth > 10) throw new Error(`interpolation is nested too deeply in [${section}]: ${value.slice(0, 80)}`);
    return value.replace(/%%|%\(([^)]+)\)s/g, (m, name: string | undefined) => {
      if (name === undefined) return '%';
      const v = this.get(section, name, vars, depth + 1);
      if (v === undefined) {
        const at = this.raw(section, name);
        throw new Error(`${at ? `${at.file}:${at.line}: ` : ''}[${section}] refers to %(${name})s, which is not defined`);
      }
      return v;
    });
  }
}

/** fail2ban's include order for `path`: before-files, the file, its `.local` (unless `listed`), after-files. */
function collect(path: string, seen: readonly string[], out: string[], listed: readonly string[] = []): void {
  if (seen.includes(path) || !existsSync(path)) return;
  const dir = dirname(path);
  const own = [path];
  const local = path.replace(/\.conf$/, '.local');
  if (local !== path && !listed.includes(local) && existsSync(local)) own.push(local);
  const before: string[] = [];
  const after: string[] = [];
  for (const file of own) {
    const includes = parseIni(readFileSync(file, 'utf8'), file).get('INCLUDES');
    for (const [list, into] of [
      ['before', before],
      ['after', after],
    ] as const) {
      for (const name of (includes?.get(list)?.value ?? '').split('\n').map((s) => s.trim()).filter(Boolean)) {
        into.push(isAbsolute(name) ? name : join(dir, name));
      }
    }
  }
  const next = [...seen, path];
  for (const b of before) collect(b, next, out, listed);
  for (const f of own) if (!out.includes(f)) out.push(f);
  for (const a of after) collect(a, next, out, listed);
}

const TAG = /<([^ <>]+)>/g;

/**
 * fail2ban's recursive `<tag>` substitution: a tag whose name is an option (or `section/option`) is
 * replaced by its value, innermost first; unknown tags (`<HOST>`, `<F-USER>`) stay for the regex compiler.
 */
export function substituteTags(value: string, lookup: (tag: string) => string | undefined): string {
  let out = value;
  for (let round = 0; round < 50; round++) {
    let changed = false;
    out = out.replace(TAG, (m, tag: string) => {
      const v = lookup(tag);
      if (v === undefined) return m;
      changed = true;
      return v;
    });
    if (!changed) return out;
  }
  throw new Error(`tags refer to each other without end: ${value.slice(0, 120)}`);
}
