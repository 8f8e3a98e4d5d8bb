import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProgram } from '../src/index.js';

const node = process.execPath;

describe('runProgram', () => {
  it('passes a hostile string as one argument, never through a shell', async () => {
    const word = '1.2.3.4; touch /tmp/portcullis-pwned $(id) `id` | cat';
    const result = await runProgram({ argv: [node, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', word], timeoutMs: 10_000 });
    expect(result).toMatchObject({ code: 0, signal: null, timedOut: false });
    expect(JSON.parse(result.stdout)).toEqual([word]);
  });

  it('feeds a string on stdin and resolves any exit code with stdout and stderr', async () => {
    const script = 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{process.stdout.write(s.toUpperCase());process.stderr.write("warned");process.exit(3)})';
    const result = await runProgram({ argv: [node, '-e', script], input: 'add element', timeoutMs: 10_000 });
    expect(result).toEqual({ code: 3, signal: null, timedOut: false, stdout: 'ADD ELEMENT', stderr: 'warned' });
  });

  it('reads stdin from an open file descriptor (tools that open() their input path)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'run-program-'));
    writeFileSync(join(dir, 'in'), 'from a file');
    const fd = openSync(join(dir, 'in'), 'r');
    try {
      const result = await runProgram({ argv: [node, '-e', 'process.stdout.write(require("fs").readFileSync("/dev/stdin","utf8"))'], input: fd, timeoutMs: 10_000 });
      expect(result.stdout).toBe('from a file');
    } finally {
      closeSync(fd);
    }
  });

  it('keeps only the end of a flood on stderr', async () => {
    const result = await runProgram({ argv: [node, '-e', 'process.stderr.write("x".repeat(100000)+"the real error")'], timeoutMs: 10_000 });
    expect(result.stderr).toHaveLength(4000);
    expect(result.stderr.endsWith('the real error')).toBe(true);
  });

  it('kills a program that outlives its timeout and says so', async () => {
    const result = await runProgram({ argv: [node, '-e', 'setInterval(()=>{},1000)'], timeoutMs: 200 });
    expect(result).toMatchObject({ code: null, signal: 'SIGKILL', timedOut: true });
  });

  it('passes the given environment', async () => {
    const result = await runProgram({ argv: [node, '-e', 'process.stdout.write(process.env.LC_ALL ?? "")'], env: { ...process.env, LC_ALL: 'C' }, timeoutMs: 10_000 });
    expect(result.stdout).toBe('C');
  });

  it('rejects with Node’s error when the program cannot be started', async () => {
    const error = await runProgram({ argv: ['/nonexistent/nft'], timeoutMs: 10_000 }).catch((e: NodeJS.ErrnoException) => e);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
