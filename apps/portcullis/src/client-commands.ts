import { formatDuration } from '@portcullis/core';
import { readConfigFile, statePaths } from '@portcullis/core/engine';
import type { BanInfo, JailStatus } from '@portcullis/core/engine';
import { NoDaemonError, request } from './control-client.js';
import type { ControlCommand } from './control-protocol.js';

/** Options every client command takes. */
export interface ClientOptions {
  readonly socket?: string | undefined;
  readonly config?: string | undefined;
  readonly json?: boolean | undefined;
}

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, noDaemon: 3 } as const;

/** The socket path: `--socket`, else the `socket` key of `--config` (or the config found here), else the default. */
export async function socketPath(options: ClientOptions): Promise<string> {
  if (options.socket) return options.socket;
  const { raw, dir } = await readConfigFile({ configPath: options.config });
  return statePaths((raw ?? {}) as { socket?: unknown }, dir).socket;
}

/** Run one control command and print its result; returns the exit code. */
export async function runClientCommand(cmd: ControlCommand, args: Record<string, unknown>, options: ClientOptions): Promise<number> {
  const path = await socketPath(options);
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(path, cmd, args, cmd === 'reload' ? 120_000 : 30_000);
  } catch (error) {
    if (error instanceof NoDaemonError) {
      if (options.json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code: 'NO_DAEMON', message: error.message } })}\n`);
      else process.stderr.write(`portcullis: ${error.message}\n`);
      return EXIT.noDaemon;
    }
    throw error;
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(response.ok ? response.result : { ok: false, error: response.error }, null, 2)}\n`);
    return response.ok ? EXIT.ok : EXIT.failed;
  }
  if (!response.ok) {
    process.stderr.write(`portcullis: ${response.error.message}\n`);
    for (const p of response.error.problems ?? []) process.stderr.write(`  ${p}\n`);
    return EXIT.failed;
  }
  process.stdout.write(`${render(cmd, args, response.result)}\n`);
  return cmd === 'ban' && ((response.result as { invalid: string[] }).invalid.length > 0) ? EXIT.failed : EXIT.ok;
}

function render(cmd: ControlCommand, args: Record<string, unknown>, result: unknown): string {
  switch (cmd) {
    case 'ping': {
      const r = result as { version: string; pid: number };
      return `pong (portcullis ${r.version}, pid ${r.pid})`;
    }
    case 'status':
      return args.jail === undefined ? renderStatus(result as { jails: Omit<JailStatus, 'banned'>[]; totals: Record<string, number> }) : renderJail(result as JailStatus);
    case 'ban': {
      const r = result as { banned: string[]; already: string[]; invalid: string[]; ignored: string[] };
      return [
        r.banned.length ? `banned: ${r.banned.join(' ')}` : '',
        r.already.length ? `already banned: ${r.already.join(' ')}` : '',
        r.ignored.length ? `not banned (in ignoreip or this machine): ${r.ignored.join(' ')}` : '',
        r.invalid.length ? `invalid addresses: ${r.invalid.join(' ')}` : '',
      ].filter(Boolean).join('\n');
    }
    case 'unban': {
      const r = result as { unbanned: { jail: string; ip: string }[]; notBanned: string[] };
      return [
        r.unbanned.length ? `unbanned: ${r.unbanned.map((u) => `${u.ip} (${u.jail})`).join(' ')}` : 'nothing unbanned',
        r.notBanned.length ? `not banned: ${r.notBanned.join(' ')}` : '',
      ].filter(Boolean).join('\n');
    }
    case 'banned':
      return table(['JAIL', 'ADDRESS', 'SINCE', 'REMAINING', 'BANS', 'FAILURES'], (result as BanInfo[]).map(banRow)) || 'no bans';
    case 'reload':
      return `reloaded: ${(result as { jails: string[] }).jails.join(', ')}`;
    case 'stop':
      return 'stopping';
  }
}

function renderStatus(r: { jails: Omit<JailStatus, 'banned'>[]; totals: Record<string, number> }): string {
  const rows = r.jails.map((j) => [j.name, j.filter, String(j.currentlyFailed), String(j.totalFailed), String(j.currentlyBanned), String(j.totalBanned), j.sources.join(' ')]);
  const t = r.totals;
  rows.push(['TOTAL', '', String(t.currentlyFailed), String(t.totalFailed), String(t.currentlyBanned), String(t.totalBanned), '']);
  return table(['JAIL', 'FILTER', 'FAILING', 'FAILURES', 'BANNED', 'BANS', 'SOURCES'], rows);
}

function renderJail(j: JailStatus): string {
  const head = [
    `jail ${j.name} (filter ${j.filter})`,
    `  sources:            ${j.sources.join(', ') || '(none)'}`,
    `  currently failing:  ${j.currentlyFailed}`,
    `  total failures:     ${j.totalFailed}`,
    `  currently banned:   ${j.currentlyBanned}`,
    `  total bans:         ${j.totalBanned}`,
  ];
  const bans = table(['ADDRESS', 'SINCE', 'REMAINING', 'BANS', 'FAILURES'], j.banned.map((b) => banRow(b).slice(1)));
  return `${head.join('\n')}${bans ? `\n\n${bans}` : ''}`;
}

function banRow(b: BanInfo): string[] {
  const remaining = Number.isFinite(b.expires) && b.expires !== null ? formatDuration(Math.max(0, b.expires - Date.now())) : 'forever';
  return [b.jail, b.ip, new Date(b.time).toISOString(), remaining, String(b.banCount), String(b.failures)];
}

function table(head: string[], rows: string[][]): string {
  if (!rows.length) return '';
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
