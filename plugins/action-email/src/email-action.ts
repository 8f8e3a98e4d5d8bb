import {
  type ActionContext,
  type ActionInstance,
  type BanTicket,
  defineAction,
  parseNetwork,
} from '@portcullis/core';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { campaignMessage, isCampaignBan } from './campaign-notice.js';
import { createTransport } from 'nodemailer';
import { type Mail, type Notice, banMessage, digestMessage, lifecycleMessage } from './compose-message.js';
import { type EmailOptions, emailOptions } from './options.js';
import { RdapLookup } from './rdap-lookup.js';
import type { NetworkInfo } from './rdap-network.js';
import { reverseNames } from './reverse-dns.js';
import { SendBudget } from './send-budget.js';

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 300_000;
/** Tickets already mailed or queued, so that an engine retry of a half-sent batch sends no duplicates. */
const REMEMBERED = 10_000;

/** Build one jail's `email` action instance. */
export function createEmail(options: EmailOptions, ctx: ActionContext): ActionInstance {
  const jail = ctx.jail.name;
  const transport = createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure,
    requireTLS: options.requireTLS,
    ignoreTLS: !options.starttls && !options.requireTLS,
    auth: options.auth,
    connectionTimeout: options.timeout,
    greetingTimeout: options.timeout,
    socketTimeout: options.timeout,
    tls: { rejectUnauthorized: options.tlsRejectUnauthorized },
  });
  const rdap =
    options.whois === 'rdap'
      ? new RdapLookup({
          bootstrapUrl: options.rdapBootstrapUrl,
          baseUrl: options.rdapUrl,
          timeoutMs: options.rdapTimeout,
          ttlMs: options.rdapCacheTtl,
          ca: options.rdapCa ? readFileSync(resolve(ctx.configDir, options.rdapCa), 'utf8') : undefined,
        })
      : undefined;
  const budget = new SendBudget(options.maxMessagesPerMinute);
  const pending: Notice[] = [];
  const accepted = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let retryMs = FIRST_RETRY_MS;
  let flushing: Promise<void> | undefined;
  let running = true;

  const key = (n: Notice) => `${n.kind}|${n.ticket.ip}|${n.ticket.time}`;
  const accept = (notices: readonly Notice[]) => {
    for (const n of notices) accepted.add(key(n));
    for (const old of accepted) {
      if (accepted.size <= REMEMBERED) break;
      accepted.delete(old);
    }
  };

  const send = async (mail: Mail) => {
    try {
      await transport.sendMail({
        from: options.from,
        to: options.to,
        subject: mail.subject,
        text: mail.text,
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Portcullis-Jail': jail },
      });
    } catch (error) {
      throw new Error(
        `email: cannot send "${mail.subject}" via ${options.host}:${options.port}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    budget.record();
  };

  const names = (tickets: readonly BanTicket[]) =>
    options.reverseDns
      ? reverseNames(
          tickets.map((t) => t.ip),
          options.reverseDnsTimeout,
        )
      : Promise.resolve(new Map<string, string>());

  /** RDAP facts per address; runs beside the PTR lookups and never waits longer than `rdapTimeout`. */
  const networks = (tickets: readonly BanTicket[]) =>
    rdap ? rdap.lookup(tickets.map((t) => t.ip)) : Promise.resolve(new Map<string, NetworkInfo>());
  const lookups = (tickets: readonly BanTicket[]) => Promise.all([names(tickets), networks(tickets)]);

  /** Send everything queued as one digest; on failure the queue is kept (oldest first) and the error thrown. */
  const sendPending = async (why: string) => {
    if (pending.length === 0) return;
    const notices = pending.splice(0);
    try {
      const bans = notices.filter((n) => n.kind === 'ban').map((n) => n.ticket);
      const [nameMap, whois] = await lookups(bans);
      await send(digestMessage(jail, notices, nameMap, options, why, whois));
      retryMs = FIRST_RETRY_MS;
    } catch (error) {
      pending.unshift(...notices);
      throw error;
    }
  };

  const schedule = (delayMs: number, why: string) => {
    if (timer || !running) return;
    timer = setTimeout(() => {
      timer = undefined;
      flushing = sendPending(why)
        .catch((error: Error) => {
          ctx.logger.error(
            { queued: pending.length, retryInMs: retryMs },
            `${error.message}; digest kept, will retry`,
          );
          const wait = retryMs;
          retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
          schedule(wait, why);
        })
        .finally(() => (flushing = undefined));
    }, delayMs);
  };

  const queue = (notices: readonly Notice[], delayMs: number, why: string) => {
    pending.push(...notices);
    accept(notices);
    schedule(delayMs, why);
  };

  /** Without digest: single messages while the per-minute budget lasts, the excess folded into one summary. */
  const sendNow = async (notices: Notice[]) => {
    const room = budget.available();
    if (room === 0)
      return queue(notices, budget.waitMs(), `over ${options.maxMessagesPerMinute} messages per minute`);
    const bans = notices.filter((n) => n.kind === 'ban');
    const unbans = notices.filter((n) => n.kind === 'unban');
    const singles = unbans.length === 0 && bans.length <= room ? bans : bans.slice(0, room - 1);
    const [nameMap, whois] = await lookups(bans.map((n) => n.ticket));
    for (const n of singles) {
      await send(banMessage(n.ticket, nameMap, options, whois));
      accept([n]);
    }
    const rest = [...bans.slice(singles.length), ...unbans];
    if (rest.length === 0) return;
    const why =
      unbans.length && rest.length === unbans.length
        ? 'unban notices'
        : `summary: over ${options.maxMessagesPerMinute} messages per minute`;
    await send(digestMessage(jail, rest, nameMap, options, why, whois));
    accept(rest);
  };

  const notify = async (kind: Notice['kind'], tickets: readonly BanTicket[]) => {
    const notices = tickets
      .filter((t) => {
        const ok = parseNetwork(t.ip) !== undefined;
        if (!ok) ctx.logger.warn({ ip: t.ip }, 'email: skipping a ticket whose address is not valid');
        return ok;
      })
      .map((ticket) => ({ kind, ticket }))
      .filter((n) => !accepted.has(key(n)));
    if (notices.length === 0) return;
    if (options.digest !== false) queue(notices, options.digest, `digest of ${options.digest / 1000} s`);
    else await sendNow(notices);
  };

  return {
    async start() {
      running = true;
      if (options.notifyStart) await send(lifecycleMessage(jail, 'started'));
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      timer = undefined;
      await flushing;
      await sendPending('jail stopping');
      if (options.notifyStop) await send(lifecycleMessage(jail, 'stopped'));
      transport.close();
    },
    ban: (tickets) => notify('ban', tickets.filter((t) => !isCampaignBan(t))),
    campaign: (event) => send(campaignMessage(event, options.campaignSubject)),
    unban: async (tickets) => {
      if (options.unbanNotices) await notify('unban', tickets);
    },
  };
}

/** The `email` action definition. */
export const emailAction = defineAction({
  id: 'email',
  description: 'Mail a plain-text report of each ban (or a digest per time window) over SMTP.',
  options: emailOptions,
  create: createEmail,
});
