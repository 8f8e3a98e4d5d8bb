import { z } from '@portcullis/core/schema';

const location = z
  .string()
  .min(1)
  .refine((s) => /^rediss?:\/\//.test(s) || s.startsWith('/'), 'a redis:// or rediss:// URL, or the absolute path of a unix socket');

/**
 * The value under `fleet.redis`: a URL (`redis://user:pass@host:6379/0`, `rediss://…` for TLS) or the absolute
 * path of a unix socket — or an object when the password or TLS files live elsewhere.
 */
export const redisFleetOptions = z.union([
  location.transform((url) => ({ url })),
  z
    .object({
      url: location,
      /** ACL user (overrides the URL's). */
      username: z.string().min(1).optional(),
      /** File holding the password (first line): keeps the secret out of the config. */
      passwordFile: z.string().min(1).optional(),
      /** TLS (with `rediss://`): CA bundle, client certificate and key (PEM files), and the server name to check. */
      tls: z
        .object({ ca: z.string().min(1).optional(), cert: z.string().min(1).optional(), key: z.string().min(1).optional(), servername: z.string().min(1).optional() })
        .strict()
        .optional(),
      /** Seconds between heartbeats (a node is shown disconnected after three missed). */
      heartbeat: z.number().int().min(1).max(300).optional(),
      /** Seconds the fleet remembers past bans of a target, for bantime increments (default 30 days). */
      history: z.number().int().min(60).max(31_536_000).optional(),
    })
    .strict(),
]);

/** Validated options. */
export type RedisFleetOptions = z.output<typeof redisFleetOptions>;
