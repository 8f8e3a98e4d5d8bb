#!/usr/bin/env node
// The `portcullis` command. It exists before the build (pnpm links bins at install time, before
// `pnpm build` has written dist/), and says what to do when dist/ is missing.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('portcullis: dist/cli.js is missing: run `pnpm build` in the clone first\n');
  process.exit(1);
}
await import(cli.href);
