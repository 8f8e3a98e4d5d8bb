import { PortcullisError } from '@portcullis/core';

/**
 * Print an error for people and return the exit code: user errors (bad config, missing plugin…) get
 * their message, problems and hint without a stack trace and exit 2; anything else exits 1.
 */
export function reportError(error: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (error instanceof PortcullisError) {
    stderr.write(`portcullis: ${error.message}\n`);
    // Problems the message does not list already, one line each (check-config and start print the same).
    for (const p of error.problems) if (!error.message.includes(p)) stderr.write(`  ${p}\n`);
    if (error.hint) stderr.write(`  hint: ${error.hint}\n`);
    return 2;
  }
  const err = error as Error;
  stderr.write(`portcullis: ${err?.message ?? String(error)}\n`);
  if (process.env.PORTCULLIS_DEBUG && err?.stack) stderr.write(`${err.stack}\n`);
  return 1;
}
