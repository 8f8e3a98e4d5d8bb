import { PortcullisError } from '../util/errors.js';
import type { FilterDefinition } from '../contract/filter-definition.js';

/**
 * The options of a filter with defaults filled in.
 * @throws PortcullisError `FILTER_OPTION_INVALID` for an unknown name or value, listing the valid ones.
 */
export function resolveFilterOptions(
  definition: FilterDefinition,
  given: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> {
  const declared = definition.options ?? {};
  const resolved: Record<string, string> = {};
  for (const [name, option] of Object.entries(declared)) resolved[name] = option.default;
  for (const [name, value] of Object.entries(given ?? {})) {
    const option = declared[name];
    if (!option) {
      const names = Object.keys(declared);
      throw new PortcullisError(
        'FILTER_OPTION_INVALID',
        `filter "${definition.id}" has no option "${name}"; ${names.length > 0 ? `valid options: ${names.join(', ')}` : 'it takes no options'}`,
      );
    }
    if (!option.values.includes(value)) {
      throw new PortcullisError(
        'FILTER_OPTION_INVALID',
        `filter "${definition.id}": option ${name}="${value}" is not valid; valid values: ${option.values.join(', ')}`,
      );
    }
    resolved[name] = value;
  }
  return Object.freeze(resolved);
}

/** True when a rule's `when` condition holds for the options. */
export function selected(when: Readonly<Record<string, readonly string[]>> | undefined, options: Readonly<Record<string, string>>): boolean {
  if (!when) return true;
  for (const [name, values] of Object.entries(when)) {
    const v = options[name];
    if (v === undefined || !values.includes(v)) return false;
  }
  return true;
}
