import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FailureRecord } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { SqliteBanStore } from '../src/index.js';

const tempFile = () => join(mkdtempSync(join(tmpdir(), 'pcl-failure-rows-')), 'portcullis.db');
const host = (i: number) => `198.51.${i >> 8}.${i & 255}`;
const sorted = (records: FailureRecord[]) => [...records].sort((a, b) => a.host.localeCompare(b.host));

describe('saving failures many rows at a time', () => {
  it('writes every host of a save larger than one statement, rounds the times, and drops forgotten hosts', () => {
    const store = SqliteBanStore.open(tempFile());
    // 150 hosts in two jails: two full statements of 64 rows and the rest one by one, for both jails.
    const first: FailureRecord[] = [];
    for (let i = 0; i < 150; i++) first.push({ jail: 'sshd', host: host(i), times: [1000 + i, 2000.6 + i] }, { jail: 'web', host: host(i), times: [5 + i] });
    store.saveProgress({ positions: new Map(), failures: first });
    expect(store.failures('sshd')).toHaveLength(150);
    expect(store.failures('sshd').find((r) => r.host === host(149))).toEqual({ jail: 'sshd', host: host(149), times: [1149, 2150] });
    expect(sorted(store.failures('web'))).toEqual(sorted(first.filter((r) => r.jail === 'web')));
    // The next save changes some hosts, forgets others (interleaved), and adds new ones.
    const next: FailureRecord[] = [];
    for (let i = 0; i < 150; i += 2) next.push({ jail: 'sshd', host: host(i), times: [] }, { jail: 'sshd', host: host(i + 1), times: [7, 8, 9] });
    for (let i = 150; i < 230; i++) next.push({ jail: 'sshd', host: host(i), times: [i] });
    store.saveProgress({ positions: new Map([['a', { offset: 3 }]]), failures: next });
    const sshd = store.failures('sshd');
    expect(sshd).toHaveLength(75 + 80);
    expect(sshd.some((r) => r.host === host(0) || r.host === host(148))).toBe(false);
    expect(sshd.find((r) => r.host === host(149))!.times).toEqual([7, 8, 9]);
    expect(sshd.find((r) => r.host === host(229))!.times).toEqual([229]);
    expect(store.failures('web')).toHaveLength(150);
    expect(store.getPosition('a')).toEqual({ offset: 3 });
    store.close();
  });
});
