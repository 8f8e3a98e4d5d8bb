import { z } from '@portcullis/core';

/** Options of the iptables action (validated at config load). */
export const iptablesOptions = z
  .object({
    /** Binaries; found on PATH or in /usr/sbin, /sbin when absent. */
    iptables: z.string().min(1).optional(),
    ip6tables: z.string().min(1).optional(),
    ipset: z.string().min(1).optional(),
    /** Keep addresses in ipsets (hash:ip with timeouts) matched by one rule: for large ban lists. */
    useIpset: z.boolean().default(false),
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
