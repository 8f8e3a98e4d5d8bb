// The folders of core's src are the stages of the pipeline, bottom first. A file may import its own stage or one
// below it, never one above: a source never imports a filter, a filter never imports the jail, and nothing
// below the composition imports config composition. This test keeps the layout true.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Stages of core, lowest first; entry files at the root sit above everything. */
const CORE_STAGES = [
  'util',
  'contract',
  'sources',
  'parsing',
  'filters',
  'store',
  'actions',
  'jail',
  'plugins',
  'config',
  'compose',
  '.',
] as const;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) specs.push(m[1] as string);
  return specs;
}

/** Every import that runs up the pipeline, as `from → to` lines. */
function upwardImports(src: string, stages: readonly string[]): string[] {
  const stageOf = (file: string): string => {
    const rel = relative(src, file);
    return rel.includes('/') ? (rel.split('/')[0] as string) : '.';
  };
  const problems: string[] = [];
  for (const file of filesUnder(src)) {
    const from = stageOf(file);
    const fromRank = stages.indexOf(from);
    if (fromRank < 0) {
      problems.push(`${relative(src, file)}: folder ${from} is not a known stage`);
      continue;
    }
    for (const spec of relativeImports(file)) {
      const target = resolve(dirname(file), spec);
      if (relative(src, target).startsWith('..')) problems.push(`${relative(src, file)} imports outside src: ${spec}`);
      const to = stageOf(target);
      if (stages.indexOf(to) > fromRank) problems.push(`${relative(src, file)} (${from}) → ${spec} (${to})`);
    }
  }
  return problems;
}

const root = resolve(import.meta.dirname, '..');

describe('core layout', () => {
  const src = join(root, 'packages/core/src');

  it('no import runs back up the pipeline', () => {
    expect(upwardImports(src, CORE_STAGES)).toEqual([]);
  });

  it('the root holds only entry files', () => {
    const root = readdirSync(src).filter((name) => name.endsWith('.ts'));
    expect(root.sort()).toEqual(['engine.ts', 'filtering.ts', 'index.ts', 'plugin-loading.ts', 'schema.ts']);
  });

  it('the checker sees an upward import', () => {
    // A fixture tree where a source imports a filter: the rule must catch it, or the test above proves nothing.
    const fixture = join(root, 'test/fixtures/layering');
    expect(upwardImports(fixture, CORE_STAGES)).toEqual(['sources/reader.ts (sources) → ../filters/rule.js (filters)']);
  });
});

describe('app layout', () => {
  it('no import runs back up: output, control, daemon, commands, then cli.ts', () => {
    const src = join(root, 'apps/portcullis/src');
    expect(upwardImports(src, ['output', 'control', 'daemon', 'commands', '.'])).toEqual([]);
  });
});
