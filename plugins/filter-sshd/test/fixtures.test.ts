import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkFilterFixture, checkHostile } from '@portcullis/testkit';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const files = readdirSync(fixtures).filter((name) => name.endsWith('.log'));

describe(plugin.name, () => {
  for (const filter of plugin.filters) {
    // A filter's samples are `<id>.log` and `<id>-<variant>.log`.
    const own = files.filter((name) => name === `${filter.id}.log` || name.startsWith(`${filter.id}-`));

    it(`${filter.id} has sample logs`, () => {
      expect(own.length).toBeGreaterThan(0);
    });

    for (const file of own) {
      it(`${filter.id}: ${file}`, () => {
        expect(checkFilterFixture(filter, `${fixtures}${file}`).errors).toEqual([]);
      });
    }

    it(`${filter.id} stays linear and never reports a smuggled address on hostile lines`, () => {
      expect(checkHostile(filter).errors).toEqual([]);
    });
  }
});
