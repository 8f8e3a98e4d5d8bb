import { type ProgramResult, runProgram } from '@portcullis/core';
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
export async function runFirewallCmd(runner: FirewallCmdRunner, args: readonly string[], input?: string): Promise<string> {
  const argv = [...runner.prefix, runner.firewallCmd, ...args];
  let stdin: number | undefined;
  if (input !== undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-firewalld-'));
    try {
      writeFileSync(join(dir, 'entries'), input, { mode: 0o600 });
      stdin = openSync(join(dir, 'entries'), 'r');
    } finally {
      rmSync(dir, { recursive: true, force: true }); // the open descriptor keeps the data
    }
  }
  let result: ProgramResult;
  try {
    result = await runProgram({ argv, input: stdin, timeoutMs: runner.timeoutMs }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' && runner.prefix.length) throw new Error(`${argv[0]} not found: check the action's "commandPrefix" option`);
      if (error.code === 'ENOENT') throw new Error(`${argv[0]} not found: install firewalld (dnf install firewalld / apt-get install firewalld) or set the action's "firewallCmd" option`);
      throw new Error(`cannot run ${argv[0]}: ${error.message}`);
    });
  } finally {
    if (stdin !== undefined) closeSync(stdin); // the child has its own copy once spawned
  }
  const { code, signal, stdout: out, stderr: err } = result;
  // firewall-cmd exits 0 when it cannot read an entries file: that is a failed batch, not a success.
  if (code === 0 && !/^Failed to read file/m.test(out)) return out;
  const text = (err.trim() || out.trim()).split('\n').slice(-6).join('\n');
  const hint = code === 252 || /NOT_RUNNING|not running/i.test(text) ? ' (is firewalld running? systemctl start firewalld)' : /ACCESS_DENIED|Authorization/i.test(text) ? ' (firewall-cmd needs root)' : '';
  const what = signal ? `killed by ${signal} after ${runner.timeoutMs / 1000} s` : `exit ${code}`;
  const error = new Error(`firewall-cmd ${args.join(' ')} failed (${what})${hint}: ${text}`) as FirewallCmdError;
  error.code = code ?? undefined;
  error.stderr = err;
  throw error;
}
