import { z } from '@portcullis/core/schema';

/** Options of the iptables action (validated at config load). */
export const iptablesOptions = z
  .object({
    /** Path to `iptables` (its `-restore` sibling is used for batches); found on PATH or in /usr/sbin, /sbin when absent. */
    iptables: z.string().min(1).optional(),
    /** Path to `ip6tables`, likewise. */
    ip6tables: z.string().min(1).optional(),
    /** Path to `ipset`, likewise (only used with `ipset: true`). */
    ipsetPath: z.string().min(1).optional(),
    /** Keep addresses in two ipsets (hash:ip with kernel timeouts) matched by one rule: for large ban lists. */
    ipset: z.boolean().default(false),
    /** Chain the jail's chain is jumped to from. */
    chain: z.string().regex(/^[A-Za-z0-9_-]{1,28}$/).default('INPUT'),
    /** `REJECT` (ICMP port unreachable) or `DROP`. */
    blocktype: z.enum(['REJECT', 'DROP']).default('REJECT'),
    /** Leave the chain (and sets) in place on stop. */
    keepBansOnStop: z.boolean().default(false),
    /** argv prefix for every command, e.g. ["ip", "netns", "exec", "fw"]. */
    commandPrefix: z.array(z.string().min(1)).default([]),
    /** Seconds one command may take. */
    timeout: z.number().positive().default(15),
  })
  .strict();

/** Validated options. */
export type IptablesOptions = z.output<typeof iptablesOptions>;
