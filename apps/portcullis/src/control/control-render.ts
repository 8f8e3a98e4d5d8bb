import { type FleetStatus, formatDuration } from '@portcullis/core';
import type { ActionStatus, BanInfo, JailStatus } from '@portcullis/core/engine';
import { escapeControls } from '../output/escape-controls.js';
import type { ControlCommand } from './control-protocol.js';
import { renderRuntimeControl } from './runtime-control-render.js';

/** `status` without a jail: one summary per jail and the totals. */
export interface StatusResult {
  readonly version: string;
  readonly jails: Omit<JailStatus, 'banned'>[];
  readonly totals: { currentlyFailed: number; totalFailed: number; currentlyBanned: number; totalBanned: number; notApplied?: number };
}

/**
 * Text for people of a list answer, produced as it arrives (a million bans are printed a part at a time):
 * each method returns whole lines, `\n` included. Everything the daemon sent is escaped (see escapeControls).
 */
export interface ListRenderer {
  head(result: unknown): string;
  part(items: readonly unknown[]): string;
  end(items: number): string;
}

/** Whether a command's answer is a list the daemon can send in parts; the key of the list in the result. */
export function listField(cmd: ControlCommand, args: Record<string, unknown>): string | undefined {
  if (cmd === 'banned') return '';
  if (cmd === 'status' && args.jail !== undefined) return 'banned';
  if (cmd === 'unban' && args.all === true) return 'unbanned';
  return undefined;
}

/** The renderer of a list answer (see {@link listField}), or undefined for other commands. */
export function listRenderer(cmd: ControlCommand, args: Record<string, unknown>, now = Date.now()): ListRenderer | undefined {
  switch (listField(cmd, args)) {
    case '': {
      const t = new BanTable(['JAIL', 'ADDRESS', 'SINCE', 'REMAINING', 'BANS', 'FAILURES'], (b) => banRow(b, now));
      const none = typeof args.ip === 'string' ? `not banned: ${escapeControls(args.ip)}\n` : 'no bans\n';
      return { head: () => '', part: (items) => t.rows(items as BanInfo[]), end: (n) => (n === 0 ? none : '') };
    }
    case 'banned': {
      const t = new BanTable(['ADDRESS', 'SINCE', 'REMAINING', 'BANS', 'FAILURES'], (b) => banRow(b, now).slice(1));
      return {
        head: (j) => `${jailHead(j as Omit<JailStatus, 'banned'>, now)}\n`,
        part: (items) => `${t.started ? '' : '\n'}${t.rows(items as BanInfo[])}`,
        end: () => '',
      };
    }
    case 'unbanned': {
      let rest = '';
      let first = true;
      return {
        head: (r) => {
          rest = unbanRest(r as { notBanned?: string[]; invalid?: string[] });
          return '';
        },
        part: (items) => {
          const text = `${first ? 'unbanned:' : ''} ${(items as { jail: string; ip: string }[]).map((u) => escapeControls(`${u.ip} (${u.jail})`)).join(' ')}`;
          first = false;
          return text;
        },
        end: (n) => `${n === 0 ? 'nothing unbanned' : ''}\n${rest}`,
      };
    }
    default:
      return undefined;
  }
}

