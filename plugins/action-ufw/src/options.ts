import { z } from '@portcullis/core/schema';

/** Options of the ufw action (validated at config load). */
export const ufwOptions = z
  .object({
    /** Path to `ufw`; found on PATH or in /usr/sbin, /sbin when absent. */
    ufw: z.string().min(1).optional(),
    /** `reject` (TCP reset / ICMP unreachable, like fail2ban's ufw action) or `deny` (drop silently). */
    blocktype: z.enum(['reject', 'deny']).default('reject'),
    /** Leave the rules in place on stop (ufw keeps them across reboots until the next start removes them). */
    keepBansOnStop: z.boolean().default(false),
    /** argv prefix for every command, e.g. ["nsenter", "-t", "1234", "-m", "-n", "--"]. */
    commandPrefix: z.array(z.string().min(1)).default([]),
    /** Seconds one ufw invocation may take. */
    timeout: z.number().positive().default(30),
  })
  .strict();

/** Validated options. */
export type UfwOptions = z.output<typeof ufwOptions>;
