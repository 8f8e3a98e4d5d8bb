import { spawn } from 'node:child_process';
import { delimiter } from 'node:path';

/** How to run one program. */
export interface RunSpec {
  /** Program and arguments; never given to a shell. */
  readonly argv: readonly string[];
  /** Which option the argv came from, for error messages (`ban`, `check`…). */
  readonly option: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly killGraceMs: number;
  /** Written to the program's stdin, which is then closed. */
  readonly input?: string | undefined;
}

/** How a program ended. */
export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

const MAX_CAPTURE = 64 * 1024;

/** Debian's PATH for non-root users lacks the sbin folders where firewall tools live. */
function searchPath(env: Readonly<Record<string, string | undefined>>): string {
  const parts = (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter);
  for (const dir of ['/usr/local/sbin', '/usr/sbin', '/sbin']) if (!parts.includes(dir)) parts.push(dir);
  return parts.join(delimiter);
}

function spawnError(spec: RunSpec, error: NodeJS.ErrnoException): Error {
  const program = JSON.stringify(spec.argv[0]);
  if (error.code === 'ENOENT') {
    return new Error(
      `command action: program ${program} (option "${spec.option}") not found — give its absolute path or fix PATH; working directory ${spec.cwd}`,
      { cause: error },
    );
  }
  if (error.code === 'EACCES' || error.code === 'EPERM') {
    return new Error(
      `command action: cannot execute ${program} (option "${spec.option}"): permission denied — make it executable, and run portcullis as root if it changes the firewall`,
      { cause: error },
    );
  }
  return new Error(`command action: cannot start ${program} (option "${spec.option}"): ${error.message}`, {
    cause: error,
  });
}

/**
 * Run a program with `shell: false` in its own process group, so a timeout kills its children too:
 * SIGTERM at `timeoutMs`, SIGKILL `killGraceMs` later. Resolves with the exit status (any code); rejects
 * when the program cannot be started or timed out.
 */
export function runProgram(spec: RunSpec): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...spec.env };
    env.PATH = searchPath(env);
    const child = spawn(spec.argv[0]!, spec.argv.slice(1), {
      cwd: spec.cwd,
      env,
      shell: false,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), spec.killGraceMs);
    }, spec.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < MAX_CAPTURE) stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_CAPTURE) stderr += chunk.toString('utf8');
    });
    child.stdin.on('error', () => undefined); // a program that exits without reading its stdin
    child.stdin.end(spec.input ?? '');
    child.on('error', (error) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      reject(spawnError(spec, error));
    });
    // A grandchild that left the process group may keep our pipes open: stop waiting for them soon after exit.
    child.on('exit', () => {
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 1000).unref();
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      if (timedOut) {
        reject(
          new Error(
            `command action: ${JSON.stringify(spec.argv[0])} (option "${spec.option}") timed out after ${spec.timeoutMs / 1000} s and was killed (${signal ?? `exit ${code}`})`,
          ),
        );
        return;
      }
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The end of a program's stderr, one line, for error messages. */
export function stderrExcerpt(stderr: string, max = 400): string {
  const text = stderr.replace(/\s+/g, ' ').trim();
  return text.length > max ? `…${text.slice(-max)}` : text;
}

/** Like {@link runProgram}, but a non-zero exit is an error that quotes the program's stderr. */
export async function runChecked(spec: RunSpec): Promise<RunResult> {
  const result = await runProgram(spec);
  if (result.code !== 0) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
    const said = stderrExcerpt(result.stderr);
    throw new Error(
      `command action: ${JSON.stringify(spec.argv[0])} (option "${spec.option}") ${how}${said ? `: ${said}` : ''}`,
    );
  }
  return result;
}
