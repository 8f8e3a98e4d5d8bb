import { spawn } from 'node:child_process';

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
export function runUfw(runner: UfwRunner, args: readonly string[]): Promise<string> {
  const argv = [...runner.prefix, runner.ufw, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], shell: false, env: { ...process.env, LC_ALL: 'C' } });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), runner.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT' && runner.prefix.length) reject(new Error(`${argv[0]} not found: check the action's "commandPrefix" option`));
      else if (error.code === 'ENOENT') reject(new Error(`${argv[0]} not found: install ufw (apt-get install ufw) or set the action's "ufw" option`));
      else reject(new Error(`cannot run ${argv[0]}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(out);
      const text = (err.trim() || out.trim()).split('\n').slice(-6).join('\n');
      const hint = /root|Permission denied|Operation not permitted/i.test(text) ? ' (ufw needs root)' : '';
      const what = signal ? `killed by ${signal} after ${runner.timeoutMs / 1000} s` : `exit ${code}`;
      reject(new Error(`ufw ${args.join(' ')} failed (${what})${hint}: ${text}`));
    });
  });
}
