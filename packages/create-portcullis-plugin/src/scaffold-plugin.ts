import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { actionSource, actionTest } from './template-action.js';
import { filterFixture, filterSource, filterTest } from './template-filter.js';
import { packageJson, readme, tsconfig, vitestConfig } from './template-package.js';
import { pluginNames } from './plugin-names.js';

/** What to scaffold. */
export interface ScaffoldOptions {
  /** npm package name of the new plugin. */
  readonly name: string;
  readonly kind: 'filter' | 'action';
  /** Target folder (created; must be empty or absent). */
  readonly dir: string;
  /** Peer range on @portcullis/core (default `^0.1.0`). */
  readonly coreRange?: string | undefined;
  /** devDependency spec for @portcullis/core (default: `workspace:*` inside a pnpm workspace, else the peer range). */
  readonly core?: string | undefined;
  /** devDependency spec for @portcullis/testkit (same default rule). */
  readonly testkit?: string | undefined;
  /**
   * A folder written by `pnpm release:pack` in a clone of Portcullis: take core and testkit from its
   * tarballs (`portcullis-core.tgz`, `portcullis-testkit.tgz`) while they are not on the npm registry.
   */
  readonly release?: string | undefined;
}

/** Write a ready-to-build plugin package. Returns the files written (relative to `dir`). */
export function scaffoldPlugin(options: ScaffoldOptions): string[] {
  const dir = resolve(options.dir);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`${dir} exists and is not empty`);
  const n = pluginNames(options.name);
  const coreRange = options.coreRange ?? '^0.1.0';
  const inWorkspace = findWorkspaceRoot(dirname(dir)) !== undefined;
  const fallback = inWorkspace ? 'workspace:*' : coreRange;
  const packed = options.release === undefined ? undefined : releaseTarballs(options.release);
  const deps = { coreRange, core: options.core ?? packed?.core ?? fallback, testkit: options.testkit ?? packed?.testkit ?? fallback };
  const files: Record<string, string> = {
    'package.json': packageJson(n, options.kind, deps),
    'tsconfig.json': tsconfig(),
    'vitest.config.ts': vitestConfig(n),
    'README.md': readme(n, options.kind),
    '.gitignore': 'node_modules\ndist\n*.tgz\n',
    ...(options.kind === 'filter'
      ? { 'src/index.ts': filterSource(n), [`test/fixtures/${n.id}.log`]: filterFixture(), [`test/${n.id}.test.ts`]: filterTest(n) }
      : { 'src/index.ts': actionSource(n), [`test/${n.id}.test.ts`]: actionTest(n) }),
  };
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return Object.keys(files);
}

/** `file:` specs for core and testkit in a `pnpm release:pack` folder; an error names what is missing. */
function releaseTarballs(folder: string): { core: string; testkit: string } {
  const dir = resolve(folder);
  const specs = { core: join(dir, 'portcullis-core.tgz'), testkit: join(dir, 'portcullis-testkit.tgz') };
  for (const file of Object.values(specs)) {
    if (!existsSync(file)) throw new Error(`${file} does not exist: run \`pnpm release:pack\` in the clone of Portcullis, then pass its release folder`);
  }
  return { core: `file:${specs.core}`, testkit: `file:${specs.testkit}` };
}

function findWorkspaceRoot(from: string): string | undefined {
  for (let d = resolve(from); ; d = dirname(d)) {
    if (existsSync(join(d, 'pnpm-workspace.yaml'))) return d;
    if (dirname(d) === d) return undefined;
  }
}
