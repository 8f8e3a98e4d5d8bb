import { readFile } from 'node:fs/promises';
import { parseNetwork } from '@portcullis/core';
import type { BanInfo } from '@portcullis/core/engine';
import { type BlockListFormat, formatBlockList } from '../control/blocklist-format.js';
import { NoDaemonError, request } from '../control/control-client.js';
import { type ClientOptions, EXIT, socketPath } from './client-commands.js';

/** Addresses sent per request: well under the daemon's 1 MiB request limit even for long IPv6 networks. */
const CHUNK = 2000;

/** One line of a block list that is not an address or network. */
export interface InvalidLine {
  readonly line: number;
  readonly text: string;
}

/**
 * Read a block list: one address or CIDR network per line; `#` starts a comment, blank lines are skipped.
 * Lines that are neither are returned with their line numbers, never sent to the daemon.
 */
export function parseBlockList(text: string): { targets: string[]; invalid: InvalidLine[] } {
  const targets: string[] = [];
  const invalid: InvalidLine[] = [];
  let n = 0;
  for (const raw of text.split('\n')) {
    n++;
    const hash = raw.indexOf('#');
    const entry = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    if (entry === '') continue;
    if (parseNetwork(entry)) targets.push(entry);
    else invalid.push({ line: n, text: entry.slice(0, 200) });
  }
  return { targets, invalid };
}

/**
 * `portcullis ban <jail> --from-file FILE|-`: bans every valid line, in chunks of {@link CHUNK} requests so
 * 100,000 lines fit the protocol's request limit. Exit 1 when a line was invalid (the valid ones are still
 * banned), 2 when the file cannot be read, 3 when no daemon answers.
 */
export async function runBulkBan(jail: string, file: string, options: ClientOptions): Promise<number> {
  const out = options.stdout ?? process.stdout;
  const err = options.stderr ?? process.stderr;
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    return report(options, EXIT.usage, { code: 'USAGE', message: `cannot read ${file}: ${(error as Error).message}` });
  }
  const { targets, invalid } = parseBlockList(text);
  const totals = { banned: 0, already: 0, ignored: [] as string[], refused: [] as string[] };
  try {
    const path = await socketPath(options);
    for (let i = 0; i < targets.length; i += CHUNK) {
      const response = await request(path, 'ban', { jail, ips: targets.slice(i, i + CHUNK) }, { timeoutMs: 120_000 });
      if (!response.ok) return report(options, EXIT.failed, response.error);
      const r = response.result as { banned: string[]; already: string[]; invalid: string[]; ignored?: string[] };
      totals.banned += r.banned.length;
      totals.already += r.already.length;
      totals.ignored.push(...(r.ignored ?? []));
      totals.refused.push(...r.invalid);
    }
  } catch (error) {
    if (error instanceof NoDaemonError) return report(options, EXIT.noDaemon, { code: 'NO_DAEMON', message: error.message });
    return report(options, EXIT.failed, { code: 'INTERNAL', message: (error as Error).message });
  }
  const name = file === '-' ? 'stdin' : file;
  if (options.json) {
    out.write(`${JSON.stringify({ jail, lines: targets.length + invalid.length, ...totals, invalid }, null, 2)}\n`);
  } else {
    out.write(`${jail}: banned ${totals.banned}, already banned ${totals.already}, not banned (ignoreip) ${totals.ignored.length}, invalid lines ${invalid.length}\n`);
    for (const bad of invalid) err.write(`${name}:${bad.line}: ${JSON.stringify(bad.text)} is not an IP address or CIDR network\n`);
  }
  return invalid.length > 0 || totals.refused.length > 0 ? EXIT.failed : EXIT.ok;
}

/** `portcullis banned --format plain|json|nft`: export the current bans as a block list on stdout. */
export async function runBannedExport(format: BlockListFormat, options: ClientOptions): Promise<number> {
  try {
    const response = await request(await socketPath(options), 'banned', {}, { timeoutMs: 120_000 });
    if (!response.ok) return report(options, EXIT.failed, response.error);
    (options.stdout ?? process.stdout).write(formatBlockList(response.result as BanInfo[], format));
    return EXIT.ok;
  } catch (error) {
    if (error instanceof NoDaemonError) return report(options, EXIT.noDaemon, { code: 'NO_DAEMON', message: error.message });
    return report(options, EXIT.failed, { code: 'INTERNAL', message: (error as Error).message });
  }
}

function report(options: ClientOptions, code: number, error: { code: string; message: string }): number {
  if (options.json) (options.stdout ?? process.stdout).write(`${JSON.stringify({ ok: false, error }, null, 2)}\n`);
  else (options.stderr ?? process.stderr).write(`portcullis: ${error.message}\n`);
  return code;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
