import { runProgram } from '@portcullis/core';

/** How to run nft: the binary, an optional argv prefix (namespaces, containers), a timeout. */
export interface NftRunner {
  readonly nft: string;
  readonly prefix: readonly string[];
  readonly timeoutMs: number;
}

/**
 * Run `nft <args>` with `script` on stdin (argv only, never a shell). One process applies a whole batch
 * atomically (`nft -f -` is one transaction). Rejects with nft's own error text.
 */
export async function runNft(runner: NftRunner, args: readonly string[], script?: string): Promise<string> {
  const argv = [...runner.prefix, runner.nft, ...args];
  const result = await runProgram({ argv, input: script, timeoutMs: runner.timeoutMs }).catch((error: NodeJS.ErrnoException) => {
    throw spawnFailure(argv[0]!, runner, error);
  });
  if (result.code === 0) return result.stdout;
  throw nftFailure(args.join(' '), result.stderr, result.signal ? `killed by ${result.signal} after ${runner.timeoutMs / 1000} s` : `exit ${result.code}`);
}

/** Why nft could not be started, with what to do about it. */
export function spawnFailure(program: string, runner: NftRunner, error: NodeJS.ErrnoException): Error {
  if (error.code === 'ENOENT' && runner.prefix.length) return new Error(`${program} not found: check the action's "commandPrefix" option`);
  if (error.code === 'ENOENT') return new Error(`${program} not found: install nftables (apt-get install nftables) or set the action's "nft" option`);
  if (error.code === 'EACCES' || error.code === 'EPERM') return new Error(`cannot run ${program}: ${error.message} (it must be executable, and nftables needs root or CAP_NET_ADMIN)`);
  return new Error(`cannot run ${program}: ${error.message}`);
}

/** nft refused a command: its own error text (first lines), and a hint when it is a matter of permissions. */
export function nftFailure(args: string, stderr: string, how: string | undefined): Error {
  const text = stderr.trim().split('\n').slice(0, 6).join('\n');
  const hint = /Operation not permitted|Permission denied/i.test(text) ? ' (nftables needs root or CAP_NET_ADMIN)' : '';
  return new Error(`nft ${args} failed${how ? ` (${how})` : ''}${hint}: ${text}`);
}
