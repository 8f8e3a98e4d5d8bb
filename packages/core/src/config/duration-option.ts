import { z } from 'zod';
import { parseDuration } from '../util/duration.js';

/**
 * A positive duration option for plugin schemas: seconds (`30`) or a unit string (`"30s"`, `"5m"`),
 * validated at config load and turned into milliseconds. `-1`/forever is refused: it is for ban times only.
 */
export const durationOption = z.union([z.number(), z.string()]).transform((value, ctx) => {
  try {
    const ms = parseDuration(value);
    if (ms > 0) return ms;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(value)} (use 30, "30s", "5m")` });
  return z.NEVER;
});
