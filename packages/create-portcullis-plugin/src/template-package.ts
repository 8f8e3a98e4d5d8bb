import type { PluginNames } from './plugin-names.js';

/** Where the new package takes its Portcullis dependencies from. */
export interface DependencySpecs {
  /** Peer range on core, e.g. `^0.1.0`. */
  readonly coreRange: string;
  /** devDependency specs: a version range, `workspace:*`, or a tarball path (`file:…`). */
  readonly core: string;
  readonly testkit: string;
}

/** package.json of the new plugin. */
export function packageJson(n: PluginNames, kind: 'filter' | 'action', deps: DependencySpecs): string {
  const pkg = {
    name: n.packageName,
    version: '0.1.0',
    description: kind === 'filter' ? `Portcullis filter: ${n.id}` : `Portcullis action: ${n.id}`,
    license: 'MIT',
    type: 'module',
    keywords: ['portcullis', 'portcullis-plugin'],
    engines: { node: '>=20.19' },
    files: ['dist'],
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
    types: './dist/index.d.ts',
    scripts: { build: 'tsc -p tsconfig.json', test: 'vitest run', prepack: 'tsc -p tsconfig.json' },
    peerDependencies: { '@portcullis/core': deps.coreRange },
    devDependencies: {
      '@portcullis/core': deps.core,
      '@portcullis/testkit': deps.testkit,
      '@types/node': '^20.19.0',
      typescript: '~5.9.3',
      vitest: '~4.1.12',
    },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** A self-contained tsconfig: the package builds the same inside a monorepo or alone. */
export function tsconfig(): string {
  const config = {
    compilerOptions: {
      target: 'ES2023',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      types: ['node'],
      strict: true,
      declaration: true,
      sourceMap: true,
      skipLibCheck: true,
      rootDir: 'src',
      outDir: 'dist',
    },
    include: ['src'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** vitest config (also makes the package a project of a monorepo's root vitest config). */
export function vitestConfig(n: PluginNames): string {
  return `import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: '${n.packageName.replace(/^@[^/]+\//, '')}', include: ['test/**/*.test.ts'] } });
`;
}

/** README stub. */
export function readme(n: PluginNames, kind: 'filter' | 'action'): string {
  const use =
    kind === 'filter'
      ? `jails:\n  ${n.id}:\n    filter: ${n.id}\n    logpath: /var/log/${n.id}.log\n    actions: [nftables]`
      : `jails:\n  sshd:\n    filter: sshd\n    actions:\n      - { id: ${n.id}, options: { file: /var/lib/portcullis/blocklist.txt } }`;
  return `# ${n.packageName}

A Portcullis ${kind} plugin providing the \`${n.id}\` ${kind}.

## Install

Where Portcullis finds plugins: beside a global \`portcullis\`, or in the folder of its config:

\`\`\`sh
npm install -g ${n.packageName}
cd /etc/portcullis && npm install ${n.packageName}
\`\`\`

## Use

\`\`\`yaml
plugins:
  - "${n.packageName}"
${use}
\`\`\`

## Develop

\`\`\`sh
npm install && npm run build && npm test
\`\`\`
`;
}
