import { durationOption, z } from '@portcullis/core/schema';
import { BATCH_PLACEHOLDERS, TICKET_PLACEHOLDERS, placeholdersIn } from './placeholders.js';

const ARGV_HINT =
  'must be an argv array such as ["/usr/local/bin/block", "{ip}", "--jail", "{jail}"]: the command action never ' +
  'runs a shell, so a command line string (with quoting, pipes or $(…)) cannot be honoured';

/** A program and its arguments; a plain string is refused with an explanation (no shell, ever). */
const argv = z
  .array(
    z.string().refine((s) => !s.includes('\0'), 'argv elements cannot contain NUL'),
    {
      error: (issue) => (typeof issue.input === 'string' ? ARGV_HINT : undefined),
    },
  )
  .min(1, 'argv needs at least the program');


/** Options of the `command` action. */
export const commandOptions = z
  .object({
    start: argv.optional(),
    stop: argv.optional(),
    ban: argv.optional(),
    unban: argv.optional(),
    check: argv.optional(),
    flush: argv.optional(),
    /** A JS module (relative to the config's folder) whose default export is an action; replaces the argv options. */
    module: z.string().min(1).optional(),
    /** Options handed to the module's action (validated by its own schema when it has one). */
    moduleOptions: z.unknown().optional(),
    /** Kill a program after this long (SIGTERM, then SIGKILL after `killGrace`). */
    timeout: durationOption.default(30_000),
    killGrace: durationOption.default(2_000),
    /** Extra environment variables (the daemon's environment is inherited). */
    env: z.record(z.string(), z.string()).default({}),
    /** Working directory, relative to the config's folder (default: the config's folder). */
    cwd: z.string().optional(),
    /** Per-ticket mode: how many programs may run at once for one batch. */
    concurrency: z.number().int().min(1).max(64).default(1),
    /** Whole-batch mode: one `ban`/`unban` process per batch, one `line` per ticket on its stdin. */
    batch: z.object({ stdin: z.literal(true), line: z.string().default('{ip}') }).optional(),
  })
  .superRefine((o, ctx) => {
    const commands = (['start', 'stop', 'ban', 'unban', 'check', 'flush'] as const).filter((k) => o[k]);
    if (o.module !== undefined) {
      if (commands.length > 0)
        ctx.addIssue({ code: 'custom', message: `use either module or ${commands.join('/')}, not both` });
      return;
    }
    if (!o.ban)
      ctx.addIssue({
        code: 'custom',
        path: ['ban'],
        message: `ban is required (${ARGV_HINT}), or set module`,
      });
    const allowed = (key: string): readonly string[] =>
      (key === 'ban' || key === 'unban') && !o.batch ? TICKET_PLACEHOLDERS : BATCH_PLACEHOLDERS;
    for (const key of commands) {
      for (const [i, element] of o[key]!.entries()) {
        for (const name of placeholdersIn(element)) {
          if (!allowed(key).includes(name)) {
            ctx.addIssue({
              code: 'custom',
              path: [key, i],
              message: `unknown placeholder {${name}} here; allowed: ${allowed(key)
                .map((p) => `{${p}}`)
                .join(' ')}`,
            });
          }
        }
      }
    }
    for (const name of o.batch ? placeholdersIn(o.batch.line) : []) {
      if (!(TICKET_PLACEHOLDERS as readonly string[]).includes(name)) {
        ctx.addIssue({ code: 'custom', path: ['batch', 'line'], message: `unknown placeholder {${name}}` });
      }
    }
  });

/** Validated `command` options (durations in ms). */
export type CommandOptions = z.output<typeof commandOptions>;
