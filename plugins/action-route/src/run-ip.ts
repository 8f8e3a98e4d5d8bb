import { runProgram } from '@portcullis/core';

/** How to run `ip`: the binary, an optional argv prefix (namespaces, containers), a timeout. */
export interface IpRunner {
  readonly ip: string;
  readonly prefix: readonly string[];
  readonly timeoutMs: number;
}

/** An `ip` failure with what it wrote on stderr (one line per failed command in batch mode). */
export interface IpError extends Error {
  stderr: string;
}

/** The line numbers (1-based) of a batch that failed with a message matching `reason`, and whether others failed. */
export function batchFailures(error: unknown, reason: RegExp): { lines: number[]; other: boolean } {
  const stderr = (error as Partial<IpError>).stderr;
  if (stderr === undefined || stderr === '') return { lines: [], other: true };
  const lines: number[] = [];
  let other = false;
  let matched = false;
  for (const line of stderr.split('\n')) {
    if (!line) continue;
    const failed = /^Command failed -:(\d+)$/.exec(line);
    if (failed) {
      if (matched) lines.push(Number(failed[1]));
      else other = true;
      matched = false;
    } else if (reason.test(line)) matched = true;
    else other = true;
  }
  return { lines, other };
}

/**
 * Run `ip <args>` with `input` on stdin (argv only, never a shell). With `-batch -` one process applies a
 * whole batch of route changes. Rejects with ip's own error text.
 */
export async function runIp(runner: IpRunner, args: readonly string[], input?: string): Promise<string> {
  const argv = [...runner.prefix, runner.ip, ...args];
  const result = await runProgram({ argv, input, timeoutMs: runner.timeoutMs }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new Error(`${argv[0]} not found: install iproute2 (apt-get install iproute2) or set the action's "ip" option`);
    throw new Error(`cannot run ${argv[0]}: ${error.message}`);
  });
  if (result.code === 0) return result.stdout;
  const text = result.stderr.trim().split('\n').slice(0, 6).join('\n');
  const hint = /Operation not permitted|Permission denied/i.test(text) ? ' (routes need root or CAP_NET_ADMIN)' : '';
  const error = new Error(`ip ${args.join(' ')} failed (${result.signal ? `killed by ${result.signal}` : `exit ${result.code}`})${hint}: ${text}`) as IpError;
  error.stderr = result.signal ? '' : result.stderr;
  throw error;
}
