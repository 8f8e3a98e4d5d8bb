#!/usr/bin/env node
// `pnpm release:pack`: one tarball per publishable workspace package in release/, the same files
// `pnpm publish` would upload (workspace: ranges replaced by real ones). Each is named after its package
// without the version (`@portcullis/filter-sshd` → release/portcullis-filter-sshd.tgz), so the README's
// install commands and the tool's hints name the files exactly. `--out DIR` writes elsewhere (tests).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = values.out ? resolve(values.out) : join(root, 'release');
const groups = ['packages', 'plugins', 'apps'];

const publishable = [];
for (const group of groups) {
  for (const entry of readdirSync(join(root, group)).sort()) {
    const dir = join(root, group, entry);
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    if (pkg.private) continue;
    if (!existsSync(join(dir, 'dist'))) throw new Error(`${pkg.name} is not built (${group}/${entry}/dist is missing): run pnpm build first`);
    publishable.push({ name: pkg.name, version: pkg.version, dir });
  }
}

// Stale tarballs (a package renamed or removed) must not be installed by a `release/*.tgz` glob.
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) if (f.endsWith('.tgz')) rmSync(join(out, f));
const scratch = mkdtempSync(join(out, '.pack-'));
try {
  for (const p of publishable) {
    execFileSync('pnpm', ['pack', '--pack-destination', scratch], { cwd: p.dir, stdio: ['ignore', 'ignore', 'inherit'] });
    const made = readdirSync(scratch);
    if (made.length !== 1) throw new Error(`pnpm pack in ${p.dir} left ${made.length} files`);
    const file = `${tarballName(p.name)}.tgz`;
    renameSync(join(scratch, made[0]), join(out, file));
    process.stdout.write(`${join(out, file)}  ${p.name}@${p.version}\n`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/** `@portcullis/filter-sshd` → `portcullis-filter-sshd`, as npm names packed scoped packages (less the version). */
function tarballName(name) {
  return name.replace(/^@/, '').replace('/', '-');
}
