import { basename } from 'node:path';
import type { Plugin } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { checkFilterFixture } from './check-fixture.js';
import { checkHostile } from './check-hostile.js';
import { fixtureFilesFor, uncoveredRules } from './fixture-dir.js';

/**
 * The standard test suite of a filter plugin, for vitest: for each filter, every annotated sample log in
 * `fixturesDir` (`<id>.log`, `<id>-<variant>.log`) must hold, every failregex must have a positive sample,
 * and hostile lines must stay fast and never yield a smuggled address.
 */
export function describeFilterPlugin(plugin: Plugin, fixturesDir: string): void {
  describe(plugin.name, () => {
    for (const filter of plugin.filters) {
      const files = fixtureFilesFor(fixturesDir, filter.id);
      it(`${filter.id} has sample logs`, () => {
        expect(files.length).toBeGreaterThan(0);
      });
      for (const file of files) {
        it(`${filter.id}: ${basename(file)}`, () => {
          expect(checkFilterFixture(filter, file).errors).toEqual([]);
        });
      }
      it(`${filter.id}: every failregex has a positive sample`, () => {
        expect(uncoveredRules(filter, files)).toEqual([]);
      });
      it(`${filter.id} stays linear and never reports a smuggled address on hostile lines`, () => {
        expect(checkHostile(filter).errors).toEqual([]);
      });
    }
  });
}
