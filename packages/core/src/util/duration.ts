import { PortcullisError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/**
 * Parse a duration: a number of seconds (`600`), a unit suffix (`10m`, `1h`, `1d`, `2w`, `500ms`),
 * a sum (`1h30m`), or `-1` / `forever` for a permanent ban. Returns milliseconds, `-1` for forever.
 */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (input === -1) return -1;
    if (Number.isFinite(input) && input >= 0) return Math.round(input * 1000);
    throw new PortcullisError('DURATION_INVALID', `invalid duration ${input}`);
  }
  const text = input.trim().toLowerCase();
  if (text === '-1' || text === 'forever' || text === 'permanent') return -1;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const part = /(\d+(?:\.\d+)?)\s*(ms|sec|min|s|m|h|d|w|y)/gy;
  let total = 0;
  let pos = 0;
  for (let m = part.exec(text); m; m = part.exec(text)) {
    // The pattern only captures units of the table.
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = part.lastIndex;
    while (text[pos] === ' ') pos++;
    part.lastIndex = pos;
  }
  if (pos === 0 || pos !== text.length) {
    throw new PortcullisError('DURATION_INVALID', `invalid duration "${input}"`, {
      hint: 'use seconds or a unit: 30s, 10m, 1h, 1d, 1w, or -1 for forever',
    });
  }
  return Math.round(total);
}

/** Shortest duration a setting may have: the firewall timeouts and the unban schedule count in seconds. */
export const MIN_DURATION_MS = 1000;

/**
 * Longest duration a setting may have: 100 years. nftables set timeouts hold up to ~584 years (the kernel
 * keeps them in nanoseconds in 64 bits) and every action must hold any ban time the config allows, so the
 * limit stays well below that; ban times and expiry dates stay exact integers in JavaScript too.
 */
export const MAX_DURATION_MS = 100 * UNIT_MS.y!;

/**
 * Why `input` is not a usable duration setting (`undefined` when it is): not a duration, shorter than
 * {@link MIN_DURATION_MS}, longer than {@link MAX_DURATION_MS}, or `-1`/forever where forever means nothing.
 * @param options.forever whether `-1` (forever) is allowed: ban times only.
 */
export function durationProblem(input: unknown, options: { forever: boolean }): string | undefined {
  const shown = JSON.stringify(input);
  const forms = `a duration like 600, 10m, 1h, 1d${options.forever ? ' or -1 for forever' : ''}`;
  let ms: number;
  try {
    if (typeof input !== 'string' && typeof input !== 'number') throw new Error('not a duration');
    ms = parseDuration(input);
  } catch {
    return `expected ${forms}, got ${shown}`;
  }
  if (ms === -1) return options.forever ? undefined : `${shown} (forever) is only for ban times: use ${forms}`;
  if (ms < MIN_DURATION_MS) {
    return ms === 0 && options.forever
      ? `${shown} would lift every ban at once: use at least 1s, or -1 for a permanent ban`
      : `${shown} is shorter than 1s: use ${forms}`;
  }
  if (ms > MAX_DURATION_MS) return `${shown} is longer than 100y, the longest duration firewall timeouts are trusted to hold`;
  return undefined;
}

/** Format milliseconds for people: `10m`, `1h30m`, `forever`. */
export function formatDuration(ms: number): string {
  if (ms < 0 || ms === Number.POSITIVE_INFINITY) return 'forever';
  if (ms < 1000) return `${ms}ms`;
  let rest = Math.round(ms / 1000);
  const out: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      out.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return out.join('');
}
