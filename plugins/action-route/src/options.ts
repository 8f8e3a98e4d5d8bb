import { z } from '@portcullis/core/schema';

/** Options of the route action (validated at config load). */
export const routeOptions = z
  .object({
    /** Path to `ip`; found on PATH or in /usr/sbin, /sbin when absent. */
    ip: z.string().min(1).optional(),
    /**
     * Route type: `blackhole` drops replies silently, `unreachable` and `prohibit` make the kernel answer
     * with ICMP errors for locally generated traffic. Either way the banned host never completes a handshake.
     */
    type: z.enum(['blackhole', 'unreachable', 'prohibit']).default('blackhole'),
    /** Routing table for the routes (`main`, `local`, or a number 1–4294967295 from /etc/iproute2/rt_tables). */
    table: z.union([z.enum(['main']), z.number().int().min(1).max(4_294_967_295)]).default('main'),
    /**
     * Routing protocol number that marks our routes (`ip route show proto N`), so `check`, `flush` and `stop`
     * touch ours and never the administrator's. 0–255; 4 is `static`, keep clear of the kernel's own numbers.
     */
    proto: z.number().int().min(5).max(255).default(236),
    /** Leave the routes in place on stop. */
    keepBansOnStop: z.boolean().default(false),
    /** argv prefix for every command, e.g. ["ip", "netns", "exec", "fw"]. */
    commandPrefix: z.array(z.string().min(1)).default([]),
    /** Seconds one `ip` invocation may take. */
    timeout: z.number().positive().default(15),
  })
  .strict();

/** Validated options. */
export type RouteOptions = z.output<typeof routeOptions>;
