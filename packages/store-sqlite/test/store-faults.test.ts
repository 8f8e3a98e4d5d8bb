import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger, StoreSnapshot, StoredBan } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { SqliteBanStore } from '../src/index.js';
import { moveAside } from '../src/store-file.js';

function ban(ip: string, over: Partial<StoredBan> = {}): StoredBan {
  return { jail: 'sshd', ip, family: 4, time: 1000, bantime: 600_000, expires: 601_000, failures: 3, banCount: 1, matches: ['line'], users: undefined, reason: 'failures', ...over };
}
const tempFile = (prefix: string) => join(mkdtempSync(join(tmpdir(), `pcl-${prefix}-`)), 'portcullis.db');

/** A logger that keeps what it is told, one string per record. */
function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (obj: object | string, msg?: string) => lines.push(`${level} ${typeof obj === 'string' ? obj : (msg ?? '')}`);
  const logger = { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}

const noSnapshot = (): StoreSnapshot => {
  throw new Error('no snapshot expected');
};

/** Overwrite `length` bytes of the file at `offset` with 0xAA (a disk or a hand gone wrong). */
function scribble(path: string, offset: number, length: number): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(length, 0xaa), 0, length, offset);
  closeSync(fd);
}

describe('SqliteBanStore under faults', () => {
  it('moves a corrupt file aside at start, says so once with the path, and starts empty', () => {
    const file = tempFile('corrupt-start');
    const store = SqliteBanStore.open(file);
    for (let i = 0; i < 200; i++) store.addBan(ban(`192.0.2.${i}`, { matches: ['x'.repeat(500)] }));
    store.close();
    scribble(file, 4096, 8192); // pages 2 and 3: the header is fine, the b-trees are not
    const logger = recorder();
    const again = SqliteBanStore.open(file, { logger });
    expect(again.recovered).toMatch(/portcullis\.db\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    expect(existsSync(again.recovered!)).toBe(true);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toContain(`the ban database ${file} is corrupt`);
    expect(logger.lines[0]).toContain(`moved it to ${again.recovered}`);
    expect(again.currentBans()).toEqual([]);
    again.addBan(ban('198.51.100.1'));
    again.close();
    expect(SqliteBanStore.open(file).currentBans().map((b) => b.ip)).toEqual(['198.51.100.1']);
  });

  it('keeps every failure of a save the disk refused half-way, reading the records again, and writes them later', () => {
    const file = tempFile('refused-save');
    const logger = recorder();
    const store = SqliteBanStore.open(file, { logger });
    // The runtime's records: built as they are visited, visitable again (see ReadProgress.failures).
    let visits = 0;
    const failures = {
      *[Symbol.iterator]() {
        visits++;
        for (let i = 0; i < 3000; i++) yield { jail: 'sshd', host: `10.9.${i >> 8}.${i & 255}`, times: [1000 + i] };
      },
    };
    // A full disk: the file may not grow any more, so the transaction fails part of the way through.
    const db = (store as unknown as { db: { pragma(s: string, o?: object): unknown } }).db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    store.saveProgress({ positions: new Map([['a', { offset: 7 }]]), failures });
    expect(visits).toBe(2);
    expect(logger.lines.some((l) => l.includes('SQLITE_FULL'))).toBe(true);
    db.pragma('max_page_count = 1073741823');
    store.heal(noSnapshot);
    store.close();
    const again = SqliteBanStore.open(file);
    expect(again.failures('sshd')).toHaveLength(3000);
    expect(again.getPosition('a')).toEqual({ offset: 7 });
    again.close();
  });

  it('rebuilds a file deleted while in use from the still-open copy: bans, history, positions and failures', () => {
    const file = tempFile('deleted');
    const logger = recorder();
    const store = SqliteBanStore.open(file, { logger });
    store.addBan(ban('192.0.2.1', { time: 5000 }));
    store.saveProgress({ positions: new Map([['/var/log/auth.log', { offset: 42, dev: 1, ino: 2 }]]), failures: [{ jail: 'sshd', host: '192.0.2.9', times: [10, 20] }] });
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    store.addBan(ban('192.0.2.2')); // goes to the unlinked file, still open
    store.heal(noSnapshot);
    store.heal(noSnapshot); // a second call finds nothing to say
    expect(logger.lines.filter((l) => l.startsWith('error'))).toEqual([`error the ban database ${file} was deleted or replaced while in use: rebuilding it`]);
    expect(logger.lines.at(-1)).toBe(`warn rebuilt the ban database ${file} from the deleted file: 2 ban(s)`);
    store.addBan(ban('192.0.2.3'));
    store.close();
    const again = SqliteBanStore.open(file);
    expect(again.currentBans().map((b) => b.ip).sort()).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    expect(again.banCount('192.0.2.1', 'sshd', 0)).toBe(1);
    expect(again.getPosition('/var/log/auth.log')).toEqual({ offset: 42, dev: 1, ino: 2 });
    expect(again.failures('sshd')).toEqual([{ jail: 'sshd', host: '192.0.2.9', times: [10, 20] }]);
    again.close();
    expect(readdirSync(dirname(file)).filter((f) => f.includes('rebuild'))).toEqual([]);
  });

  it('notices a header overwritten while in use, moves the file aside and rebuilds it from memory', () => {
    const file = tempFile('header');
    const logger = recorder();
    const store = SqliteBanStore.open(file, { logger });
    store.addBan(ban('192.0.2.1'));
    store.heal(noSnapshot);
    expect(logger.lines).toEqual([]);
    writeFileSync(file, 'garbage where the header was'); // same inode, truncated and overwritten
    const snapshot: StoreSnapshot = {
      bans: [ban('192.0.2.1', { matches: [] }), ban('192.0.2.7', { matches: [] })],
      positions: new Map([['/var/log/auth.log', { offset: 7 }]]),
      failures: [{ jail: 'sshd', host: '192.0.2.8', times: [1, 2] }],
    };
    store.heal(() => snapshot);
    expect(logger.lines.filter((l) => l.startsWith('error'))).toHaveLength(1);
    expect(logger.lines[0]).toContain(`the ban database ${file} is corrupt (its header is not a SQLite header)`);
    expect(logger.lines.join('\n')).toContain(`rebuilt the ban database ${file} from memory: 2 ban(s)`);
    // Kept for a post-mortem (closing the old connection may still checkpoint its WAL into it).
    expect(readdirSync(dirname(file)).filter((f) => /^portcullis\.db\.corrupt-[\dT-]+Z$/.test(f))).toHaveLength(1);
    store.close();
    const again = SqliteBanStore.open(file);
    expect(again.recovered).toBeUndefined();
    expect(again.currentBans().map((b) => b.ip)).toEqual(['192.0.2.1', '192.0.2.7']);
    expect(again.getPosition('/var/log/auth.log')).toEqual({ offset: 7 });
    expect(again.failures('sshd')).toEqual([{ jail: 'sshd', host: '192.0.2.8', times: [1, 2] }]);
    again.close();
  });

  it('finds damage inside the file with its periodic full check', () => {
    const file = tempFile('pages');
    const logger = recorder();
    const store = SqliteBanStore.open(file, { logger, checkInterval: 1 });
    for (let i = 0; i < 200; i++) store.addBan(ban(`192.0.2.${i}`, { matches: ['x'.repeat(500)] }));
    store.heal(noSnapshot);
    // Everything in the main file (the WAL would otherwise hold the pages), then damage two of its pages.
    store.close();
    const reopened = SqliteBanStore.open(file, { logger, checkInterval: 1 });
    scribble(file, 4096, 8192);
    const deadline = Date.now() + 5000;
    while (!logger.lines.some((l) => l.includes('is corrupt')) && Date.now() < deadline) reopened.heal(() => ({ bans: [ban('192.0.2.1')], positions: new Map(), failures: [] }));
    expect(logger.lines.filter((l) => l.includes('is corrupt'))).toHaveLength(1);
    expect(logger.lines.join('\n')).toContain(`rebuilt the ban database ${file} from memory: 1 ban(s)`);
    reopened.close();
    expect(SqliteBanStore.open(file).currentBans().map((b) => b.ip)).toEqual(['192.0.2.1']);
  });

  it('saves positions and failures together, and drops a host whose failures are gone', () => {
    const store = SqliteBanStore.open(tempFile('progress'));
    store.saveProgress({ positions: new Map([['a', { offset: 1 }]]), failures: [{ jail: 'sshd', host: '192.0.2.1', times: [1, 2] }, { jail: 'web', host: '192.0.2.1', times: [3] }] });
    store.saveProgress({ positions: new Map([['a', { offset: 9 }]]), failures: [{ jail: 'sshd', host: '192.0.2.1', times: [] }] });
    expect(store.getPosition('a')).toEqual({ offset: 9 });
    expect(store.failures('sshd')).toEqual([]);
    expect(store.failures('web')).toEqual([{ jail: 'web', host: '192.0.2.1', times: [3] }]);
    store.close();
  });
});

describe('moveAside', () => {
  it('never moves a second broken file over the first one set aside in the same second', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-aside-'));
    try {
      const db = join(dir, 'state.db');
      const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 600));
      writeFileSync(db, 'first');
      writeFileSync(`${db}-wal`, 'first wal');
      const first = moveAside(db, at);
      writeFileSync(db, 'second');
      const second = moveAside(db, new Date(at.getTime() + 200));
      expect(first).toBe(`${db}.corrupt-2026-01-02T03-04-05Z`);
      expect(second).toBe(`${db}.corrupt-2026-01-02T03-04-05Z-1`);
      expect(readFileSync(first, 'utf8')).toBe('first');
      expect(readFileSync(`${first}-wal`, 'utf8')).toBe('first wal');
      expect(readFileSync(second, 'utf8')).toBe('second');
      expect(existsSync(db)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
