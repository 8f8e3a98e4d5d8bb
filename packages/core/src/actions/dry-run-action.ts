import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ListedBan } from '../contract/action-definition.js';
import type { BanTicket } from '../contract/ban-ticket.js';
import { defineAction } from '../contract/plugin-api.js';
import type { StandardSchemaV1 } from '../contract/standard-schema.js';

/** Events per write. */
const WRITE_SLICE = 500;

/** Options of the dry-run action. */
interface DryRunOptions {
  /** JSON-lines file to append events to; stdout when absent. Relative paths resolve from the config folder. */
  readonly file?: string | undefined;
  /** fsync after every batch (default false: a write(2) per batch is already visible to readers). */
  readonly fsync: boolean;
  /**
   * Write an event for each ban put back at start or after a check (`reason: "restore"`; default false: a
   * restart with a million bans would write a million lines that say nothing new — the record already holds
   * their `ban` events).
   */
  readonly restoreEvents: boolean;
}

/**
 * The options schema, written out: two fields do not justify loading zod into every process that only
 * reads logs. Same contract as a zod schema: unknown keys and wrong types are issues with their path.
 */
const dryRunOptions: StandardSchemaV1<unknown, DryRunOptions> = {
  '~standard': {
    version: 1,
    vendor: 'portcullis',
    validate(value) {
      if (value === undefined) return { value: { fsync: false, restoreEvents: false } };
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return { issues: [{ message: 'expected an object' }] };
      const issues: StandardSchemaV1.Issue[] = [];
      const { file, fsync, restoreEvents, ...rest } = value as Record<string, unknown>;
      if (file !== undefined && (typeof file !== 'string' || file.length === 0)) {
        issues.push({ message: 'expected a non-empty string (a file path)', path: ['file'] });
      }
      if (fsync !== undefined && typeof fsync !== 'boolean') issues.push({ message: 'expected a boolean', path: ['fsync'] });
      if (restoreEvents !== undefined && typeof restoreEvents !== 'boolean') issues.push({ message: 'expected a boolean', path: ['restoreEvents'] });
      for (const key of Object.keys(rest)) issues.push({ message: `unknown option "${key}"; known: file, fsync, restoreEvents`, path: [key] });
      if (issues.length > 0) return { issues };
      return { value: { file: file as string | undefined, fsync: (fsync as boolean | undefined) ?? false, restoreEvents: (restoreEvents as boolean | undefined) ?? false } };
    },
  },
};

/**
 * The built-in `dry-run` action: touches nothing, appends one JSON line per event
 * (`{"event":"ban","jail","ip","time","bantime","failures"}`, with
 * `prefixlen` for a network and `reason` unless it is `failures`; `{"event":"campaign","jail","target",
 * "failures","sources","time","until"}` when a campaign starts) to `options.file` or stdout.
 * Each batch is written as it happens (synchronous writes of up to 500 events), so a reader sees events at once. Bans put
 * back at start (`reason: "restore"`) are written only with `restoreEvents: true`.
 */
export const dryRunAction = defineAction({
  id: 'dry-run',
  description: 'Write ban/unban events as JSON lines instead of touching the system.',
  options: dryRunOptions,
  create(options, ctx) {
    const path = options.file === undefined ? undefined : resolve(ctx.configDir, options.file);
    let fd: number | undefined;
    const append = (text: string) => {
      if (path === undefined) {
        process.stdout.write(text);
        return;
      }
      if (fd === undefined) {
        mkdirSync(dirname(path), { recursive: true });
        fd = openSync(path, 'a', 0o640);
      }
      writeSync(fd, text);
      if (options.fsync) fsyncSync(fd);
    };
    const write = (event: string, tickets: readonly BanTicket[]) => {
      // An unban happens now: one date for the batch (`unban --all` writes a million of them).
      const now = new Date().toISOString();
      // A write per slice, not per batch: a batch can hold a million bans (a restart restoring them), and
      // its text in one string would be ~150 MB; slices stay small, short-lived strings.
      // The length read once: a restore batch is a proxy, where each read of `length` is a call.
      const count = tickets.length;
      for (let at = 0; at < count; at += WRITE_SLICE) {
        let text = '';
        const end = Math.min(count, at + WRITE_SLICE);
        for (let i = at; i < end; i++) {
          const t = tickets[i]!;
          if (t.reason === 'restore' && event === 'ban' && !options.restoreEvents) continue;
          text += `${JSON.stringify({
            event,
            jail: t.jail,
            ip: t.ip,
            time: event === 'ban' ? new Date(t.time).toISOString() : now,
            bantime: t.bantime < 0 ? -1 : Math.round(t.bantime / 1000),
            failures: t.failures,
            ...(t.prefix !== undefined ? { prefixlen: t.prefix } : {}),
            ...(t.reason && t.reason !== 'failures' ? { reason: t.reason } : {}),
          })}\n`;
        }
        if (text) append(text);
      }
    };
    // The record file is the dry run's firewall: replaying it tells which bans are still in force.
    const list = async (): Promise<ListedBan[]> => {
      if (path === undefined || !existsSync(path)) return [];
      const held = new Map<string, number>();
      for (const text of readFileSync(path, 'utf8').split('\n')) {
        const e = parseEvent(text);
        if (!e || e.jail !== ctx.jail.name) continue;
        if (e.event === 'unban') held.delete(e.ip);
        else held.set(e.ip, e.bantime < 0 ? Number.POSITIVE_INFINITY : Date.parse(e.time) + e.bantime * 1000);
      }
      return [...held].map(([ip, expires]) => ({ ip, expires }));
    };
    return {
      ...(path === undefined ? {} : { list }),
      async start() {},
      async ban(tickets) {
        write('ban', tickets);
      },
      async unban(tickets) {
        write('unban', tickets);
      },
      async campaign(e) {
        const time = new Date(e.time).toISOString();
        const until = new Date(e.until).toISOString();
        append(`${JSON.stringify({ event: 'campaign', jail: e.jail, target: e.target, failures: e.failures, sources: e.sources, time, until })}\n`);
      },
      async stop() {
        if (fd !== undefined) closeSync(fd);
        fd = undefined;
      },
    };
  },
});

/** One line of the record, or undefined when it is not one this action wrote (a torn last line, an edit). */
function parseEvent(text: string): { event: string; jail: string; ip: string; time: string; bantime: number } | undefined {
  if (!text) return undefined;
  try {
    const e = JSON.parse(text) as Record<string, unknown>;
    const ok = typeof e.event === 'string' && typeof e.jail === 'string' && typeof e.ip === 'string' && typeof e.time === 'string' && typeof e.bantime === 'number';
    return ok ? (e as { event: string; jail: string; ip: string; time: string; bantime: number }) : undefined;
  } catch {
    return undefined;
  }
}
