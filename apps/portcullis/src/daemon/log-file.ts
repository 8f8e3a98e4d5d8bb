import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * The `logfile`: appended to with synchronous writes (a record is never half-written when the daemon
 * dies), and reopened by path on SIGUSR1 or `portcullis flushlogs`, so logrotate can move the file away
 * and the daemon goes on in a new one at the same path.
 */
export class LogFile {
  private fd: number;

  /** @throws the open error (missing folder, permission denied) so start can refuse with it. */
  constructor(readonly path: string) {
    this.fd = openSync(path, 'a', 0o640);
  }

  write(text: string): boolean {
    const bytes = Buffer.from(text);
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done);
    return true;
  }

  /** Open the path again (a new file when it was moved); keeps the old descriptor when that fails. */
  reopen(): void {
    const next = openSync(this.path, 'a', 0o640);
    const old = this.fd;
    this.fd = next;
    closeSync(old);
  }

  close(): void {
    closeSync(this.fd);
  }
}
