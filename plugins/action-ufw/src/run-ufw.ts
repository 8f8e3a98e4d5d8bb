import { runProgram } from '@portcullis/core';

/** How to run ufw: the binary, an optional argv prefix (namespaces, containers), a timeout. */
export interface UfwRunner {
  readonly ufw: string;
  readonly prefix: readonly string[];
  readonly timeoutMs: number;
}

/**
 * Run `ufw <args>` (argv only, never a shell: addresses, ports and the comment are separate arguments, and
 * ufw's own parser sees them as words). Resolves with stdout; rejects with ufw's own error text.
 */
export async function runUfw(runner: UfwRunner, args: readonly string[]): Promise<string> {
  const argv = [...runner.prefix, runner.ufw, ...args];
  const env = { ...process.env, LC_ALL: 'C' };
  const result = await runProgram({ argv, timeoutMs: runner.timeoutMs, env }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' && runner.prefix.length) throw new Error(`${argv[0]} not found: check the action's "commandPrefix" option`);
    if (error.code === 'ENOENT') throw new Error(`${argv[0]} not found: install ufw (apt-get install ufw) or set the action's "ufw" option`);
    throw new Error(`cannot run ${argv[0]}: ${error.message}`);
  });
  if (result.code === 0) return result.stdout;
  const text = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-6).join('\n');
  const hint = /root|Permission denied|Operation not permitted/i.test(text) ? ' (ufw needs root)' : '';
  const what = result.signal ? `killed by ${result.signal} after ${runner.timeoutMs / 1000} s` : `exit ${result.code}`;
  throw new Error(`ufw ${args.join(' ')} failed (${what})${hint}: ${text}`);
}
