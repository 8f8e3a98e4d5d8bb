import { z } from 'zod';
import { parseDuration } from '../util/duration.js';

/** Longest delay Node's timers hold (2^31−1 ms, ~24.8 days): a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A positive duration option for plugin schemas: seconds (`30`) or a unit string (`"30s"`, `"5m"`),
 * validated at config load and turned into milliseconds. `-1`/forever is refused: it is for ban times only.
 * At most ~24 days: such options are timer delays (timeouts, digests), and Node fires a longer one at once.
 */
export const durationOption = z.union([z.number(), z.string()]).transform((value, ctx) => {
  let ms = Number.NaN;
  try {
    ms = parseDuration(value);
  } catch {
    // reported below
  }
  if (ms > MAX_TIMER_MS) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is too long: at most 24d (a timer cannot wait longer)` });
    return z.NEVER;
  }
  if (ms > 0) return ms;
  ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(value)} (use 30, "30s", "5m")` });
  return z.NEVER;
});
