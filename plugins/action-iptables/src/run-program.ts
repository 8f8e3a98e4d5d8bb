import { spawn } from 'node:child_process';

/** Run a program (argv only), feeding `input` on stdin; resolves stdout, rejects with its stderr. */
export function runProgram(argv: readonly string[], input: string | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT') reject(new Error(`${argv[0]} not found: install iptables/ipset (apt-get install iptables ipset) or set the action's "${optionFor(argv[0]!)}" option`));
      else if (error.code === 'EACCES' || error.code === 'EPERM') reject(new Error(`cannot run ${argv[0]}: ${error.message} (needs root or CAP_NET_ADMIN, and an executable file)`));
      else reject(new Error(`cannot run ${argv[0]}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(out);
      const hint = /Permission denied|Operation not permitted/i.test(err) ? ' (needs root or CAP_NET_ADMIN)' : '';
      reject(Object.assign(new Error(`${argv.join(' ')} failed (${signal ? `killed by ${signal} after ${timeoutMs / 1000} s` : `exit ${code}`})${hint}: ${err.trim().split('\n').slice(0, 6).join('\n')}`), { exitCode: code }));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** The action option that sets the path of a binary (for error messages). */
function optionFor(program: string): string {
  const base = program.split('/').at(-1) ?? program;
  if (base.startsWith('ip6tables')) return 'ip6tables';
  if (base.startsWith('ipset')) return 'ipsetPath';
  if (base.startsWith('iptables')) return 'iptables';
  return 'commandPrefix';
}
