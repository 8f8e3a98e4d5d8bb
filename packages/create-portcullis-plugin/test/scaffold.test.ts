import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pluginNames, scaffoldPlugin } from '../src/index.js';

describe('pluginNames', () => {
  it('derives the id from the package name', () => {
    expect(pluginNames('portcullis-filter-gameserver').id).toBe('gameserver');
    expect(pluginNames('@acme/portcullis-action-web-hook')).toMatchObject({ id: 'web-hook', identifier: 'webHook' });
    expect(() => pluginNames('Bad Name')).toThrow(/not a valid npm package name/);
  });
});

describe('scaffoldPlugin', () => {
  it('writes a complete filter package with a peer range on core', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'scaffold-')), 'out');
    const files = scaffoldPlugin({ name: 'portcullis-filter-gameserver', kind: 'filter', dir });
    expect(files.sort()).toEqual(['.gitignore', 'README.md', 'package.json', 'src/index.ts', 'test/fixtures/gameserver.log', 'test/gameserver.test.ts', 'tsconfig.json', 'vitest.config.ts']);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      type: 'module',
      keywords: expect.arrayContaining(['portcullis-plugin']),
      peerDependencies: { '@portcullis/core': '^0.1.0' },
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      files: ['dist'],
    });
    expect(pkg.devDependencies['@portcullis/core']).toBe('^0.1.0');
    expect(readFileSync(join(dir, 'src/index.ts'), 'utf8')).toContain("id: 'gameserver'");
  });

  it('uses workspace:* for devDependencies inside a pnpm workspace', () => {
    const ws = mkdtempSync(join(tmpdir(), 'scaffold-ws-'));
    writeFileSync(join(ws, 'pnpm-workspace.yaml'), 'packages: [plugins/*]\n');
    const dir = join(ws, 'plugins', 'blocklist');
    scaffoldPlugin({ name: '@acme/portcullis-action-blocklist', kind: 'action', dir });
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.devDependencies['@portcullis/testkit']).toBe('workspace:*');
    expect(pkg.peerDependencies['@portcullis/core']).toBe('^0.1.0');
    expect(readFileSync(join(dir, 'test/blocklist.test.ts'), 'utf8')).toContain('checkActionContract');
  });

  it('refuses a non-empty target folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scaffold-full-'));
    writeFileSync(join(dir, 'x'), '');
    expect(() => scaffoldPlugin({ name: 'p', kind: 'filter', dir })).toThrow(/not empty/);
  });
});
