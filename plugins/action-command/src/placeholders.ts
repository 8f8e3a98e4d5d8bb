import { type BanTicket, formatDuration } from '@portcullis/core';

/**
 * Placeholders an argv element may contain. Each is replaced inside the element, never split and never
 * interpreted: `{matches}` and `{user}` carry attacker-written log text, which therefore reaches the program as
 * one literal argument — the program must treat it as data (never `eval` it or pass it to a shell).
 */
export const TICKET_PLACEHOLDERS = [
  'ip',
  'prefixlen',
  'family',
  'jail',
  'failures',
  'bantime',
  'bantimeHuman',
  'time',
  'expires',
  'user',
  'users',
  'banCount',
  'matches',
  'reason',
] as const;

/** Placeholders that do not depend on a ticket (start, stop, check, flush and whole-batch commands). */
export const BATCH_PLACEHOLDERS = ['jail', 'count'] as const;

const TOKEN = /\{\{|\}\}|\{([A-Za-z]+)\}/g;

/** Names used in `template` (`{{` and `}}` are literal braces). */
export function placeholdersIn(template: string): string[] {
  const names: string[] = [];
  for (const m of template.matchAll(TOKEN)) if (m[1] !== undefined) names.push(m[1]);
  return names;
}

/** Replace the placeholders of `template` from `values`; NUL bytes are dropped (argv cannot carry them). */
export function substitute(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(TOKEN, (token, name: string | undefined) => {
    if (name === undefined) return token[0]!;
    return (values[name] ?? token).replaceAll('\0', '');
  });
}

const seconds = (ms: number) => String(Math.floor(ms / 1000));

/**
 * The placeholder values of one ticket (target already re-validated by the caller). `{ip}` is the target as
 * the engine bans it — an address, or a network `2001:db8:aa:bb::/64` — and `{prefixlen}` its prefix length
 * (32 or 128 for a single address).
 */
export function ticketValues(ticket: BanTicket, ip: string, family: 4 | 6, prefixlen: number = family === 4 ? 32 : 128): Record<string, string> {
  const forever = ticket.bantime < 0 || !Number.isFinite(ticket.expires);
  return {
    ip,
    prefixlen: String(prefixlen),
    family: String(family),
    jail: ticket.jail,
    failures: String(ticket.failures),
    bantime: forever ? '-1' : seconds(ticket.bantime),
    bantimeHuman: formatDuration(forever ? -1 : ticket.bantime),
    time: seconds(ticket.time),
    expires: forever ? '-1' : seconds(ticket.expires),
    user: ticket.users?.[0] ?? '',
    users: (ticket.users ?? []).join(','),
    banCount: String(ticket.banCount),
    matches: ticket.matches.join('\n'),
    reason: ticket.reason ?? '',
  };
}

/** One line of a batch's stdin: like {@link substitute}, with line breaks in values turned into spaces. */
export function substituteLine(template: string, values: Readonly<Record<string, string>>): string {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) flat[k] = v.replace(/[\r\n]+/g, ' ');
  return substitute(template, flat);
}
