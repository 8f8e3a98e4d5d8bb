import { resolve } from 'node:path';
import type { FailRule, FilterDefinition } from '../contract/filter-definition.js';
import type { PortcullisConfig } from '../config/config-schema.js';
import { compileFilter } from '../filters/compile-filter.js';
import { FAIL2BAN_DIR, FAIL2BAN_PREFIX, fail2banFilterPath, loadFail2banFilter } from '../filters/fail2ban/load-fail2ban-filter.js';
import { checkRegexSafety } from '../filters/regex-safety.js';
import { INJECTABLE_FAIL2BAN_FILTERS } from '../filters/fail2ban/injectable-filters.js';
import type { PluginRegistry } from '../plugins/resolve-plugins.js';

type FilterData = PortcullisConfig['filters'][string];
type JailFilterRef = PortcullisConfig['jails'][string]['filter'];

/** A config `filters:` entry as a filter definition. */
export function definitionFromConfig(id: string, data: FilterData): FilterDefinition {
  return {
    id,
    description: data.description,
    failregex: data.failregex as readonly (string | FailRule)[],
    ignoreregex: data.ignoreregex,
    prefix: data.prefix,
    programs: data.programs,
    datepattern: data.datepattern,
    journalmatch: data.journalmatch,
    correlate: data.correlate,
    options: data.options,
  };
}

/** The filter a jail names, with the rules the jail adds, ready to compile — or the problems, each with its path. */
export async function resolveJailFilter(
  at: string,
  ref: JailFilterRef,
  config: PortcullisConfig,
  registry: PluginRegistry,
  dir: string,
  problems: { push(...lines: string[]): void },
  /** The message for an id nothing provides (undefined: say nothing, e.g. because a plugin failed to load). */
  unknownFilter: (id: string) => string | undefined = (id) => `unknown filter "${id}" (or fail2ban:<name> for a fail2ban filter.d file)`,
): Promise<FilterDefinition | undefined> {
  const id = typeof ref === 'string' ? ref : ref.id;
  const options = typeof ref === 'string' ? {} : ref.options;
  let base: FilterDefinition | undefined;
  // Regexes nobody reviewed for us: the config's own and fail2ban's files are checked for backtracking.
  let audited = false;
  const unsafe = typeof ref === 'string' ? false : (ref.unsafe ?? false);
  const own = config.filters[id];
  if (own !== undefined) {
    // Its own rules are checked once, at `filters.<id>`; here only what the jail adds.
    base = definitionFromConfig(id, own);
  } else if (id.startsWith(FAIL2BAN_PREFIX)) {
    const injectable = INJECTABLE_FAIL2BAN_FILTERS[id.slice(FAIL2BAN_PREFIX.length)];
    if (injectable !== undefined && !unsafe) {
      problems.push(`${at}.filter: ${id} can take a host from attacker-written text (${injectable}); set unsafe: true on the filter to accept it`);
      return undefined;
    }
    try {
      base = loadFail2banFilter(fail2banFilterPath(id, resolve(dir, config.fail2ban?.dir ?? FAIL2BAN_DIR), dir), { id });
      audited = true;
    } catch (error) {
      problems.push(`${at}.filter: ${(error as Error).message}`);
      return undefined;
    }
  } else {
    base = registry.filters.get(id)?.definition;
    if (base === undefined) {
      const message = unknownFilter(id);
      if (message !== undefined) problems.push(`${at}.filter: ${message}`);
      return undefined;
    }
  }
  const extraFail = typeof ref === 'string' ? [] : (ref.failregex ?? []);
  const extraIgnore = typeof ref === 'string' ? [] : (ref.ignoreregex ?? []);
  const definition = extraFail.length || extraIgnore.length ? extend(base, extraFail as (string | FailRule)[], extraIgnore) : base;
  let compiled: ReturnType<typeof compileFilter>;
  try {
    compiled = compileFilter(definition, options);
  } catch (error) {
    const bad = (error as { code?: string }).code === 'FILTER_OPTION_INVALID';
    problems.push(`${at}.filter${bad ? '.options' : ''}: ${(error as Error).message}`);
    return undefined;
  }
  const patterns = audited ? compiled.rules.map((r) => r.pattern) : compiled.rules.slice(compiled.rules.length - extraFail.length).map((r) => r.pattern);
  const ignores = typeof definition.ignoreregex === 'function' ? definition.ignoreregex(compiled.options) : (definition.ignoreregex ?? []);
  patterns.push(...(audited ? ignores : extraIgnore));
  if (!unsafe && patterns.length > 0) {
    for (const v of await checkRegexSafety(patterns)) {
      if (v.status === 'vulnerable') problems.push(`${at}.filter: /${v.pattern}/ can backtrack catastrophically (${v.reason}); fix the regex, or set unsafe: true on the filter to accept it`);
    }
  }
  return definition;
}

/** A filter with the jail's own rules after its rules. */
function extend(base: FilterDefinition, failregex: readonly (string | FailRule)[], ignoreregex: readonly string[]): FilterDefinition {
  const baseFail = base.failregex;
  const baseIgnore = base.ignoreregex;
  return {
    ...base,
    failregex: (opts) => [...(typeof baseFail === 'function' ? baseFail(opts) : baseFail), ...failregex],
    ignoreregex: (opts) => [...(typeof baseIgnore === 'function' ? baseIgnore(opts) : (baseIgnore ?? [])), ...ignoreregex],
  };
}
