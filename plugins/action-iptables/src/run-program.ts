import { runProgram as run } from '@portcullis/core';

/** Run a program (argv only), feeding `input` on stdin; resolves stdout, rejects with its stderr. */
export async function runProgram(argv: readonly string[], input: string | undefined, timeoutMs: number): Promise<string> {
  const result = await run({ argv, input, timeoutMs }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new Error(`${argv[0]} not found: install iptables/ipset (apt-get install iptables ipset) or set the action's "${optionFor(argv[0]!)}" option`);
    if (error.code === 'EACCES' || error.code === 'EPERM') throw new Error(`cannot run ${argv[0]}: ${error.message} (needs root or CAP_NET_ADMIN, and an executable file)`);
    throw new Error(`cannot run ${argv[0]}: ${error.message}`);
  });
  if (result.code === 0) return result.stdout;
  const hint = /Permission denied|Operation not permitted/i.test(result.stderr) ? ' (needs root or CAP_NET_ADMIN)' : '';
  const how = result.signal ? `killed by ${result.signal} after ${timeoutMs / 1000} s` : `exit ${result.code}`;
  throw Object.assign(new Error(`${argv.join(' ')} failed (${how})${hint}: ${result.stderr.trim().split('\n').slice(0, 6).join('\n')}`), { exitCode: result.code });
}

/** The action option that sets the path of a binary (for error messages). */
function optionFor(program: string): string {
  const base = program.split('/').at(-1) ?? program;
  if (base.startsWith('ip6tables')) return 'ip6tables';
  if (base.startsWith('ipset')) return 'ipsetPath';
  if (base.startsWith('iptables')) return 'iptables';
  return 'commandPrefix';
}
