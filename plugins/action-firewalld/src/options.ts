import { z } from '@portcullis/core/schema';

/** Options of the firewalld action (validated at config load). */
export const firewalldOptions = z
  .object({
    /** Path to `firewall-cmd`; found on PATH or in /usr/bin, /usr/sbin when absent. */
    firewallCmd: z.string().min(1).optional(),
    /** Zone whose rich rules match the ipsets; firewalld's default zone (`--get-default-zone`) when absent. */
    zone: z.string().regex(/^[A-Za-z0-9_-]{1,17}$/, 'a firewalld zone name (letters, digits, _ and -, at most 17)').optional(),
    /**
     * Prefix of the ipset names: `<prefix>-<jail>-4`, `-6` (addresses, `hash:ip`) and `-n4`, `-n6` (networks,
     * `hash:net`). Names longer than 31 characters are shortened with a hash, as ipset allows no more.
     */
    ipsetPrefix: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,9}$/, 'letters, digits and _ (start with a letter, at most 10)').default('pcl'),
    /** `reject` (TCP reset / ICMP unreachable, like fail2ban's firewallcmd actions) or `drop` silently. */
    blocktype: z.enum(['reject', 'drop']).default('reject'),
    /** Leave the rich rules and entries in place on stop. */
    keepBansOnStop: z.boolean().default(false),
    /** argv prefix for every command, e.g. ["nsenter", "-t", "1234", "-m", "--"] or a container runner. */
    commandPrefix: z.array(z.string().min(1)).default([]),
    /** Seconds one firewall-cmd invocation may take (a reload of a large configuration takes a while). */
    timeout: z.number().positive().default(60),
  })
  .strict();

/** Validated options. */
export type FirewalldOptions = z.output<typeof firewalldOptions>;
