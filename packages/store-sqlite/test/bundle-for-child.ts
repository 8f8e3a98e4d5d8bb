import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Bundle the store's sources into one ESM file plain `node` can run in a child process (to be killed with
 * SIGKILL): tests run against sources, never `dist`. better-sqlite3 (a native addon) stays external, imported
 * from its absolute path. esbuild comes with vite, which vitest already needs.
 */
export async function bundleForChild(entry: string): Promise<string> {
  const require = createRequire(import.meta.url);
  const esbuild = (await import(createRequire(require.resolve('vite')).resolve('esbuild'))) as {
    build(options: Record<string, unknown>): Promise<unknown>;
  };
  const sqlite = require.resolve('better-sqlite3');
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
    plugins: [
      {
        name: 'native-sqlite',
        setup(build: {
          onResolve(o: { filter: RegExp }, f: () => { path: string; external: boolean }): void;
        }) {
          build.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: sqlite, external: true }));
        },
      },
    ],
  });
  return outfile;
}
