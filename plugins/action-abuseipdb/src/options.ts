import { z } from '@portcullis/core/schema';

/**
 * Options of the AbuseIPDB action. The key is a secret: give it in a file readable by root only (`keyFile`),
 * or inline (`key`) in a config that is itself private.
 */
export const abuseipdbOptions = z
  .object({
    /** API key (inline). One of `key` and `keyFile` is required. */
    key: z.string().min(1).optional(),
    /** File holding the API key (first line; relative paths resolve from the config's folder). */
    keyFile: z.string().min(1).optional(),
    /** AbuseIPDB category ids (https://www.abuseipdb.com/categories): 18 brute force, 22 SSH, 21 web app attack, … */
    categories: z.array(z.number().int().min(1).max(30)).min(1).default([18]),
    /**
     * What the report's comment says. `summary` (default): the jail and the number of failures, nothing from the
     * logs. `matches`: also the matched log lines (they may hold user names and your host names). `none`: empty.
     */
    comment: z.enum(['none', 'summary', 'matches']).default('summary'),
    /** Report endpoint (an `http(s)://` URL; a local proxy or test server may stand in). */
    url: z.string().url().regex(/^https?:\/\//, 'an http:// or https:// URL').default('https://api.abuseipdb.com/api/v2/report'),
    /** Seconds before the same address may be reported again (AbuseIPDB refuses repeats within 15 minutes). */
    reportInterval: z.number().int().min(0).max(31_536_000).default(900),
    /** Reports per UTC day at most (the free plan allows 1,000). */
    dailyLimit: z.number().int().min(1).max(1_000_000).default(1000),
    /** Also report bans made by hand (`portcullis ban`). */
    reportManual: z.boolean().default(false),
    /** Seconds one request may take. */
    timeout: z.number().positive().max(300).default(10),
  })
  .strict()
  .refine((o) => (o.key === undefined) !== (o.keyFile === undefined), { message: 'give exactly one of "key" and "keyFile"' });

/** Validated options. */
export type AbuseipdbOptions = z.output<typeof abuseipdbOptions>;
