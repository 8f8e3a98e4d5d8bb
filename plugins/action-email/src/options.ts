import { hostname } from 'node:os';
import { durationOption, z } from '@portcullis/core/schema';

/** A bare mail address; no display name, no spaces, so nothing can smuggle a header line. */
const address = z
  .string()
  .regex(/^[^\s<>@,;"]+@[^\s<>@,;"]+$/, 'must be a mail address like admin@example.org');


/** Options of the `email` action. */
export const emailOptions = z.object({
  /** SMTP server (default: the local MTA). */
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(25),
  /** TLS from the first byte (port 465). */
  secure: z.boolean().default(false),
  /** Use STARTTLS when the server offers it (false: never). */
  starttls: z.boolean().default(true),
  /** Refuse to send unless STARTTLS succeeds. */
  requireTLS: z.boolean().default(false),
  /** Verify the server's certificate (turn off only for a self-signed relay you trust). */
  tlsRejectUnauthorized: z.boolean().default(true),
  auth: z.object({ user: z.string().min(1), pass: z.string() }).optional(),
  from: address.default(`portcullis@${hostname() || 'localhost'}`),
  to: z
    .union([address, z.array(address).min(1)])
    .default('root@localhost')
    .transform((v) => (Array.isArray(v) ? v : [v])),
  /** Subject of a single-ban message: {jail} {ip} {host} {failures} {bantime} {banCount}. */
  subject: z.string().default('[Portcullis] {jail}: banned {ip}'),
  /** Subject of a digest: {jail} {count}. */
  digestSubject: z.string().default('[Portcullis] {jail}: {count} bans'),
  /** Subject of a campaign notice (one per campaign; its bans are not mailed): {jail} {target} {failures} {sources}. */
  campaignSubject: z.string().default('[Portcullis] {jail}: distributed attack on "{target}"'),
  /** Look up the PTR name of each address (with `reverseDnsTimeout`). The name is attacker-controlled too. */
  reverseDns: z.boolean().default(false),
  reverseDnsTimeout: durationOption.default(1500),
  /**
   * `rdap`: look up each banned address's network over RDAP (HTTPS) and add its name, country and abuse contact
   * to the mail — the WHOIS section of fail2ban's `action_mwl`. Written by whoever registered the network.
   */
  whois: z.union([z.literal(false), z.literal('rdap')]).default(false),
  /** Folder of IANA's RDAP bootstrap files (`ipv4.json`, `ipv6.json`) that name the registry of an address. */
  rdapBootstrapUrl: z.string().url().default('https://data.iana.org/rdap/'),
  /** One RDAP server for every address instead of the bootstrap (e.g. `https://rdap.db.ripe.net/`). */
  rdapUrl: z.string().url().optional(),
  /** Longest a mail waits for RDAP: what has not answered by then is left out. */
  rdapTimeout: durationOption.default(3000),
  /** How long a network's answer is reused for other addresses of that network (and the bootstrap files). */
  rdapCacheTtl: durationOption.default(86_400_000),
  /** PEM file of extra CA certificates for the RDAP server (a private mirror); relative to the config file. */
  rdapCa: z.string().min(1).optional(),
  /** false: one message per ban; a duration: one message per window with every ban of the window. */
  digest: z.union([z.literal(false), durationOption]).default(false),
  notifyStart: z.boolean().default(false),
  notifyStop: z.boolean().default(false),
  unbanNotices: z.boolean().default(false),
  /** Matched log lines quoted per ban (the newest ones). */
  maxLinesPerBan: z.number().int().min(0).max(1000).default(20),
  /** Without digest: single messages per minute before the rest is folded into one summary message. */
  maxMessagesPerMinute: z.number().int().min(1).default(10),
  /** SMTP connection, greeting and socket timeout. */
  timeout: durationOption.default(15_000),
});

/** Validated `email` options (durations in ms). */
export type EmailOptions = z.output<typeof emailOptions>;
