import { PortcullisError } from '@portcullis/core';
import { testFilterDefinition } from './test-filter-definition.js';
import { runTestFilter } from './test-filter.js';

/** `portcullis test-filter <filter-id> <file|-> [--option k=v]... [--format …] [--json | --hosts] [--threads N]` */
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
  threads?: number | undefined;
}): Promise<number> {
  const options: Record<string, string> = {};
  for (const kv of args.option) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new PortcullisError('FILTER_OPTION_INVALID', `--option expects key=value, got "${kv}"`);
    options[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const source = { filterId: args.filterId, config: args.config, ignoreregex: args.ignoreregex ?? [] };
  return runTestFilter({
    definition: await testFilterDefinition(source),
    source,
    options,
    input: args.file,
    format: args.format,
    json: args.json,
    hosts: args.hosts,
    printMatched: args.printMatched,
    printMissed: args.printMissed,
    threads: args.threads,
    stdout: process.stdout,
    stderr: process.stderr,
  });
}
