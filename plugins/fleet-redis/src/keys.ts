/**
 * Key layout of one fleet, all under `portcullis:<fleet>:` so an ACL can grant a node exactly that
 * (`~portcullis:<fleet>:*`, channel `&portcullis:<fleet>:*`). Jail names are `[A-Za-z0-9_.-]+` and targets
 * canonical addresses or networks, so `|` never occurs inside either.
 */
export class FleetKeys {
  readonly prefix: string;
  constructor(fleet: string) {
    this.prefix = `portcullis:${fleet}:`;
  }
  /** Sorted set of one key's failure times (score = time). */
  failures(jail: string, key: string): string {
    return `${this.prefix}f:${jail}|${key}`;
  }
  /** Left by the node that decided a ban from fleet-wide failures, until the ban is recorded (TTL findtime). */
  claim(jail: string, key: string): string {
    return `${this.prefix}c:${jail}|${key}`;
  }
  /** A current ban (JSON), with the ban's own TTL. */
  ban(jail: string, target: string): string {
    return `${this.prefix}b:${jail}|${target}`;
  }
  /** How many times a target was banned in a jail (for increments), with the history TTL. */
  history(jail: string, target: string): string {
    return `${this.prefix}h:${jail}|${target}`;
  }
  /** Index of current bans: member `jail|target`, score = expiry (ms; +inf forever). */
  get index(): string {
    return `${this.prefix}bans`;
  }
  /** Nodes by last heartbeat. */
  get nodes(): string {
    return `${this.prefix}nodes`;
  }
  /** One node's heartbeat hash. */
  node(name: string): string {
    return `${this.prefix}node:${name}`;
  }
  /** The pub/sub channel of ban and unban events. */
  get channel(): string {
    return `${this.prefix}events`;
  }
}