/** A command's result as text for people: tables and short sentences (no trailing newline). */
export function renderResult(cmd: ControlCommand, args: Record<string, unknown>, result: unknown, now = Date.now()): string {
  const field = listField(cmd, args);
  const list = listRenderer(cmd, args, now);
  if (field !== undefined && list !== undefined) {
    const items = (field === '' ? result : (result as Record<string, unknown>)[field]) as unknown[];
    return `${list.head(result)}${items.length ? list.part(items) : ''}${list.end(items.length)}`.replace(/\n$/, '');
  }
  switch (cmd) {
    case 'ping': {
      const r = result as { version: string; pid: number };
      return `pong (portcullis ${escapeControls(r.version)}, pid ${r.pid})`;
    }
    case 'status':
      if (args.fleet === true) return renderFleet(result as FleetStatus, now);
      return renderStatus(result as StatusResult);
    case 'ban': {
      const r = result as { banned: string[]; already: string[]; invalid: string[]; ignored?: string[] };
      return lines([
        r.banned.length ? `banned: ${words(r.banned)}` : '',
        r.already.length ? `already banned: ${words(r.already)}` : '',
        r.ignored?.length ? `not banned (in ignoreip, or this machine): ${words(r.ignored)}` : '',
        r.invalid.length ? `invalid addresses: ${words(r.invalid)}` : '',
      ]);
    }
    case 'unban': {
      const r = result as { unbanned: { jail: string; ip: string }[]; notBanned: string[]; invalid?: string[] };
      const done = r.unbanned.length ? `unbanned: ${r.unbanned.map((u) => escapeControls(`${u.ip} (${u.jail})`)).join(' ')}` : 'nothing unbanned';
      return `${done}\n${unbanRest(r)}`.trimEnd();
    }
    case 'reload':
      return `reloaded; jails: ${words((result as { jails: string[] }).jails, ', ') || '(none)'}`;
    case 'get':
    case 'set':
    case 'jail':
    case 'flushlogs':
      return renderRuntimeControl(cmd, result);
    default:
      return cmd === 'stop' ? 'stopping' : escapeControls(JSON.stringify(result));
  }
}

function unbanRest(r: { notBanned?: string[]; invalid?: string[] }): string {
  return lines([r.notBanned?.length ? `not banned: ${words(r.notBanned)}\n` : '', r.invalid?.length ? `invalid addresses: ${words(r.invalid)}\n` : ''], '');
}

function renderStatus(r: StatusResult): string {
  const rows = r.jails.map((j) => [j.name, j.filter, String(j.currentlyFailed), String(j.totalFailed), String(j.currentlyBanned), String(j.totalBanned), j.sources.join(' ')]);
  const t = r.totals;
  rows.push(['TOTAL', '', String(t.currentlyFailed), String(t.totalFailed), String(t.currentlyBanned), String(t.totalBanned), '']);
  const warnings = r.jails.flatMap((j) => actionWarnings(j));
  return `portcullis ${escapeControls(r.version)}, ${r.jails.length} jail(s)\n${table(['JAIL', 'FILTER', 'FAILING', 'FAILURES', 'BANNED', 'BANS', 'SOURCES'], rows)}${warnings.length ? `\n\n${warnings.join('\n')}` : ''}`;
}

/** Lines for a jail whose bans are not all enforced: the failing actions with their errors. */
function actionWarnings(j: Omit<JailStatus, 'banned'>): string[] {
  const failing = (j.actions ?? []).filter((a) => a.state !== 'ok');
  if (!failing.length && !j.notApplied) return [];
  const head = `jail ${escapeControls(j.name)}: ${j.notApplied ?? 0} ban(s) recorded but not applied by every action`;
  return [head, ...failing.map((a) => `  ${actionLine(a)}`)];
}

