import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Bundle a TypeScript source entry into one ESM file plain `node` can run, for tests that need our code in
 * a child process (a mount namespace, a process to kill): tests run against sources, never against `dist`.
 * `external` packages (native addons such as better-sqlite3) stay outside the bundle, imported from the
 * absolute path they resolve to from `from`. esbuild comes with vite, which vitest already needs.
 */
export async function bundleForChild(entry: string, options: { external?: readonly string[]; from?: string } = {}): Promise<string> {
  const require = createRequire(options.from ?? import.meta.url);
  const esbuild = (await import(createRequire(createRequire(import.meta.url).resolve('vite')).resolve('esbuild'))) as {
    build(options: Record<string, unknown>): Promise<unknown>;
  };
  const externals = new Map((options.external ?? []).map((name) => [name, require.resolve(name)]));
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
        name: 'externals',
        setup(build: { onResolve(o: { filter: RegExp }, f: (args: { path: string }) => { path: string; external: boolean } | undefined): void }) {
          build.onResolve({ filter: /.*/ }, (args) => {
            const path = externals.get(args.path);
            return path === undefined ? undefined : { path, external: true };
          });
        },
      },
    ],
  });
  return outfile;
}
