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
      reject(new Error(error.code === 'ENOENT' ? `${argv[0]} not found: install iptables/ipset or set the action's binary options` : `cannot run ${argv[0]}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(out);
      const hint = /Permission denied|Operation not permitted/i.test(err) ? ' (needs root or CAP_NET_ADMIN)' : '';
      reject(Object.assign(new Error(`${argv.join(' ')} failed (${signal ?? `exit ${code}`})${hint}: ${err.trim().split('\n').slice(0, 6).join('\n')}`), { exitCode: code }));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}
