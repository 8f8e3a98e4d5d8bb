import { spawn } from 'node:child_process';

/** One run of a program by {@link runProgram}. */
export interface ProgramRun {
  /** The program and its arguments. Never given to a shell: each element reaches the program as one word. */
  readonly argv: readonly string[];
  /**
   * Standard input: a string is written and the pipe closed; a number is an open file descriptor the child
   * reads from (for tools that `open()` their input path, which fails on a pipe's socket); absent: empty.
   */
  readonly input?: string | number | undefined;
  /** The child is killed with SIGKILL after this long (the result then has `timedOut`). */
  readonly timeoutMs: number;
  /** The child's environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

/** How a program ended: any exit code resolves; only a failure to start it rejects. */
export interface ProgramResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  /** The last 4,000 characters of stderr: enough for the tool's own error, bounded when it floods. */
  readonly stderr: string;
}

const STDERR_KEPT = 4000;

/**
 * Run a program with `shell: false`, collect its output and wait for it to end, bounded by a timeout.
 * Firewall actions call their tool this way so that an attacker-written string can only ever be one
 * argument. Rejects only when the program cannot be started, with Node's error (`code` ENOENT, EACCES…),
 * so each action can word the fix (which package to install, which option sets the path).
 */
export function runProgram(run: ProgramRun): Promise<ProgramResult> {
  const { argv, input } = run;
  return new Promise((resolve, reject) => {
    const stdin = typeof input === 'number' ? input : 'pipe';
    const child = spawn(argv[0]!, argv.slice(1), { stdio: [stdin, 'pipe', 'pipe'], shell: false, env: run.env ?? process.env });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, run.timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-STDERR_KEPT)));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
    if (child.stdin) {
      child.stdin.on('error', () => {}); // a program that exits without reading its input
      child.stdin.end(typeof input === 'string' ? input : '');
    }
  });
}
