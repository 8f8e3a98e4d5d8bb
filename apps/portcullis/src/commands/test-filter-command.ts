import { existsSync } from 'node:fs';
import { type FilterDefinition, PortcullisError } from '@portcullis/core';
import { FAIL2BAN_PREFIX, fail2banFilterPath, loadFail2banFilter } from '@portcullis/core/filtering';
import { findFilter } from './find-filter.js';
import { runTestFilter } from './test-filter.js';

/** `portcullis test-filter <filter-id> <file|-> [--option k=v]... [--format …] [--json | --hosts]` */
export async function runTestFilterCommand(args: {
  filterId: string;
  file: string;
  option: string[];
  format: 'auto' | 'syslog' | 'journal';
  json: boolean;
  hosts?: boolean | undefined;
  config?: string | undefined;
  ignoreregex?: string[] | undefined;
  printMatched?: boolean | undefined;
  printMissed?: boolean | undefined;
}): Promise<number> {
  const options: Record<string, string> = {};
  for (const kv of args.option) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new PortcullisError('FILTER_OPTION_INVALID', `--option expects key=value, got "${kv}"`);
    options[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const base = await filterFor(args.filterId, args.config);
  const extra = args.ignoreregex ?? [];
  const ignore = base.ignoreregex;
  const definition: FilterDefinition = extra.length
    ? { ...base, ignoreregex: (o) => [...(typeof ignore === 'function' ? ignore(o) : (ignore ?? [])), ...extra] }
    : base;
  return runTestFilter({
    definition,
    options,
    input: args.file,
    format: args.format,
    json: args.json,
    hosts: args.hosts,
    printMatched: args.printMatched,
    printMissed: args.printMissed,
    stdout: process.stdout,
    stderr: process.stderr,
  });
}

/**
 * fail2ban-regex habits: the filter argument may be a regex with a host tag (`'^Failed .* from <HOST>'`),
 * a fail2ban filter (`fail2ban:sshd`, or a path to a `.conf`), or the id of a plugin's filter.
 */
async function filterFor(arg: string, config: string | undefined): Promise<FilterDefinition> {
  if (/<(?:HOST|ADDR|IP4|IP6)>/.test(arg)) return { id: 'command-line', failregex: [arg] };
  if (arg.startsWith(FAIL2BAN_PREFIX) || ((arg.endsWith('.conf') || arg.endsWith('.local')) && existsSync(arg))) {
    return loadFail2banFilter(fail2banFilterPath(arg));
  }
  return findFilter(arg, config);
}