/** `nftables: failing (ban, 3 attempt(s) since …, 2 waiting): value too large`, or `dry-run: ok`. */
function actionLine(a: ActionStatus): string {
  if (!a.error) return escapeControls(`${a.id}: ${a.state}${a.backlog ? `, ${a.backlog} waiting` : ''}`);
  const since = new Date(a.error.since).toISOString().replace(/\.\d+Z$/, 'Z');
  return escapeControls(`${a.id}: ${a.state} (${a.error.operation}, ${a.error.attempts} attempt(s) since ${since}, ${a.backlog} waiting): ${firstLine(a.error.message)}`);
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

function renderFleet(f: FleetStatus, now: number): string {
  const head = [
    `fleet ${escapeControls(f.name)} (${escapeControls(f.backend)}), this node ${escapeControls(f.node)}: ${f.connected ? 'connected' : 'NOT connected (working alone)'}`,
    `  shares:     ${words([...f.share], ', ')}`,
    `  fleet bans: ${f.bans ?? 'unknown'}`,
    ...(f.refused ? [`  refused:    ${f.refused} value(s) from the store`] : []),
  ];
  const nodes = table(
    ['NODE', 'LAST HEARTBEAT', 'BANS APPLIED', 'CONNECTED'],
    f.nodes.map((n) => [n.name, `${formatDuration(Math.max(0, now - n.lastHeartbeat))} ago`, String(n.bansApplied), n.connected ? 'yes' : 'no']),
  );
  return `${head.join('\n')}${nodes ? `\n\n${nodes}` : ''}`;
}

function jailHead(j: Omit<JailStatus, 'banned'>, now: number): string {
  const head = [
    `jail ${escapeControls(j.name)} (filter ${escapeControls(j.filter)})`,
    `  sources:           ${words(j.sources, ', ') || '(none)'}`,
    `  currently failing: ${j.currentlyFailed}`,
    `  total failures:    ${j.totalFailed}`,
    `  currently banned:  ${j.currentlyBanned}`,
    `  total bans:        ${j.totalBanned}`,
    ...(j.actions ? [`  not applied:       ${j.notApplied}`, '  actions:', ...j.actions.map((a) => `    ${actionLine(a)}`)] : []),
  ].join('\n');
  const campaigns = table(
    ['CAMPAIGN AGAINST', 'FAILURES', 'SOURCES', 'SINCE', 'REMAINING'],
    (j.campaigns ?? []).map((c) => [c.target, String(c.failures), String(c.sources), new Date(c.time).toISOString().replace(/\.\d+Z$/, 'Z'), formatDuration(Math.max(0, c.until - now))]),
  );
  return campaigns ? `${head}\n\n${campaigns}` : head;
}

function banRow(b: BanInfo, now: number): string[] {
  // Permanent bans have expires null (JSON has no Infinity) or a negative bantime.
  const permanent = b.expires === null || !Number.isFinite(b.expires) || b.bantime < 0;
  const remaining = permanent ? 'permanent' : formatDuration(Math.max(0, b.expires - now));
  return [b.jail, b.ip, new Date(b.time).toISOString().replace(/\.\d+Z$/, 'Z'), remaining, String(b.banCount), String(b.failures)];
}

/**
 * Bans as a streamed table. When some ban of the first part is not applied by every action, the table gets a
 * NOT APPLIED BY column (a ban recorded but not enforced must never read as enforced).
 */
class BanTable {
  private table: StreamTable | undefined;
  private flagged = false;

  constructor(
    private readonly head: string[],
    private readonly row: (b: BanInfo) => string[],
  ) {}

  get started(): boolean {
    return this.table?.started ?? false;
  }

  rows(bans: readonly BanInfo[]): string {
    if (!this.table) {
      this.flagged = bans.some((b) => b.notApplied?.length);
      this.table = new StreamTable(this.flagged ? [...this.head, 'NOT APPLIED BY'] : this.head);
    }
    const by = (b: BanInfo) => (b.notApplied ?? []).map((n) => `${n.action}${n.error === undefined ? ' (queued)' : ' (failing)'}`).join(', ');
    return this.table.rows(bans.map((b) => (this.flagged ? [...this.row(b), by(b)] : this.row(b))));
  }
}

/** Columns padded to their widest cell, two spaces apart; '' when there are no rows. Cells are escaped. */
export function table(head: readonly string[], rows: readonly string[][]): string {
  return new StreamTable(head).rows(rows).replace(/\n$/, '');
}

/**
 * A table printed a part at a time: the header and the column widths come with the first rows (the widest
 * cell of those; a later, wider cell pushes its line out rather than the table being held back).
 */
class StreamTable {
  private widths: number[] | undefined;

  constructor(private readonly head: readonly string[]) {}

  get started(): boolean {
    return this.widths !== undefined;
  }

  /** The lines of these rows (after the header, the first time), each ending in `\n`. */
  rows(rows: readonly string[][]): string {
    if (!rows.length) return '';
    const cells = rows.map((r) => r.map(escapeControls));
    let out = '';
    if (this.widths === undefined) {
      const widths = this.head.map((h, i) => cells.reduce((w, r) => Math.max(w, (r[i] ?? '').length), h.length));
      this.widths = widths;
      out = this.line(this.head);
    }
    for (const r of cells) out += this.line(r);
    return out;
  }

  private line(r: readonly string[]): string {
    return `${r.map((c, i) => c.padEnd(this.widths![i] ?? 0)).join('  ').trimEnd()}\n`;
  }
}

function words(list: readonly string[], sep = ' '): string {
  return list.map(escapeControls).join(sep);
}

function lines(parts: string[], sep = '\n'): string {
  return parts.filter(Boolean).join(sep);
}
