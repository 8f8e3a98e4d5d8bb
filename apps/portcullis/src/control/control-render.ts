import { type FleetStatus, formatDuration } from '@portcullis/core';
import type { ActionStatus, BanInfo, JailStatus } from '@portcullis/core/engine';
import type { ControlCommand } from './control-protocol.js';
import { renderRuntimeControl } from './runtime-control-render.js';

/** `status` without a jail: one summary per jail and the totals. */
export interface StatusResult {
  readonly version: string;
  readonly jails: Omit<JailStatus, 'banned'>[];
  readonly totals: { currentlyFailed: number; totalFailed: number; currentlyBanned: number; totalBanned: number; notApplied?: number };
}

/** A command's result as text for people: tables and short sentences. */
export function renderResult(cmd: ControlCommand, args: Record<string, unknown>, result: unknown, now = Date.now()): string {
  switch (cmd) {
    case 'ping': {
      const r = result as { version: string; pid: number };
      return `pong (portcullis ${r.version}, pid ${r.pid})`;
    }
    case 'status':
      if (args.fleet === true) return renderFleet(result as FleetStatus, now);
      return args.jail === undefined ? renderStatus(result as StatusResult) : renderJail(result as JailStatus, now);
    case 'ban': {
      const r = result as { banned: string[]; already: string[]; invalid: string[]; ignored?: string[] };
      return lines([
        r.banned.length ? `banned: ${r.banned.join(' ')}` : '',
        r.already.length ? `already banned: ${r.already.join(' ')}` : '',
        r.ignored?.length ? `not banned (in ignoreip, or this machine): ${r.ignored.join(' ')}` : '',
        r.invalid.length ? `invalid addresses: ${r.invalid.join(' ')}` : '',
      ]);
    }
    case 'unban': {
      const r = result as { unbanned: { jail: string; ip: string }[]; notBanned: string[] };
      return lines([r.unbanned.length ? `unbanned: ${r.unbanned.map((u) => `${u.ip} (${u.jail})`).join(' ')}` : 'nothing unbanned', r.notBanned.length ? `not banned: ${r.notBanned.join(' ')}` : '']);
    }
    case 'banned':
      return banTable(['JAIL', 'ADDRESS', 'SINCE', 'REMAINING', 'BANS', 'FAILURES'], result as BanInfo[], (b) => banRow(b, now)) || 'no bans';
    case 'reload':
      return `reloaded; jails: ${(result as { jails: string[] }).jails.join(', ') || '(none)'}`;
    case 'stop':
      return 'stopping';
    case 'get':
    case 'set':
    case 'jail':
    case 'flushlogs':
      return renderRuntimeControl(cmd, result);
  }
}

function renderStatus(r: StatusResult): string {
  const rows = r.jails.map((j) => [j.name, j.filter, String(j.currentlyFailed), String(j.totalFailed), String(j.currentlyBanned), String(j.totalBanned), j.sources.join(' ')]);
  const t = r.totals;
  rows.push(['TOTAL', '', String(t.currentlyFailed), String(t.totalFailed), String(t.currentlyBanned), String(t.totalBanned), '']);
  const warnings = r.jails.flatMap((j) => actionWarnings(j));
  return `portcullis ${r.version}, ${r.jails.length} jail(s)\n${table(['JAIL', 'FILTER', 'FAILING', 'FAILURES', 'BANNED', 'BANS', 'SOURCES'], rows)}${warnings.length ? `\n\n${warnings.join('\n')}` : ''}`;
}

/** Lines for a jail whose bans are not all enforced: the failing actions with their errors. */
function actionWarnings(j: Omit<JailStatus, 'banned'>): string[] {
  const failing = (j.actions ?? []).filter((a) => a.state !== 'ok');
  if (!failing.length && !j.notApplied) return [];
  const head = `jail ${j.name}: ${j.notApplied ?? 0} ban(s) recorded but not applied by every action`;
  return [head, ...failing.map((a) => `  ${actionLine(a)}`)];
}

