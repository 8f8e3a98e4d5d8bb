import { appendFileSync, chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { waitFor } from './daemon-process.js';
import { freeLocalPort, jailFolder, useBuiltDaemons } from './jail-daemon.js';

/**
 * Status tells the truth: a ban the store recorded but an action failed to apply is shown as not applied,
 * with the action's error, by `status`, `status <jail>`, `banned` and the metrics — and as applied once the
 * action's retry succeeds. Driven through a real daemon whose command action runs a program that exits 1.
 */

interface ActionStatus { id: string; state: string; backlog: number; error?: { operation: string; message: string; attempts: number } }
interface BanInfo { ip: string; notApplied?: { action: string; error?: string }[] }
interface JailStatus { currentlyBanned: number; notApplied: number; actions: ActionStatus[]; banned: BanInfo[] }

async function metrics(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

describe('a ban an action fails to apply', () => {
  useBuiltDaemons(['plugins/filter-sshd', 'plugins/action-command']);

  it('is shown as not applied, with the error, until the retry succeeds', async () => {
    const folder = jailFolder('failing-action');
    const flag = folder.path('refuse');
    const applied = folder.path('applied.txt');
    const script = folder.path('block.sh');
    writeFileSync(script, `#!/bin/sh\nif [ -e "$REFUSE" ]; then echo "firewall says no" >&2; exit 1; fi\necho "$1" >> "$APPLIED"\n`);
    chmodSync(script, 0o755);
    writeFileSync(flag, '');
    const log = folder.emptyFile('auth.log');
    const port = await freeLocalPort();
    const { daemon: d } = await folder.start({
      plugins: ['@portcullis/filter-sshd', '@portcullis/action-command'],
      defaults: { maxretry: 2, findtime: '10m', bantime: '1h', ignoreip: [] },
      jails: {
        sshd: {
          filter: 'sshd',
          logpath: log,
          actions: [{ id: 'command', options: { ban: [script, '{ip}'], unban: ['/bin/true'], env: { REFUSE: flag, APPLIED: applied } } }, folder.dryRun()],
        },
      },
      extra: { metrics: { listen: `127.0.0.1:${port}` } },
    });
    const failed = `${new Date().toISOString()} host sshd[7]: Failed password for root from 203.0.113.7 port 4242 ssh2\n`;
    appendFileSync(log, failed + failed);

    let status: JailStatus | undefined;
    await waitFor(async () => {
      status = await d.json<JailStatus>(['status', 'sshd']);
      return status.actions.some((a) => a.state === 'failing');
    }, 30_000, () => `the command action to fail\n${d.output}`);
    // The ban is recorded (the store and dry-run hold it) but the failing action has not applied it.
    expect(status!.currentlyBanned).toBe(1);
    expect(status!.notApplied).toBe(1);
    const command = status!.actions.find((a) => a.id === 'command')!;
    expect(command).toMatchObject({ state: 'failing', backlog: 1, error: { operation: 'ban', message: expect.stringContaining('exited with code 1: firewall says no') } });
    expect(status!.actions.find((a) => a.id === 'dry-run')).toMatchObject({ state: 'ok', backlog: 0 });
    expect(status!.banned).toEqual([expect.objectContaining({ ip: '203.0.113.7', notApplied: [{ action: 'command', error: expect.stringContaining('firewall says no') }] })]);
    const banned = await d.json<BanInfo[]>(['banned']);
    expect(banned).toEqual([expect.objectContaining({ ip: '203.0.113.7', notApplied: [expect.objectContaining({ action: 'command' })] })]);

    const summary = await d.client(['status']);
    expect(summary.stdout).toContain('jail sshd: 1 ban(s) recorded but not applied by every action');
    expect(summary.stdout).toMatch(/command: failing \(ban, \d+ attempt\(s\) since [^)]*\): .*exited with code 1: firewall says no/);
    const one = await d.client(['status', 'sshd']);
    expect(one.stdout).toMatch(/not applied:\s+1/);
    expect(one.stdout).toMatch(/NOT APPLIED BY\n203\.0\.113\.7 .* command \(failing\)/);
    const text = await metrics(port);
    expect(text).toMatch(/^portcullis_bans_not_applied\{jail="sshd"\} 1$/m);
    expect(text).toMatch(/^portcullis_action_failing\{jail="sshd",action="command"\} 1$/m);
    expect(text).toMatch(/^portcullis_action_failing\{jail="sshd",action="dry-run"\} 0$/m);

    // The firewall accepts again: the retry applies the ban and status says so.
    rmSync(flag);
    await waitFor(async () => {
      status = await d.json<JailStatus>(['status', 'sshd']);
      return status.notApplied === 0;
    }, 60_000, () => `the retry to apply the ban\n${d.output}`);
    expect(status!.actions.map((a) => [a.id, a.state, a.backlog])).toEqual([['command', 'ok', 0], ['dry-run', 'ok', 0]]);
    expect(status!.banned[0]).not.toHaveProperty('notApplied');
    expect(existsSync(applied) && readFileSync(applied, 'utf8')).toBe('203.0.113.7\n');
    expect((await d.client(['status'])).stdout).not.toContain('not applied');
    expect(await metrics(port)).toMatch(/^portcullis_bans_not_applied\{jail="sshd"\} 0$/m);
  });
});
