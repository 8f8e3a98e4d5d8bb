import type { BanStore, StoredBan } from '../contract/ban-store.js';
import type { SourcePosition } from '../contract/log-source.js';

/**
 * A {@link BanStore} in memory: for `test-filter`, tests and `database: ':memory:'`-like runs where losing
 * bans on exit is acceptable.
 */
export class MemoryBanStore implements BanStore {
  private readonly bans = new Map<string, StoredBan>();
  private readonly history: { jail: string; ip: string; time: number }[] = [];
  private readonly positions = new Map<string, SourcePosition>();

  addBan(ban: StoredBan): void {
    this.bans.set(`${ban.jail}\0${ban.ip}`, ban);
    this.history.push({ jail: ban.jail, ip: ban.ip, time: ban.time });
  }

  removeBan(jail: string, ip: string): boolean {
    return this.bans.delete(`${jail}\0${ip}`);
  }

  currentBans(jail?: string): StoredBan[] {
    const all = [...this.bans.values()];
    return jail === undefined ? all : all.filter((b) => b.jail === jail);
  }

  banCount(ip: string, jail: string | undefined, since: number): number {
    let n = 0;
    for (const h of this.history) if (h.ip === ip && h.time >= since && (jail === undefined || h.jail === jail)) n++;
    return n;
  }

  purge(before: number): void {
    const keep = this.history.filter((h) => h.time >= before);
    this.history.length = 0;
    this.history.push(...keep);
  }

  getPosition(key: string): SourcePosition | undefined {
    return this.positions.get(key);
  }

  setPosition(key: string, position: SourcePosition): void {
    this.positions.set(key, position);
  }

  private readonly state = new Map<string, string>();

  readState(key: string): string | undefined {
    return this.state.get(key);
  }

  writeState(key: string, value: string | undefined): void {
    if (value === undefined) this.state.delete(key);
    else this.state.set(key, value);
  }

  close(): void {}
}
