import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { BanTicket } from './ban-ticket.js';
import { defineAction } from './plugin-api.js';

const dryRunOptions = z
  .object({
    /** JSON-lines file to append events to; stdout when absent. Relative paths resolve from the config folder. */
    file: z.string().min(1).optional(),
    /** fsync after every batch (default false: a write(2) per batch is already visible to readers). */
    fsync: z.boolean().default(false),
  })
  .strict();

/**
 * The built-in `dry-run` action: touches nothing, appends one JSON line per event
 * (`{"event":"ban","jail","ip","time","bantime","failures"}`) to `options.file` or stdout.
 * Each batch is written with one synchronous write as it happens, so a reader sees events at once.
 */
export const dryRunAction = defineAction({
  id: 'dry-run',
  description: 'Write ban/unban events as JSON lines instead of touching the system.',
  options: dryRunOptions,
  create(options, ctx) {
    const path = options.file === undefined ? undefined : resolve(ctx.configDir, options.file);
    let fd: number | undefined;
    const write = (event: string, tickets: readonly BanTicket[]) => {
      if (tickets.length === 0) return;
      let text = '';
      for (const t of tickets) {
        text += `${JSON.stringify({
          event,
          jail: t.jail,
          ip: t.ip,
          time: new Date(event === 'ban' ? t.time : Date.now()).toISOString(),
          bantime: t.bantime < 0 ? -1 : Math.round(t.bantime / 1000),
          failures: t.failures,
          ...(t.reason && t.reason !== 'failures' ? { reason: t.reason } : {}),
        })}\n`;
      }
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
    return {
      async start() {},
      async ban(tickets) {
        write('ban', tickets);
      },
      async unban(tickets) {
        write('unban', tickets);
      },
      async stop() {
        if (fd !== undefined) closeSync(fd);
        fd = undefined;
      },
    };
  },
});
