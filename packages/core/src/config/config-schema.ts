import { z } from 'zod';
import { durationProblem } from '../util/duration.js';
import { parseNetwork } from '../util/ip-network.js';
import { portProblem } from '../util/port-spec.js';
import { formatPath } from './config-path.js';
import { checkDatePattern } from '../parsing/date-pattern.js';

/**
 * A duration as written in a config: `600`, `10m`, `1h30m` (and `-1` for forever where `forever`), within
 * the range every action can hold (see `durationProblem`). Validated here, converted at composition.
 */
function duration(options: { forever: boolean }) {
  return z.union([z.string(), z.number()]).superRefine((value, ctx) => {
    const problem = durationProblem(value, options);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** An address or CIDR network, checked as the jail's ignore list will read it. */
const addressOrNetwork = z.string().superRefine((value, ctx) => {
  if (!parseNetwork(value)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not an IP address or CIDR network (host names are not allowed)` });
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

/** Ports as a jail's `port` holds them: `22`, `"ssh, 8000:8100"`; each as nftables and iptables would take it. */
const portList = z.string().superRefine((value, ctx) => {
  for (const p of value.split(',').map((x) => x.trim()).filter(Boolean)) {
    const problem = portProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }
});

const portNumber = z.number().int('a port is a whole number').min(0, 'a port is 0 to 65535').max(65535, 'a port is 0 to 65535');

const stringList = z.union([z.string().min(1), z.array(z.string().min(1))]);

/** Settings a jail may take from `defaults` or set itself. */
export const jailSettings = {
  bantime: duration({ forever: true }).optional(),
  findtime: duration({ forever: false }).optional(),
  maxretry: positiveInt.optional(),
  ignoreip: z.array(addressOrNetwork).optional(),
  ignoreself: z.boolean().optional(),
  backend: z.enum(['auto', 'file', 'journal', 'stdin']).optional(),
  usedns: z.enum(['yes', 'warn', 'no']).optional(),
  port: z.union([portList, portNumber, z.array(z.union([portList, portNumber]))]).optional(),
  protocol: z.enum(['tcp', 'udp', 'all']).optional(),
  /** How the date of a line is found (fail2ban syntax, see DatePattern); default: the usual formats. */
  // An empty pattern is refused by checkDatePattern, in one line.
  datepattern: z.string().superRefine((value, ctx) => {
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
      maxtime: duration({ forever: false }).default('1w'),
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
      findtime: duration({ forever: false }).optional(),
    })
    .strict()
    .optional(),
  /** Campaigns: many sources against one target (user name, or the jail). */
  campaign: z
    .object({
      failures: positiveInt.default(50),
      sources: positiveInt.default(10),
      findtime: duration({ forever: false }).default('10m'),
      duration: duration({ forever: false }).default('1h'),
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
    dbpurgeage: duration({ forever: false }).default('7d'),
    loglevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    /** The daemon's log goes to this file (appended; reopened on SIGUSR1 for logrotate) instead of stderr. */
    logfile: z.string().min(1).optional(),
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
    if (issue.code === 'invalid_key' && issue.issues.length > 0) message = issue.issues[0]!.message;
    if (issue.code === 'unrecognized_keys') message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    out.push(`${formatPath(path)}: ${message}`);
  }
  return [...new Set(out)];
}

/**
 * How far a union branch got: its deepest issue, and half a level more when the value had the branch's type
 * (zod reports a failed `.int()` as `invalid_type` too, with a `format`: `port: 22.5` is a number, not a string).
 */
function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length + (i.code === 'invalid_type' && !('format' in i) ? 0 : 0.5)));
}

/**
 * The parts of a config that are valid on their own: its plugins, defaults and each jail that passes the
 * schema alone, so they can still be composed (and their problems found) while other parts have schema
 * problems. Invalid parts are dropped: their problems are the schema's to report.
 */
export function validParts(raw: unknown): PortcullisConfig {
  const input = asRecord(raw);
  const shape = configSchema.shape;
  const plugins = Array.isArray(input.plugins) ? input.plugins.filter((p): p is string => typeof p === 'string' && p.length > 0) : [];
  const jails: Record<string, JailConfig> = {};
  for (const [name, jail] of Object.entries(asRecord(input.jails))) {
    if (!shape.jails.keyType.safeParse(name).success) continue;
    const valid = withoutInvalidKeys(jailSchema, jail);
    if (valid) jails[name] = valid;
  }
  const part = <T>(schema: z.ZodType<T>, value: unknown): T | undefined => {
    const r = schema.safeParse(value);
    return r.success ? r.data : undefined;
  };
  return configSchema.parse({
    plugins,
    defaults: withoutInvalidKeys(shape.defaults, input.defaults) ?? {},
    database: part(shape.database, input.database),
    socket: part(shape.socket, input.socket),
    jails,
  });
}

/** An object parsed without the keys that have problems (a jail without a valid `filter` stays undefined). */
function withoutInvalidKeys<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const first = schema.safeParse(value);
  if (first.success) return first.data;
  const bad = new Set(first.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' && i.path.length === 0 ? i.keys : [i.path[0]])));
  if (bad.has(undefined) || bad.has('filter')) return undefined;
  const kept = Object.fromEntries(Object.entries(asRecord(value)).filter(([k]) => !bad.has(k)));
  const second = schema.safeParse(kept);
  return second.success ? second.data : undefined;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A config as written (before defaults), for `defineConfig` in TS/JS config files. */
export type PortcullisConfigInput = z.input<typeof configSchema>;
