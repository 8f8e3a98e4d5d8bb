import { afterAll, beforeAll } from 'vitest';

/**
 * Runs the enclosing `describe` in time zone `zone`. Node re-reads the zone when `process.env.TZ` is
 * assigned, and vitest runs each test file in its own process, so this changes this file's zone only; the
 * previous zone comes back after the block.
 */
export function useTimeZone(zone: string): void {
  const before = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = zone;
  });
  afterAll(() => {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  });
}
