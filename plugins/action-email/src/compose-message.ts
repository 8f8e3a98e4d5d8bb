import { hostname } from 'node:os';
import { type BanTicket, formatDuration } from '@portcullis/core';
import { cleanLine, fillTemplate } from './clean-text.js';
import type { NetworkInfo } from './rdap-network.js';

/** A plain-text message (the action never sends HTML). */
export interface Mail {
  readonly subject: string;
  readonly text: string;
}

/** A ban or an unban waiting to be reported. */
export interface Notice {
  readonly kind: 'ban' | 'unban';
  readonly ticket: BanTicket;
}

/** What composing needs from the options. */
export interface ComposeSettings {
  readonly subject: string;
  readonly digestSubject: string;
  readonly maxLinesPerBan: number;
}

/** Bans in a digest whose log lines are quoted; the rest are listed on one line each. */
const DIGEST_DETAIL = 50;

const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : 'never');
const banTime = (t: BanTicket) =>
  t.bantime < 0 ? 'forever' : `${formatDuration(t.bantime)} (until ${iso(t.expires)})`;
const withName = (ip: string, names: ReadonlyMap<string, string>) =>
  names.has(ip) ? `${ip} (${names.get(ip)})` : ip;

function quotedLines(ticket: BanTicket, max: number): string[] {
  if (max === 0 || ticket.matches.length === 0) return [];
  const lines = ticket.matches.slice(-max);
  const skipped = ticket.matches.length - lines.length;
  const head = `Matched log lines (${lines.length}${skipped ? ` newest of ${ticket.matches.length}` : ''}; text written by the client, quoted as is):`;
  return [head, ...lines.map((l) => `  | ${cleanLine(l)}`)];
}

/** RDAP facts about the network of `ip` (nothing when whois is off or the lookup gave nothing in time). */
function networkLines(ip: string, whois: ReadonlyMap<string, NetworkInfo>, indent = ''): string[] {
  const info = whois.get(ip);
  if (!info) return [];
  const named = [info.network, info.name, info.country && `(${info.country})`].filter(Boolean).join(' ');
  return [`${indent}Network:   ${named}`, ...(info.abuse ? [`${indent}Abuse:     ${info.abuse}`] : [])];
}

function facts(ticket: BanTicket, names: ReadonlyMap<string, string>, whois: ReadonlyMap<string, NetworkInfo>): string[] {
  const users = (ticket.users ?? []).map((u) => cleanLine(u, 64));
  return [
    `Address:   ${withName(ticket.ip, names)}`,
    `Jail:      ${ticket.jail}`,
    `Failures:  ${ticket.failures}`,
    `Ban time:  ${banTime(ticket)}`,
    `Ban count: ${ticket.banCount}${ticket.banCount > 1 ? ' (repeat offender)' : ''}`,
    `Banned at: ${iso(ticket.time)}`,
    ...(ticket.reason ? [`Reason:    ${ticket.reason}`] : []),
    ...(users.length ? [`Users:     ${users.join(', ')}`] : []),
    ...networkLines(ticket.ip, whois),
  ];
}

/** The message for one ban. */
export function banMessage(
  ticket: BanTicket,
  names: ReadonlyMap<string, string>,
  settings: ComposeSettings,
  whois: ReadonlyMap<string, NetworkInfo> = new Map(),
): Mail {
  const subject = fillTemplate(settings.subject, {
    jail: ticket.jail,
    ip: ticket.ip,
    host: names.get(ticket.ip) ?? ticket.ip,
    failures: ticket.failures,
    bantime: formatDuration(ticket.bantime),
    banCount: ticket.banCount,
  });
  const body = [
    `Portcullis on ${hostname()} banned ${ticket.ip} in jail ${ticket.jail}.`,
    '',
    ...facts(ticket, names, whois),
    '',
    ...quotedLines(ticket, settings.maxLinesPerBan),
  ];
  return { subject, text: `${body.join('\n')}\n` };
}

/** One message for many bans and unbans (a digest window, or the excess over the per-minute limit). */
export function digestMessage(
  jail: string,
  notices: readonly Notice[],
  names: ReadonlyMap<string, string>,
  settings: ComposeSettings,
  why: string,
  whois: ReadonlyMap<string, NetworkInfo> = new Map(),
): Mail {
  const bans = notices.filter((n) => n.kind === 'ban').map((n) => n.ticket);
  const unbans = notices.filter((n) => n.kind === 'unban').map((n) => n.ticket);
  const subject = fillTemplate(settings.digestSubject, { jail, count: bans.length, unbans: unbans.length });
  const out = [
    `Portcullis on ${hostname()}, jail ${jail}: ${bans.length} bans, ${unbans.length} unbans (${why}).`,
    '',
  ];
  if (bans.length) {
    out.push('Bans (address, failures, ban time, ban count, banned at):');
    for (const t of bans)
      out.push(
        `  ${withName(t.ip, names)}  ${t.failures}  ${t.bantime < 0 ? 'forever' : formatDuration(t.bantime)}  #${t.banCount}  ${iso(t.time)}`,
      );
    out.push('');
  }
  if (unbans.length) {
    out.push('Unbans:', ...unbans.map((t) => `  ${t.ip}`), '');
  }
  const networks = bans.filter((t) => whois.has(t.ip));
  if (networks.length) {
    out.push('Networks (RDAP):');
    for (const t of networks) out.push(`  ${t.ip}`, ...networkLines(t.ip, whois, '    '));
    out.push('');
  }
  const detailed = bans.slice(0, DIGEST_DETAIL);
  for (const t of detailed) {
    const lines = quotedLines(t, settings.maxLinesPerBan);
    if (lines.length) out.push(`${t.ip}:`, ...lines, '');
  }
  if (bans.length > detailed.length)
    out.push(`(log lines of ${bans.length - detailed.length} more bans omitted)`);
  return { subject, text: `${out.join('\n')}\n` };
}

/** Message for a jail starting or stopping. */
export function lifecycleMessage(jail: string, event: 'started' | 'stopped'): Mail {
  return {
    subject: `[Portcullis] ${jail}: jail ${event}`,
    text: `Portcullis on ${hostname()}: jail ${jail} ${event} at ${iso(Date.now())}.\n`,
  };
}
