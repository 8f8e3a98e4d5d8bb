import { PortcullisError } from '@portcullis/core';
import { findFilter } from './find-filter.js';
import { runTestFilter } from './test-filter.js';

/** `portcullis test-filter <filter-id> <file|-> [--option k=v]... [--format …] [--json]` */
export async function runTestFilterCommand(args: {
  filterId: string;
  file: string;
  option: string[];
  format: 'auto' | 'syslog' | 'journal';
  json: boolean;
  config?: string | undefined;
}): Promise<number> {
  const options: Record<string, string> = {};
  for (const kv of args.option) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new PortcullisError('FILTER_OPTION_INVALID', `--option expects key=value, got "${kv}"`);
    options[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const definition = await findFilter(args.filterId, args.config);
  return runTestFilter({
    definition,
    options,
    input: args.file,
    format: args.format,
    json: args.json,
    stdout: process.stdout,
    stderr: process.stderr,
  });
}
