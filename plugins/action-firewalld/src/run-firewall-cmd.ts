import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How to run firewall-cmd: the binary, an optional argv prefix (namespaces, containers), a timeout. */
export interface FirewallCmdRunner {
  readonly firewallCmd: string;
  readonly prefix: readonly string[];
  readonly timeoutMs: number;
}

/** A firewall-cmd failure: its exit code (firewalld's error numbers, e.g. 136 INVALID_ENTRY) and its stderr. */
export interface FirewallCmdError extends Error {
  code?: number | undefined;
  stderr: string;
}

/**
 * Run `firewall-cmd <args>` with `input` on stdin (argv only, never a shell). Entries for
 * `--add-entries-from-file=/dev/stdin` go through stdin, so one process applies a whole batch. stdin is a
 * private temp file, not a pipe: firewall-cmd open()s the path, which fails on the socket Node uses for pipes,
 * while a file descriptor passes through any `commandPrefix` (nsenter, ip netns exec, ssh, docker exec -i).
 * Resolves with stdout; rejects with firewall-cmd's own error text.
 */
export function runFirewallCmd(runner: FirewallCmdRunner, args: readonly string[], input?: string): Promise<string> {
  const argv = [...runner.prefix, runner.firewallCmd, ...args];
  let stdin: number | 'ignore' = 'ignore';
  if (input !== undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-firewalld-'));
    try {
      writeFileSync(join(dir, 'entries'), input, { mode: 0o600 });
      stdin = openSync(join(dir, 'entries'), 'r');
    } finally {
      rmSync(dir, { recursive: true, force: true }); // the open descriptor keeps the data
    }
  }
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { stdio: [stdin, 'pipe', 'pipe'], shell: false });
    } finally {
      if (typeof stdin === 'number') closeSync(stdin);
    }
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), runner.timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT' && runner.prefix.length) reject(new Error(`${argv[0]} not found: check the action's "commandPrefix" option`));
      else if (error.code === 'ENOENT') reject(new Error(`${argv[0]} not found: install firewalld (dnf install firewalld / apt-get install firewalld) or set the action's "firewallCmd" option`));
      else reject(new Error(`cannot run ${argv[0]}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // firewall-cmd exits 0 when it cannot read an entries file: that is a failed batch, not a success.
      if (code === 0 && !/^Failed to read file/m.test(out)) return resolve(out);
      const text = (err.trim() || out.trim()).split('\n').slice(-6).join('\n');
      const hint = code === 252 || /NOT_RUNNING|not running/i.test(text) ? ' (is firewalld running? systemctl start firewalld)' : /ACCESS_DENIED|Authorization/i.test(text) ? ' (firewall-cmd needs root)' : '';
      const what = signal ? `killed by ${signal} after ${runner.timeoutMs / 1000} s` : `exit ${code}`;
      const error = new Error(`firewall-cmd ${args.join(' ')} failed (${what})${hint}: ${text}`) as FirewallCmdError;
      error.code = code ?? undefined;
      error.stderr = err;
      reject(error);
    });
  });
}
