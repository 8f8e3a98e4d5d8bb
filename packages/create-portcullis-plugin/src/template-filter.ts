import type { PluginNames } from './plugin-names.js';

/** `src/index.ts` of a new filter plugin: a working example for a game server's login log. */
export function filterSource(n: PluginNames): string {
  return `import { defineFilter, definePlugin } from '@portcullis/core';

/**
 * Failed logins of the example game server, whose log looks like:
 *   2024-05-01 12:00:00 [auth] login failed for player "alice" from 192.0.2.10
 * Replace the pattern with your service's lines; keep the sample log in test/fixtures in step.
 */
export const ${n.identifier} = defineFilter({
  id: '${n.id}',
  description: 'Failed logins of the game server',
  failregex: [
    {
      // The player name is written by the attacker: match it with [^"]* and anchor on the fixed text
      // after it up to the end of the line, so a name like 'x" from 203.0.113.66' cannot choose the host.
      pattern: '^\\\\s*\\\\[auth\\\\] login failed for player "<F-USER>[^"]*</F-USER>" from <ADDR>$',
      literals: ['login failed for player'],
      description: 'failed login',
    },
  ],
});

export default definePlugin({ name: '${n.packageName}', filters: [${n.identifier}] });
`;
}

/** The annotated sample log the filter's test runs. */
export function filterFixture(): string {
  return `# Sample log for the example filter. '#= host=… user=…' above a line: it must match with these fields.
# A line without '#=' above it must not match.
#= host=192.0.2.10 user=alice
2024-05-01 12:00:00 [auth] login failed for player "alice" from 192.0.2.10
#= host=2001:db8::7 user=bob
2024-05-01 12:00:01 [auth] login failed for player "bob" from 2001:db8::7
#= host=198.51.100.4 user=carol
2024-05-01 12:00:02 [auth] login failed for player "carol" from ::ffff:198.51.100.4
2024-05-01 12:00:03 [auth] login ok for player "alice" from 192.0.2.10
# log injection: the player name carries a second address; the line must not match at all
2024-05-01 12:00:04 [auth] login failed for player "x" from 203.0.113.66" from 192.0.2.11
`;
}

/** The filter's vitest test. */
export function filterTest(n: PluginNames): string {
  return `import { fileURLToPath } from 'node:url';
import { checkFilterFixture, checkHostile } from '@portcullis/testkit';
import { describe, expect, it } from 'vitest';
import plugin, { ${n.identifier} } from '../src/index.js';

describe('${n.id} filter', () => {
  it('is exported by the plugin', () => {
    expect(plugin.filters.map((f) => f.id)).toEqual(['${n.id}']);
  });

  it('matches every annotated line of the sample log and nothing else', () => {
    const file = fileURLToPath(new URL('./fixtures/${n.id}.log', import.meta.url));
    expect(checkFilterFixture(${n.identifier}, file).errors).toEqual([]);
  });

  it('stays fast and uninjectable on hostile lines', () => {
    expect(checkHostile(${n.identifier}).errors).toEqual([]);
  });
});
`;
}
