import { z } from 'zod';
import { checkDatePattern } from '../parsing/date-pattern.js';
import { parseDuration } from '../util/duration.js';

/** A duration as written in a config: `600`, `10m`, `1h30m`, `-1`. Validated here, converted at composition. */
const duration = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  try {
    parseDuration(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 600, 10m, 1h, 1d or -1, got ${JSON.stringify(value)}` });
  }
});

const positiveInt = z.number({ error: 'expected a positive integer' }).int('expected a positive integer').positive('expected a positive integer');

const pluginRef = z.union([
  z.string().min(1, 'expected an id'),
  z.object({ id: z.string().min(1, 'expected an id'), options: z.record(z.string(), z.unknown()).default({}) }).strict(),
]);

const filterRef = z.union([
  z.string().min(1, 'expected a filter id'),
  z
    .object({
      id: z.string().min(1, 'expected a filter id'),
      options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
    })
    .strict(),
]);

const stringList = z.union([z.string().min(1), z.array(z.string().min(1))]);

/** Settings a jail may take from `defaults` or set itself. */
const jailSettings = {
  bantime: duration.optional(),
  findtime: duration.optional(),
  maxretry: positiveInt.optional(),
  ignoreip: z.array(z.string().min(1)).optional(),
  ignoreself: z.boolean().optional(),
  backend: z.enum(['auto', 'file', 'journal', 'stdin']).optional(),
  usedns: z.enum(['yes', 'warn', 'no']).optional(),
  port: z.union([z.string(), z.number().int().positive(), z.array(z.union([z.string(), z.number().int().positive()]))]).optional(),
  protocol: z.enum(['tcp', 'udp', 'all']).optional(),
  /** How the date of a line is found (fail2ban syntax, see DatePattern); default: the usual formats. */
  datepattern: z.string().min(1).superRefine((value, ctx) => {
    const problem = checkDatePattern(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).optional(),
  /** Where a log file never seen before is read from: its end (default) or its start. */
  logstart: z.enum(['end', 'start']).optional(),
  /** Repeat offenders: each new ban of an address multiplies the ban time. */
  increment: z
    .object({
      enabled: z.boolean().default(true),
      factor: z.number().positive().default(2),
      maxtime: duration.default('1w'),
      /** Count bans of the address in every jail, not only this one. */
      overalljails: z.boolean().default(false),
    })
    .strict()
    .optional(),
  actions: z.array(pluginRef).optional(),
};

const jailSchema = z
  .object({
    enabled: z.boolean().default(true),
    filter: filterRef,
    logpath: stringList.optional(),
    journalmatch: z.array(z.string().min(1)).optional(),
    ...jailSettings,
  })
  .strict();

/** The config file's schema (validated with zod; errors are reported one per problem with their path). */
export const configSchema = z
  .object({
    plugins: z.array(z.string().min(1)).default([]),
    database: z.string().min(1).optional(),
    socket: z.string().min(1).optional(),
    /** History (for repeat offenders) older than this is purged. */
    dbpurgeage: duration.default('7d'),
    loglevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    metrics: z.object({ listen: z.string().regex(/^(?:\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9191') }).strict().optional(),
    defaults: z.object(jailSettings).strict().default({}),
    jails: z.record(
      z.string().regex(/^[A-Za-z0-9_.-]{1,48}$/, 'jail names use letters, digits, _ . - (at most 48)'),
      jailSchema,
    ),
  })
  .strict();

/** A validated config, before composition with plugins. */
export type PortcullisConfig = z.output<typeof configSchema>;
/** One validated jail entry. */
export type JailConfig = z.output<typeof jailSchema>;

/**
 * Turn zod issues into lines `path: message` (path like `jails.sshd.maxretry`). Unions report the
 * most specific branch only, so a typo gives one line, not five.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0]!;
      out.push(...formatIssues(best, path));
      continue;
    }
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    out.push(`${path.length ? path.map(String).join('.') : '(root)'}: ${message}`);
  }
  return [...new Set(out)];
}

function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length + (i.code === 'invalid_type' ? 0 : 0.5)));
}

/** A config as written (before defaults), for `defineConfig` in TS/JS config files. */
export type PortcullisConfigInput = z.input<typeof configSchema>;
