import { formatDuration } from '@portcullis/core';
import type { BanInfo, JailStatus } from '@portcullis/core/engine';
import { escapeControls } from '../output/escape-controls.js';
import type { ControlCommand } from './control-protocol.js';

/** `status` without a jail: one summary per jail and the totals. */
export interface StatusResult {
  readonly version: string;
  readonly jails: Omit<JailStatus, 'banned'>[];
  readonly totals: { currentlyFailed: number; totalFailed: number; currentlyBanned: number; totalBanned: number };
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
      const t = new StreamTable(['JAIL', 'ADDRESS', 'SINCE', 'REMAINING', 'BANS', 'FAILURES']);
      const none = typeof args.ip === 'string' ? `not banned: ${escapeControls(args.ip)}\n` : 'no bans\n';
      return { head: () => '', part: (items) => t.rows((items as BanInfo[]).map((b) => banRow(b, now))), end: (n) => (n === 0 ? none : '') };
    }
    case 'banned': {
      const t = new StreamTable(['ADDRESS', 'SINCE', 'REMAINING', 'BANS', 'FAILURES']);
      return {
        head: (j) => `${jailHead(j as Omit<JailStatus, 'banned'>)}\n`,
        part: (items) => `${t.started ? '' : '\n'}${t.rows((items as BanInfo[]).map((b) => banRow(b, now).slice(1)))}`,
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
  return `portcullis ${escapeControls(r.version)}, ${r.jails.length} jail(s)\n${table(['JAIL', 'FILTER', 'FAILING', 'FAILURES', 'BANNED', 'BANS', 'SOURCES'], rows)}`;
}

function jailHead(j: Omit<JailStatus, 'banned'>): string {
  return [
    `jail ${escapeControls(j.name)} (filter ${escapeControls(j.filter)})`,
    `  sources:           ${words(j.sources, ', ') || '(none)'}`,
    `  currently failing: ${j.currentlyFailed}`,
    `  total failures:    ${j.totalFailed}`,
    `  currently banned:  ${j.currentlyBanned}`,
    `  total bans:        ${j.totalBanned}`,
  ].join('\n');
}

function banRow(b: BanInfo, now: number): string[] {
  // Permanent bans have expires null (JSON has no Infinity) or a negative bantime.
  const permanent = b.expires === null || !Number.isFinite(b.expires) || b.bantime < 0;
  const remaining = permanent ? 'permanent' : formatDuration(Math.max(0, b.expires - now));
  return [b.jail, b.ip, new Date(b.time).toISOString().replace(/\.\d+Z$/, 'Z'), remaining, String(b.banCount), String(b.failures)];
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
