import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/daemon/logging.js';

function capture() {
  const lines: string[] = [];
  const stream = {
    write(s: string) {
      lines.push(s);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { lines, stream };
}

describe('daemon logs', () => {
  it('text: one compact line per record with time, level, scope, message and fields', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ format: 'text', level: 'info', stream });
    logger.child({ jail: 'sshd' }).info({ ip: '192.0.2.7', failures: 5 }, 'ban 192.0.2.7');
    logger.child({ jail: 'sshd', action: 'nftables' }).error({ err: new Error('nft: permission denied') }, 'ban failed');
    logger.debug('not shown at info');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}\[sshd\] ban 192\.0\.2\.7 {2}ip=192\.0\.2\.7 failures=5\n$/);
    expect(lines[1]).toMatch(/ ERROR \[sshd\/nftables\] ban failed {2}error="nft: permission denied"\n$/);
  });

  it('text: attacker-controlled text cannot forge a second log line', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ format: 'text', level: 'info', stream });
    logger.warn({ user: 'root\nFAKE INFO ban lifted', line: 'a b' }, 'odd user\r\n2026-01-01T00:00:00.000Z INFO  forged');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.split('\n')).toHaveLength(2); // the line and the empty rest after its newline
    expect(lines[0]).toContain('odd user\\x0d\\x0a2026');
    expect(lines[0]).toContain('user="root\\nFAKE INFO ban lifted" line="a b"');
  });

  it('json: pino records with level, time, pid and the bindings; level threshold applies', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ format: 'json', level: 'debug', stream });
    logger.child({ jail: 'web' }).debug({ n: 1 }, 'hello');
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({ level: 20, pid: process.pid, jail: 'web', n: 1, msg: 'hello' });
    expect(typeof rec.time).toBe('string');
  });
});
