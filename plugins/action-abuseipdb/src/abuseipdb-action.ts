import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type BanTicket, defineAction } from '@portcullis/core';
import { type AbuseipdbOptions, abuseipdbOptions } from './options.js';
import { ReportBudget, reportComment, unreportable } from './report-policy.js';

/** Requests in flight at once for one batch. */
const CONCURRENCY = 4;

/**
 * The AbuseIPDB action: reports each new ban to AbuseIPDB's v2 `report` endpoint with the configured
 * categories. It reports bans from failures (and, if asked, manual bans) once: never a ban restored after a
 * restart, never the same address twice inside `reportInterval`, never more than `dailyLimit` a day, never a
 * private or local address, never a network (AbuseIPDB takes single addresses). By default the comment carries no
 * log text. Unbans do nothing: a report cannot be taken back.
 */
export const abuseipdbAction = defineAction<AbuseipdbOptions>({
  id: 'abuseipdb',
  description: 'Report banned addresses to AbuseIPDB (rate-limited; no log text unless asked)',
  options: abuseipdbOptions,
  create(options, ctx) {
    const budget = new ReportBudget(options.reportInterval * 1000, options.dailyLimit);
    let key: string | undefined = options.key;
    /** While the server asked us to wait (429 with Retry-After), reports are skipped, not queued. */
    let pausedUntil = 0;
    let warnedLimit = '';

    const apiKey = (): string => {
      if (key !== undefined) return key;
      const file = resolve(ctx.configDir, options.keyFile!);
      const text = readFileSync(file, 'utf8').split('\n')[0]?.trim() ?? '';
      if (!text) throw new Error(`${file}: no API key on its first line`);
      key = text;
      return key;
    };

    const report = async (ticket: BanTicket, now: number): Promise<void> => {
      const body = new URLSearchParams({ ip: ticket.ip, categories: options.categories.join(',') });
      const comment = reportComment(ticket, options.comment);
      if (comment) body.set('comment', comment);
      body.set('timestamp', new Date(ticket.time).toISOString());
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { Key: apiKey(), Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(options.timeout * 1000),
      });
      const text = await response.text().catch(() => '');
      if (response.ok) return;
      if (response.status === 429) {
        // Either this address was reported recently (by us, elsewhere) or the day's quota is gone.
        const retry = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retry) && retry > 0) pausedUntil = now + retry * 1000;
        ctx.logger.warn({ ip: ticket.ip, status: 429 }, `AbuseIPDB refused the report (rate limit): ${text.slice(0, 200)}`);
        return;
      }
      if (response.status === 422) {
        ctx.logger.warn({ ip: ticket.ip, status: 422 }, `AbuseIPDB refused the report: ${text.slice(0, 200)}`);
        return;
      }
      // 401/403 (bad key), 5xx: an error the engine reports in status and retries with backoff; the budget
      // is refunded by the caller, so the retry sends this report again.
      throw new Error(`AbuseIPDB answered ${response.status} ${response.statusText}: ${text.slice(0, 200)}`);
    };

    return {
      async start() {
        apiKey();
      },

      async ban(tickets) {
        const now = Date.now();
        if (now < pausedUntil) {
          ctx.logger.debug({ count: tickets.length }, 'AbuseIPDB asked us to wait: reports skipped');
          return;
        }
        const due: BanTicket[] = [];
        for (const t of tickets) {
          const reason = t.reason ?? 'failures';
          if (reason === 'restore' || (reason === 'manual' && !options.reportManual)) continue;
          if (t.ip.includes('/') || unreportable(t.ip)) continue;
          if (!budget.allows(t.ip, now)) {
            const day = new Date(now).toISOString().slice(0, 10);
            if (budget.remaining(now) === 0 && warnedLimit !== day) {
              warnedLimit = day;
              ctx.logger.warn({ dailyLimit: options.dailyLimit }, 'AbuseIPDB daily report limit reached: no more reports until midnight UTC');
            }
            continue;
          }
          budget.spend(t.ip, now);
          due.push(t);
        }
        let failure: unknown;
        for (let i = 0; i < due.length; i += CONCURRENCY) {
          const results = await Promise.allSettled(
            due.slice(i, i + CONCURRENCY).map((t) =>
              report(t, now).catch((error: unknown) => {
                budget.refund(t.ip);
                throw error;
              }),
            ),
          );
          for (const r of results) if (r.status === 'rejected') failure ??= r.reason;
        }
        // Reports that went through are remembered by the budget, so a retry of this batch sends only the rest.
        if (failure) throw failure;
      },

      async unban() {},
    };
  },
});
