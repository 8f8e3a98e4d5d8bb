#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { scaffoldPlugin } from './scaffold-plugin.js';

const usage = `usage: create-portcullis-plugin <package-name> --kind filter|action [--dir PATH]
       [--release DIR] [--core-range ^0.1.0] [--core SPEC] [--testkit SPEC]

  --release DIR   take @portcullis/core and @portcullis/testkit from the tarballs that
                  \`pnpm release:pack\` wrote to DIR (before they are on the npm registry)
  --core SPEC, --testkit SPEC   any npm spec for those devDependencies

  pnpm create portcullis-plugin portcullis-filter-gameserver --kind filter
  npm init portcullis-plugin @acme/portcullis-action-webhook -- --kind action`;

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      kind: { type: 'string' },
      dir: { type: 'string' },
      'core-range': { type: 'string' },
      core: { type: 'string' },
      testkit: { type: 'string' },
      release: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const name = positionals[0];
  if (!name || (values.kind !== 'filter' && values.kind !== 'action')) {
    process.stderr.write(`${usage}\n`);
    process.exit(2);
  }
  const dir = values.dir ?? name.replace(/^@[^/]+\//, '');
  const files = scaffoldPlugin({ name, kind: values.kind, dir, coreRange: values['core-range'], core: values.core, testkit: values.testkit, release: values.release });
  process.stdout.write(`created ${name} in ${dir}:\n${files.map((f) => `  ${f}`).join('\n')}\n\nnext: cd ${dir} && npm install && npm run build && npm test\n`);
} catch (error) {
  process.stderr.write(`create-portcullis-plugin: ${(error as Error).message}\n`);
  process.exit(2);
}
