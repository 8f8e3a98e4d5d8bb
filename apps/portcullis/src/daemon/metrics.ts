import { type Server, createServer } from 'node:http';
import { type Logger, PortcullisError } from '@portcullis/core';
import type { Runtime, RuntimeHooks } from '@portcullis/core/engine';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics fed by the runtime's hooks. */
export interface Metrics {
  readonly hooks: RuntimeHooks;
  readonly registry: Registry;
  /** Serve `/metrics` on `host:port`. */
  listen(address: string, runtime: () => Runtime | undefined, logger: Logger): Promise<Server>;
}

/** Create the registry and the hooks that count lines, failures, bans, action errors and ban latency. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'portcullis_' });
  const lines = new Counter({ name: 'portcullis_lines_total', help: 'Log lines read, per jail', labelNames: ['jail'], registers: [registry] });
  const failures = new Counter({ name: 'portcullis_failures_total', help: 'Failures counted, per jail', labelNames: ['jail'], registers: [registry] });
  const bans = new Counter({ name: 'portcullis_bans_total', help: 'Bans, per jail', labelNames: ['jail'], registers: [registry] });
  const unbans = new Counter({ name: 'portcullis_unbans_total', help: 'Unbans, per jail', labelNames: ['jail'], registers: [registry] });
  const truncated = new Counter({ name: 'portcullis_truncated_lines_total', help: 'Log lines longer than the limit, truncated before matching, per jail', labelNames: ['jail'], registers: [registry] });
  const errors = new Counter({ name: 'portcullis_action_errors_total', help: 'Failed action calls', labelNames: ['jail', 'action', 'operation'], registers: [registry] });
  const campaigns = new Counter({ name: 'portcullis_campaigns_total', help: 'Campaigns started (many sources against one target), per jail', labelNames: ['jail'], registers: [registry] });
  const fleetConnected = new Gauge({ name: 'portcullis_fleet_connected', help: 'Fleet mode: 1 while connected to the fleet store, 0 while working alone', registers: [registry] });
  const evictions = new Counter({ name: 'portcullis_tracking_evictions_total', help: 'Failure states evicted to stay under maxtracked', registers: [registry] });
  const latency = new Histogram({
    name: 'portcullis_ban_latency_seconds',
    help: 'From reading the line that triggered a ban to every action having applied it',
    labelNames: ['jail'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  let current: () => Runtime | undefined = () => undefined;
  /** A gauge per jail, read from the jail's summary when Prometheus scrapes. */
  const perJail = (name: string, help: string, value: (summary: ReturnType<Runtime['jailSummary']>) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['jail'],
      registers: [registry],
      collect() {
        const rt = current();
        if (!rt) return;
        this.reset();
        for (const jail of rt.jailNames) this.set({ jail }, value(rt.jailSummary(jail)));
      },
    });
  perJail('portcullis_banned', 'Addresses currently banned, per jail', (s) => s.currentlyBanned);
  perJail('portcullis_bans_not_applied', 'Current bans that some action has not applied (queued, or its action failing), per jail', (s) => s.notApplied);
  new Gauge({
    name: 'portcullis_action_failing',
    help: '1 while an action\'s last start, ban or unban failed (it is being retried), else 0',
    labelNames: ['jail', 'action'],
    registers: [registry],
    collect() {
      const rt = current();
      if (!rt) return;
      this.reset();
      for (const name of rt.jailNames) for (const a of rt.jailSummary(name).actions) this.set({ jail: name, action: a.id }, a.state === 'failing' ? 1 : 0);
    },
  });
  return {
    registry,
    hooks: {
      onLines: (jail, n) => lines.inc({ jail }, n),
      onFailure: (jail) => failures.inc({ jail }),
      onBan: (t) => bans.inc({ jail: t.jail }),
      onUnban: (t) => unbans.inc({ jail: t.jail }),
      onActionError: (jail, action, operation) => errors.inc({ jail, action, operation }),
      onBanApplied: (jail, ms) => latency.observe({ jail }, ms / 1000),
      onTruncatedLine: (jail) => truncated.inc({ jail }),
      onCampaign: (e) => campaigns.inc({ jail: e.jail }),
      onEvicted: (n) => evictions.inc(n),
      onFleetConnection: (c) => fleetConnected.set(c ? 1 : 0),
    },
    async listen(address, runtime, logger) {
      current = runtime;
      const colon = address.lastIndexOf(':');
      const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
      const port = Number(address.slice(colon + 1));
      if (colon < 1 || !Number.isInteger(port) || port < 0 || port > 65535) {
        throw new PortcullisError('CONFIG_INVALID', `metrics.listen: "${address}" is not host:port (e.g. 127.0.0.1:9191 or [::1]:9191)`);
      }
      const server = createServer((req, res) => {
        if ((req.url ?? '').split('?')[0] !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
          res.writeHead(404).end('not found\n');
          return;
        }
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          (error: unknown) => res.writeHead(500).end(String(error)),
        );
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      logger.info({ address }, `metrics on http://${address}/metrics`);
      server.on('error', (error) => logger.error({ err: error }, 'metrics server error'));
      return server;
    },
  };
}
