import { defineFleet, definePlugin } from '@portcullis/core';
import { type RedisFleetOptions, redisFleetOptions } from './options.js';
import { createRedisFleet } from './redis-fleet.js';

export { createRedisFleet };
export { FleetKeys } from './keys.js';
export type { RedisFleetOptions } from './options.js';

/** The `redis` fleet backend: `fleet: { redis: "redis://…", name: web }`. Valkey speaks the same protocol. */
export const redisFleet = defineFleet<RedisFleetOptions>({
  id: 'redis',
  description: 'Share failures and bans between hosts through Redis or Valkey',
  options: redisFleetOptions,
  create: createRedisFleet,
});

/** `@portcullis/fleet-redis`: the `redis` fleet backend. */
export default definePlugin({ name: '@portcullis/fleet-redis', fleets: [redisFleet] });
