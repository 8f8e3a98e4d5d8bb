import { detach } from './detach-string.js';

const LINES_PER_HOST = 6;
const MAX_HOSTS = 10_000;

interface Seen {
  lines: string[];
  users: string[];
  last: number;
}

/**
 * The last few matched lines (and user names) per host, for the ban ticket. Bounded in hosts as well
 * as lines: under an attack from a million hosts only the most recent 10,000 keep their lines; the
 * others still get banned, with fewer lines to show.
 */
export class RecentMatches {
  private readonly hosts = new Map<string, Seen>();

  add(host: string, line: string, user: string | undefined, time: number): void {
    let seen = this.hosts.get(host);
    if (seen) this.hosts.delete(host);
    else seen = { lines: [], users: [], last: time };
    seen.last = time;
    seen.lines.push(detach(line.length > 1000 ? `${line.slice(0, 1000)}…` : line));
    if (seen.lines.length > LINES_PER_HOST) seen.lines.shift();
    if (user !== undefined && !seen.users.includes(user) && seen.users.length < LINES_PER_HOST) seen.users.push(detach(user));
    this.hosts.set(host, seen);
    if (this.hosts.size > MAX_HOSTS) this.hosts.delete(this.hosts.keys().next().value!);
  }

  /** Remove and return what was kept for `host`. */
  take(host: string): { lines: string[]; users: string[] } {
    const seen = this.hosts.get(host);
    this.hosts.delete(host);
    return seen ? { lines: seen.lines, users: seen.users } : { lines: [], users: [] };
  }

  /** Drop hosts not seen since `before`. */
  expire(before: number): void {
    for (const [host, seen] of this.hosts) {
      if (seen.last > before) break;
      this.hosts.delete(host);
    }
  }
}
