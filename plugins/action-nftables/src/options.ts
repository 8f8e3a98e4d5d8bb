import { z } from '@portcullis/core/schema';

/** Options of the nftables action (validated at config load). */
export const nftablesOptions = z
  .object({
    /** Path to `nft`; found on PATH or in /usr/sbin, /sbin when absent. */
    nft: z.string().min(1).optional(),
    /** Table (family inet) holding every jail's sets and chains. */
    table: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,30}$/, 'letters, digits and _ (start with a letter)').default('portcullis'),
    /**
     * Table family: `inet` (both IP versions, the default), or `ip` / `ip6` for a single-version table
     * (addresses of the other version are then logged and skipped).
     */
    family: z.enum(['inet', 'ip', 'ip6']).default('inet'),
    /** `drop` silently, or `reject` (TCP reset / ICMP unreachable). */
    blocktype: z.enum(['drop', 'reject']).default('drop'),
    /** Hook priority of the jail chains: below 0 runs before the distribution's filter chains. */
    priority: z.number().int().min(-400).max(400).default(-1),
    /** Leave chains and sets in place on stop: banned hosts stay blocked until their kernel timeouts. */
    keepBansOnStop: z.boolean().default(false),
    /** argv prefix for every command, e.g. ["ip", "netns", "exec", "fw"] or a container runner. */
    commandPrefix: z.array(z.string().min(1)).default([]),
    /** Seconds one nft invocation may take. */
    timeout: z.number().positive().default(15),
  })
  .strict();

/** Validated options. */
export type NftablesOptions = z.output<typeof nftablesOptions>;