/** `nftables  failing (ban, 3 attempts since …): value too large`, or `dry-run  ok`. */
function actionLine(a: ActionStatus): string {
  if (!a.error) return `${a.id}: ${a.state}${a.backlog ? `, ${a.backlog} waiting` : ''}`;
  const since = new Date(a.error.since).toISOString().replace(/\.\d+Z$/, 'Z');
  return `${a.id}: ${a.state} (${a.error.operation}, ${a.error.attempts} attempt(s) since ${since}, ${a.backlog} waiting): ${firstLine(a.error.message)}`;
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

function renderFleet(f: FleetStatus, now: number): string {
  const head = [
    `fleet ${f.name} (${f.backend}), this node ${f.node}: ${f.connected ? 'connected' : 'NOT connected (working alone)'}`,
    `  shares:     ${f.share.join(', ')}`,
    `  fleet bans: ${f.bans ?? 'unknown'}`,
    ...(f.refused ? [`  refused:    ${f.refused} value(s) from the store`] : []),
  ];
  const nodes = table(
    ['NODE', 'LAST HEARTBEAT', 'BANS APPLIED', 'CONNECTED'],
    f.nodes.map((n) => [n.name, `${formatDuration(Math.max(0, now - n.lastHeartbeat))} ago`, String(n.bansApplied), n.connected ? 'yes' : 'no']),
  );
  return `${head.join('\n')}${nodes ? `\n\n${nodes}` : ''}`;
}

function renderJail(j: JailStatus, now: number): string {
  const head = [
    `jail ${j.name} (filter ${j.filter})`,
    `  sources:           ${j.sources.join(', ') || '(none)'}`,
    `  currently failing: ${j.currentlyFailed}`,
    `  total failures:    ${j.totalFailed}`,
    `  currently banned:  ${j.currentlyBanned}`,
    `  total bans:        ${j.totalBanned}`,
    ...(j.actions ? [`  not applied:       ${j.notApplied}`, '  actions:', ...j.actions.map((a) => `    ${actionLine(a)}`)] : []),
  ];
  const campaigns = table(
    ['CAMPAIGN AGAINST', 'FAILURES', 'SOURCES', 'SINCE', 'REMAINING'],
    (j.campaigns ?? []).map((c) => [c.target, String(c.failures), String(c.sources), new Date(c.time).toISOString().replace(/\.\d+Z$/, 'Z'), formatDuration(Math.max(0, c.until - now))]),
  );
  const bans = banTable(['ADDRESS', 'SINCE', 'REMAINING', 'BANS', 'FAILURES'], j.banned, (b) => banRow(b, now).slice(1));
  return `${head.join('\n')}${campaigns ? `\n\n${campaigns}` : ''}${bans ? `\n\n${bans}` : ''}`;
}

function banRow(b: BanInfo, now: number): string[] {
  // Permanent bans have expires null (JSON has no Infinity) or a negative bantime.
  const permanent = b.expires === null || !Number.isFinite(b.expires) || b.bantime < 0;
  const remaining = permanent ? 'permanent' : formatDuration(Math.max(0, b.expires - now));
  return [b.jail, b.ip, new Date(b.time).toISOString().replace(/\.\d+Z$/, 'Z'), remaining, String(b.banCount), String(b.failures)];
}

/** The bans as a table, with a NOT APPLIED BY column when some action has not applied one of them. */
function banTable(head: string[], bans: readonly BanInfo[], row: (b: BanInfo) => string[]): string {
  if (!bans.some((b) => b.notApplied?.length)) return table(head, bans.map(row));
  const by = (b: BanInfo) => (b.notApplied ?? []).map((n) => `${n.action}${n.error === undefined ? ' (queued)' : ' (failing)'}`).join(', ');
  return table([...head, 'NOT APPLIED BY'], bans.map((b) => [...row(b), by(b)]));
}

/** Columns padded to their widest cell, two spaces apart; '' when there are no rows. */
export function table(head: readonly string[], rows: readonly string[][]): string {
  if (!rows.length) return '';
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

function lines(parts: string[]): string {
  return parts.filter(Boolean).join('\n');
}
