// Filters written in the config (`filters:`), fail2ban filter.d references (`fail2ban:<name>`) and jails that
// add rules to a filter: composed by parseConfig, every problem reported with its path.
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortcullisError } from '../src/util/errors.js';
import { parseConfig } from '../src/compose/load-config.js';
import { compileFilter } from '../src/filters/compile-filter.js';
import { LineParser } from '../src/parsing/line-parser.js';

const dir = mkdtempSync(join(tmpdir(), 'pcl-cfgfilters-'));
beforeAll(() => {
  process.env.PORTCULLIS_CACHE_DIR = join(dir, 'cache');
  mkdirSync(join(dir, 'f2b/filter.d'), { recursive: true });
  writeFileSync(join(dir, 'f2b/filter.d/common.conf'), '[DEFAULT]\n_daemon = \\S*\n__prefix_line = \\s*(?:\\S+\\s+)?(?:%(_daemon)s(?:\\[\\d+\\])?:\\s+)?\n');
  writeFileSync(
    join(dir, 'f2b/filter.d/myapp.conf'),
    `[INCLUDES]\nbefore = common.conf\n[Definition]\n_daemon = myapp\nfailregex = ^%(__prefix_line)s<mdre-<mode>>\n            ^%(__prefix_line)s(?i)denied user \\S+ from <HOST>$\nmdre-normal = bad login from <HOST>$\nmdre-aggressive = (?:bad login|probe) from <HOST>$\n[Init]\nmode = normal\n`,
  );
  writeFileSync(join(dir, 'f2b/filter.d/myapp.local'), '[Definition]\nignoreregex = from 10\\.9\\.\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const problems = async (raw: unknown): Promise<readonly string[]> => {
  try {
    await parseConfig(raw, { dir });
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(PortcullisError);
    return (e as PortcullisError).problems;
  }
};

describe('filters in the config and fail2ban filter.d references', () => {
  it('composes a config filter, a fail2ban filter with its mode and .local, and a jail that adds rules', async () => {
    const loaded = await parseConfig(
      {
        fail2ban: { dir: './f2b' },
        filters: { web: { failregex: ['^login failed for <F-USER>\\S+</F-USER> from <HOST>$'], ignoreregex: ['user=monitor'] } },
        jails: {
          web: { filter: 'web', logpath: './web.log' },
          app: { filter: { id: 'fail2ban:myapp', options: { mode: 'aggressive' }, failregex: ['^\\s*\\S+ myapp\\[\\d+\\]: token rejected for <HOST>$'] }, logpath: './app.log' },
        },
      },
      { dir },
    );
    const parser = new LineParser({ format: 'auto', now: () => Date.UTC(2024, 5, 1) });
    const web = compileFilter(loaded.jails[0]!.filter, loaded.jails[0]!.filterOptions);
    expect(web.match(parser.parse('2024-05-01 10:00:00 login failed for bob from 192.0.2.7'))?.[0]).toMatchObject({ host: '192.0.2.7', user: 'bob' });
    const app = loaded.jails[1]!;
    // A fail2ban filter, and the rules a jail adds to it, see the line as fail2ban shows it: only the date cut out.
    expect(app.filter.lineView).toBe('fail2ban');
    const f = compileFilter(app.filter, app.filterOptions);
    const hosts = (text: string) => f.match(parser.parse(text))?.map((x) => x.host);
    expect(hosts('May  1 10:00:00 h myapp[1]: probe from 192.0.2.8')).toEqual(['192.0.2.8']);
    expect(hosts('May  1 10:00:00 h myapp[1]: DENIED USER x from 192.0.2.9')).toEqual(['192.0.2.9']);
    expect(hosts('May  1 10:00:00 h myapp[1]: bad login from 10.9.0.1')).toBeUndefined();
    expect(hosts('May  1 10:00:00 h other[1]: bad login from 192.0.2.8')).toBeUndefined();
    expect(hosts('May  1 10:00:00 h myapp[7]: token rejected for 192.0.2.10')).toEqual(['192.0.2.10']);
  });

  it('refuses catastrophic backtracking with the path unless the filter opts in, and names unknown filters', async () => {
    const bad = '^Failed (\\s*\\S*)* for <HOST>$';
    expect(await problems({ filters: { x: { failregex: [bad] } }, jails: {} })).toEqual([expect.stringMatching(/^filters\.x\.failregex\.0: .*backtrack.*unsafe: true/)]);
    expect(await problems({ filters: { x: { failregex: [bad], unsafe: true } }, jails: {} })).toEqual([]);
    const p = await problems({ fail2ban: { dir: './f2b' }, jails: { a: { filter: 'fail2ban:nope' }, b: { filter: 'nosuch' }, c: { filter: { id: 'fail2ban:myapp', failregex: [bad] } } } });
    expect(p).toEqual([
      expect.stringMatching(/^jails\.a\.filter: fail2ban filter file .*nope\.conf does not exist/),
      expect.stringMatching(/^jails\.b\.filter: unknown filter "nosuch"/),
      expect.stringMatching(/^jails\.c\.filter: .*backtrack/),
    ]);
  }, 120_000);

  it.skipIf(!existsSync('/etc/fail2ban/filter.d/sshd.conf'))('says which file, line and construct JavaScript cannot run', async () => {
    const p = await problems({ jails: { ssh: { filter: 'fail2ban:sshd' } } });
    expect(p).toEqual([expect.stringMatching(/^jails\.ssh\.filter: .*\/etc\/fail2ban\/filter\.d\/sshd\.conf:\d+: JavaScript has no conditional groups: `\(\?\(cond_/)]);
  });
});
