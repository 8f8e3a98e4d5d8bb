import { z } from 'zod';
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

const regexList = z.array(z.string().min(1, 'expected a regex'));

/** A rule of a filter written in the config: a regex, or a regex with its role (see `FailRule`). */
const ruleSchema = z.union([
  z.string().min(1, 'expected a regex'),
  z
    .object({
      pattern: z.string().min(1, 'expected a regex'),
      kind: z.enum(['fail', 'note', 'pending', 'fallback', 'success']).optional(),
      forget: z.boolean().optional(),
      literals: z.array(z.string().min(1)).optional(),
      when: z.record(z.string(), z.array(z.string())).optional(),
      description: z.string().optional(),
    })
    .strict(),
]);

/** A filter written in the config (`filters:`): the data a plugin's `defineFilter` takes. */
const filterSchema = z
  .object({
    description: z.string().optional(),
    failregex: z.array(ruleSchema).min(1, 'a filter needs at least one failregex'),
    ignoreregex: regexList.optional(),
    prefix: z.string().min(1).optional(),
    programs: z.array(z.string().min(1)).optional(),
    datepattern: z.string().min(1).optional(),
    journalmatch: z.array(z.string().min(1)).optional(),
    correlate: z.literal('pid').optional(),
    maxlines: z.literal(1, 'only single-line filters are supported (maxlines: 1); correlate lines by pid instead').optional(),
    options: z.record(z.string(), z.object({ values: z.array(z.string()).min(1), default: z.string(), description: z.string().optional() }).strict()).optional(),
    /** Accept regexes the backtracking check refuses (you have checked them yourself). */
    unsafe: z.boolean().optional(),
  })
  .strict();

const filterRef = z.union([
  z.string().min(1, 'expected a filter id'),
  z
    .object({
      id: z.string().min(1, 'expected a filter id'),
      options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
      /** Rules added to the filter's own. */
      failregex: z.array(ruleSchema).optional(),
      ignoreregex: regexList.optional(),
      unsafe: z.boolean().optional(),
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
  /** IPv6 failures are counted and banned per prefix of this length (128: per address). */
  ipv6prefix: z.number({ error: 'expected a prefix length from 48 to 128' }).int('expected a prefix length from 48 to 128').min(48, 'expected a prefix length from 48 to 128').max(128, 'expected a prefix length from 48 to 128').optional(),
  /** Subnet aggregation: failures of distinct hosts of one subnet add up; at maxretry the subnet is banned. */
  subnet: z
    .object({
      ipv4: z.number().int().min(8, 'expected an IPv4 prefix length from 8 to 32').max(32, 'expected an IPv4 prefix length from 8 to 32').default(24),
      ipv6: z.number().int().min(16, 'expected an IPv6 prefix length from 16 to 128').max(128, 'expected an IPv6 prefix length from 16 to 128').default(48),
      maxretry: positiveInt.default(20),
      findtime: duration.optional(),
    })
    .strict()
    .optional(),
  /** Campaigns: many sources against one target (user name, or the jail). */
  campaign: z
    .object({
      failures: positiveInt.default(50),
      sources: positiveInt.default(10),
      findtime: duration.default('10m'),
      duration: duration.default('1h'),
      maxretry: positiveInt.default(1),
    })
    .strict()
    .optional(),
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
    /** Most failure states (hosts, prefixes, subnets) every jail together keeps; the oldest go first. */
    maxtracked: positiveInt.default(1_000_000),
    metrics: z.object({ listen: z.string().regex(/^(?:\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9191') }).strict().optional(),
    defaults: z.object(jailSettings).strict().default({}),
    /** Filters written in the config, by id; a jail names one like a plugin's. */
    filters: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'filter ids use letters, digits, _ . - (at most 64)'), filterSchema).default({}),
    /**
     * Fleet mode: hosts share failures and bans through a store. Besides these keys the section holds one
     * backend's settings under its id (`redis: redis://…`, from `@portcullis/fleet-redis`).
     */
    fleet: z
      .object({
        /** Fleet name: the key prefix every node of one fleet shares. */
        name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'fleet names use letters, digits, _ . - (at most 64)'),
        /** What is shared: fleet-wide failure counts and/or bans (default both). */
        share: z.array(z.enum(['failures', 'bans'])).min(1, 'share at least failures or bans').default(['failures', 'bans']),
        /** This node's name in the fleet (default: the host name). */
        node: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'node names use letters, digits, _ . - (at most 64)').optional(),
      })
      .catchall(z.unknown())
      .optional(),
    /** Where `fail2ban:<name>` filters are read from (`<dir>/filter.d/<name>.conf`). */
    fail2ban: z.object({ dir: z.string().min(1) }).strict().optional(),
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
