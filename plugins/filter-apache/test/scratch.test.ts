import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkFilterFixture } from './_scratch/check.js';
import plugin from '../src/index.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const files = readdirSync(fixtures).filter((name) => name.endsWith('.log'));
describe('scratch', () => {
  for (const filter of plugin.filters) {
    const own = files.filter((name) => name === `${filter.id}.log` || name.startsWith(`${filter.id}-`));
    for (const file of own) {
      it(`${filter.id}: ${file}`, () => {
        const r = checkFilterFixture(filter, `${fixtures}${file}`); console.log(file, r.lines, r.failures, r.blocks); expect(r.errors).toEqual([]);
      });
    }
  }
});
