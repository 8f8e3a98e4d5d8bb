import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Bundle a TypeScript source entry into one ESM file plain `node` can run, for tests that need core code in
 * a child process (a mount namespace, a process to kill): tests run against sources, never against `dist`.
 * esbuild comes with vite, which vitest already needs.
 */
export async function bundleForChild(entry: string): Promise<string> {
  const fromRoot = createRequire(import.meta.url);
  const esbuild = (await import(createRequire(fromRoot.resolve('vite')).resolve('esbuild'))) as {
    build(options: Record<string, unknown>): Promise<unknown>;
  };
  const outfile = join(mkdtempSync(join(tmpdir(), 'pcl-bundle-')), 'entry.mjs');
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    conditions: ['@portcullis/source'],
    logLevel: 'error',
  });
  return outfile;
}
