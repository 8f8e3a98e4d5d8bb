import { LineParser, compileFilter } from '@portcullis/core/engine';
import { describe, expect, it } from 'vitest';
import { sshd } from '../src/index.js';

// `kex_exchange_identification: …` names no host; sshd's next line of the same process does. These are the
// edges of that correlation that fixture lines cannot reach: the age limits and the bound on processes.
const parser = new LineParser({ format: 'syslog', now: () => Date.parse('2024-12-31T00:00:00Z') });
const KEX = 'error: kex_exchange_identification: Connection closed by remote host';

function feed(mode: string) {
  const filter = compileFilter(sshd, { mode });
  return (time: string, pid: number | undefined, message: string) => {
    const tag = pid === undefined ? 'sshd' : `sshd[${pid}]`;
    return (filter.match(parser.parse(`Apr  2 ${time} srv ${tag}: ${message}`)) ?? []).map((f) => ({
      host: f.host,
      time: new Date(f.time).toISOString().slice(11, 19),
    }));
  };
}

describe('sshd kex_exchange_identification correlation', () => {
  it('reports the kex line, at its own time, with the host of the connection end up to 10 minutes later', () => {
    const line = feed('ddos');
    expect(line('08:00:00', 100, KEX)).toEqual([]);
    expect(line('08:10:00', 100, 'Connection closed by 192.0.2.1 port 50100')).toEqual([
      { host: '192.0.2.1', time: '08:00:00' },
    ]);
    expect(line('08:00:00', 101, KEX)).toEqual([]);
    expect(line('08:10:01', 101, 'Connection closed by 192.0.2.2 port 50101')).toEqual([]);
  });

  it('uses a verbose Connection from line up to 10 minutes old, else waits for the connection end', () => {
    const line = feed('aggressive');
    expect(
      line('08:00:00', 200, 'Connection from 192.0.2.3 port 50200 on 192.0.2.254 port 22 rdomain ""'),
    ).toEqual([]);
    expect(line('08:10:00', 200, KEX)).toEqual([{ host: '192.0.2.3', time: '08:10:00' }]);
    // The kex line was reported: the connection end adds nothing.
    expect(line('08:10:00', 200, 'Connection closed by 192.0.2.3 port 50200')).toEqual([]);
    expect(line('08:00:00', 201, 'Connection from 192.0.2.4 port 50201 on 192.0.2.254 port 22')).toEqual([]);
    expect(line('08:10:01', 201, KEX)).toEqual([]);
    expect(line('08:10:02', 201, 'Connection reset by 192.0.2.5 port 50201')).toEqual([
      { host: '192.0.2.5', time: '08:10:01' },
    ]);
  });

  it('counts nothing in normal and extra modes, nor for a line without a process id', () => {
    for (const mode of ['normal', 'extra']) {
      const line = feed(mode);
      expect(line('08:00:00', 300, KEX), mode).toEqual([]);
      expect(line('08:00:01', 300, 'Connection closed by 192.0.2.6 port 50300'), mode).toEqual([]);
    }
    const line = feed('ddos');
    expect(line('08:00:00', undefined, KEX)).toEqual([]);
    expect(line('08:00:01', undefined, 'Connection closed by 192.0.2.7 port 50301')).toEqual([]);
  });

  it('remembers at most 10,000 processes waiting for their host, forgetting the longest-waiting first', () => {
    const line = feed('ddos');
    // pid 1 waits first, then is seen again (its wait starts over), so pid 2 is the oldest.
    line('08:00:00', 1, KEX);
    for (let pid = 2; pid <= 10_000; pid++) line('08:00:00', pid, KEX);
    line('08:00:01', 1, 'kex_exchange_identification: read: Connection reset by peer');
    line('08:00:01', 10_001, KEX);
    expect(line('08:00:02', 2, 'Connection closed by 192.0.2.8 port 50002')).toEqual([]);
    expect(line('08:00:02', 1, 'Connection closed by 192.0.2.9 port 50001')).toEqual([
      { host: '192.0.2.9', time: '08:00:01' },
    ]);
    expect(line('08:00:02', 3, 'Connection closed by 192.0.2.10 port 50003')).toEqual([
      { host: '192.0.2.10', time: '08:00:00' },
    ]);
    expect(line('08:00:02', 10_001, 'Connection closed by 192.0.2.11 port 50004')).toEqual([
      { host: '192.0.2.11', time: '08:00:01' },
    ]);
  });

  it('remembers at most 10,000 peers from Connection from lines, forgetting the oldest first', () => {
    const line = feed('ddos');
    for (let pid = 1; pid <= 10_001; pid++)
      line('08:00:00', pid, `Connection from 198.51.100.${pid % 250} port ${pid} on 192.0.2.254 port 22`);
    // pid 1 was forgotten: its kex line waits for the connection end instead.
    expect(line('08:00:01', 1, KEX)).toEqual([]);
    expect(line('08:00:01', 2, KEX)).toEqual([{ host: '198.51.100.2', time: '08:00:01' }]);
    expect(line('08:00:01', 1, 'Connection closed by 192.0.2.12 port 1')).toEqual([
      { host: '192.0.2.12', time: '08:00:01' },
    ]);
  });
});
