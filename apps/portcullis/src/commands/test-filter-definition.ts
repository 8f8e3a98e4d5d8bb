import { existsSync } from 'node:fs';
import type { FilterDefinition } from '@portcullis/core';
import { FAIL2BAN_PREFIX, fail2banFilterPath, loadFail2banFilter } from '@portcullis/core/filtering';
import { findFilter } from './find-filter.js';

/**
 * What names test-filter's filter on its command line: plain data, so a worker thread given the same
 * can resolve the same definition (a definition holds functions, which do not cross threads).
 */
export interface TestFilterSource {
  readonly filterId: string;
  readonly config?: string | undefined;
  /** `--ignoreregex` patterns added to the filter's own. */
  readonly ignoreregex?: readonly string[] | undefined;
}

/**
 * fail2ban-regex habits: the filter argument may be a regex with a host tag (`'^Failed .* from <HOST>'`),
 * a fail2ban filter (`fail2ban:sshd`, or a path to a `.conf`), or the id of a plugin's filter.
 */
export async function testFilterDefinition(source: TestFilterSource): Promise<FilterDefinition> {
  const base = await filterFor(source.filterId, source.config);
  const extra = source.ignoreregex ?? [];
  const ignore = base.ignoreregex;
  return extra.length
    ? { ...base, ignoreregex: (o) => [...(typeof ignore === 'function' ? ignore(o) : (ignore ?? [])), ...extra] }
    : base;
}

async function filterFor(arg: string, config: string | undefined): Promise<FilterDefinition> {
  if (/<(?:HOST|ADDR|IP4|IP6)>/.test(arg)) return { id: 'command-line', failregex: [arg] };
  if (arg.startsWith(FAIL2BAN_PREFIX) || ((arg.endsWith('.conf') || arg.endsWith('.local')) && existsSync(arg))) {
    return loadFail2banFilter(fail2banFilterPath(arg));
  }
  return findFilter(arg, config);
}
