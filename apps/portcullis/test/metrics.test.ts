import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@portcullis/core';
import { MemoryBanStore, Runtime, parseConfig } from '@portcullis/core/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../src/daemon/metrics.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// A plugin as a user could keep next to the config: a filter, and an action whose ban fails the first
// time (so the runner retries it) and records what it applied.
const PLUGIN = `
export const applied = [];
let failedOnce = false;
export default {
  name: 'metrics-test-plugin',
  apiVersion: '1.0.0',
  // The demo log has no dates: its lines count at their arrival.
  filters: [{ id: 'demo', datepattern: '{NONE}', failregex: ['^auth failure from <HOST>$'] }],
  actions: [{
    id: 'flaky',
    create: () => ({
      async ban(tickets) {
        if (!failedOnce) { failedOnce = true; throw new Error('firewall busy'); }
        applied.push(...tickets.map((t) => t.ip));
      },
      async unban() {},
    }),
  }],
};
`;

async function scrape(server: Server, path = '/metrics'): Promise<{ status: number; text: string }> {
  const { port } = server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, text: await res.text() };
}

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Prometheus metrics fed by the runtime hooks', () => {
  it('counts lines, failures, bans, unbans, action errors; gauges current bans; times ban latency', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrics-'));
    writeFileSync(join(dir, 'plugin.mjs'), PLUGIN);
    writeFileSync(join(dir, 'demo.log'), '');
    const config = await parseConfig(
      { plugins: ['./plugin.mjs'], jails: { demo: { filter: 'demo', logpath: join(dir, 'demo.log'), maxretry: 2, bantime: '1h', ignoreip: [], actions: ['flaky'] } } },
      { dir, file: join(dir, 'portcullis.config.json') },
    );
    const metrics = createMetrics();
    const runtime = new Runtime({ config, store: new MemoryBanStore(), logger: silentLogger, hooks: metrics.hooks });
    await runtime.start();
    cleanups.push(() => runtime.stop());
    const server = await metrics.listen('127.0.0.1:0', () => runtime, silentLogger);
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));

    appendFileSync(join(dir, 'demo.log'), 'auth failure from 192.0.2.9\nsomething else\nauth failure from 192.0.2.9\n');
    // The first ban call fails; the runner retries after ~1 s and then the ban is applied.
    await waitFor(async () => value((await scrape(server)).text, 'portcullis_ban_latency_seconds_count{jail="demo"}') === 1);
    const { status, text } = await scrape(server);
    expect(status).toBe(200);
    expect(value(text, 'portcullis_lines_total{jail="demo"}')).toBe(3);
    expect(value(text, 'portcullis_failures_total{jail="demo"}')).toBe(2);
    expect(value(text, 'portcullis_bans_total{jail="demo"}')).toBe(1);
    expect(value(text, 'portcullis_banned{jail="demo"}')).toBe(1);
    expect(value(text, 'portcullis_action_errors_total{jail="demo",action="flaky",operation="ban"}')).toBe(1);
    // Latency includes the retry: over a second, so it lands above the 1 s bucket boundary.
    expect(value(text, 'portcullis_ban_latency_seconds_bucket{le="0.5",jail="demo"}')).toBe(0);
    expect(value(text, 'portcullis_ban_latency_seconds_bucket{le="+Inf",jail="demo"}')).toBe(1);
    expect(text).toContain('portcullis_process_resident_memory_bytes');

    await runtime.unban(['192.0.2.9']);
    await waitFor(async () => value((await scrape(server)).text, 'portcullis_unbans_total{jail="demo"}') === 1);
    expect(value((await scrape(server)).text, 'portcullis_banned{jail="demo"}')).toBe(0);
    expect((await scrape(server, '/')).status).toBe(404);
    expect((await scrape(server, '/metrics?x=1')).status).toBe(200);
  });

  it('refuses an address that is not host:port', async () => {
    await expect(createMetrics().listen('9191', () => undefined, silentLogger)).rejects.toThrow(/host:port/);
  });
});
