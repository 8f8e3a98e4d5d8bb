import type { ActionDefinition, ActionInstance, BanTicket, Logger } from '@portcullis/core';
import { defineAction, parseAddress } from '@portcullis/core';

/** How to run {@link checkActionContract}. */
export interface ActionContractOptions {
  /** Options as a user would write them in the config (validated through the action's schema). */
  readonly options?: unknown;
  /** Folder relative option paths resolve from (the config's folder in real use). */
  readonly configDir?: string | undefined;
  /** Ask the real system whether an address is currently blocked; makes the check observe effects. */
  readonly isBanned?: ((ip: string) => boolean | Promise<boolean>) | undefined;
  /** Jail the action serves (default `contract`, all ports, tcp). */
  readonly jail?: { name: string; ports?: string[]; protocol?: 'tcp' | 'udp' | 'all' } | undefined;
  /** Addresses to ban (default one IPv4 and one IPv6 documentation address). */
  readonly addresses?: readonly [string, string] | undefined;
}

/** Outcome: `errors` is empty when the action keeps the contract; `log` records what the action logged. */
export interface ActionContractResult {
  readonly errors: string[];
  readonly log: string[];
}

/** A ticket as the engine would build it. */
export function makeTicket(ip: string, jail = 'contract', overrides: Partial<BanTicket> = {}): BanTicket {
  const parsed = parseAddress(ip);
  if (!parsed) throw new Error(`makeTicket: ${ip} is not an address`);
  const now = Date.now();
  return {
    ip: parsed.canonical,
    family: parsed.family,
    jail,
    time: now,
    bantime: 600_000,
    expires: now + 600_000,
    failures: 5,
    banCount: 1,
    matches: [`sshd[1]: Failed password for root from ${parsed.canonical} port 22 ssh2`],
    users: ['root'],
    reason: 'failures',
    ...overrides,
  };
}

/**
 * Exercise an action the way the engine does: validate options, start twice (idempotent), ban a batch
 * of an IPv4 and an IPv6 address twice (one entry each), check, unban twice and unban an unknown
 * address (no error), stop. With `isBanned`, every step is verified against the real effect.
 */
// biome-ignore lint/suspicious/noExplicitAny: any action's options
export async function checkActionContract(definition: ActionDefinition<any>, run: ActionContractOptions = {}): Promise<ActionContractResult> {
  const errors: string[] = [];
  const log: string[] = [];
  let options: unknown = run.options ?? {};
  if (definition.options) {
    const result = await definition.options['~standard'].validate(options);
    if (result.issues) return { errors: result.issues.map((i) => `options: ${i.message}`), log };
    options = result.value;
  }
  const jail = { name: run.jail?.name ?? 'contract', ports: run.jail?.ports ?? [], protocol: run.jail?.protocol ?? 'tcp', bantime: 600_000 } as const;
  const instance = definition.create(options, { jail, logger: recordingLogger(log), configDir: run.configDir ?? process.cwd(), dryRun: false });
  const [a4, a6] = run.addresses ?? ['192.0.2.45', '2001:db8::45'];
  const t4 = makeTicket(a4, jail.name);
  const t6 = makeTicket(a6, jail.name);
  const step = async (name: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (error) {
      errors.push(`${name}: ${(error as Error).message}`);
    }
  };
  const expectBanned = async (when: string, ip: string, want: boolean) => {
    if (!run.isBanned) return;
    const got = await run.isBanned(ip);
    if (got !== want) errors.push(`${when}: ${ip} should ${want ? '' : 'not '}be banned`);
  };
  await step('start', async () => instance.start?.());
  await step('start again (must be idempotent)', async () => instance.start?.());
  await step('ban [v4, v6]', () => instance.ban([t4, t6]));
  await step('ban again (must be idempotent)', () => instance.ban([t4]));
  await expectBanned('after ban', t4.ip, true);
  await expectBanned('after ban', t6.ip, true);
  if (instance.check) await step('check', async () => ((await instance.check!()) ? undefined : Promise.reject(new Error('check() returned false right after start'))));
  await step('unban v4', () => instance.unban([t4]));
  await step('unban v4 again (must be idempotent)', () => instance.unban([t4]));
  await step('unban an unknown address', () => instance.unban([makeTicket('198.51.100.77', jail.name)]));
  await expectBanned('after unban', t4.ip, false);
  await expectBanned('after unban of the other address', t6.ip, true);
  await step('stop', async () => instance.stop?.());
  return { errors, log };
}

/** Calls an action received, in order, for tests of code that drives actions. */
export interface RecordedCall {
  readonly op: 'start' | 'stop' | 'ban' | 'unban' | 'check' | 'flush';
  readonly jail: string;
  readonly ips: readonly string[];
}

/** An action that records every call into `calls` (and can be told to fail), for engine-level tests. */
export function createRecorder(id = 'recorder'): {
  definition: ActionDefinition<Record<string, never>>;
  calls: RecordedCall[];
  failNext: (op: RecordedCall['op'], times?: number) => void;
} {
  const calls: RecordedCall[] = [];
  const failures = new Map<string, number>();
  const maybeFail = (op: string) => {
    const left = failures.get(op) ?? 0;
    if (left > 0) {
      failures.set(op, left - 1);
      throw new Error(`recorder: ${op} failed on purpose`);
    }
  };
  const definition = defineAction<Record<string, never>>({
    id,
    create(_opts, ctx): ActionInstance {
      const rec = async (op: RecordedCall['op'], tickets: readonly BanTicket[] = []) => {
        maybeFail(op);
        calls.push({ op, jail: ctx.jail.name, ips: tickets.map((t) => t.ip) });
      };
      return {
        start: () => rec('start'),
        stop: () => rec('stop'),
        ban: (t) => rec('ban', t),
        unban: (t) => rec('unban', t),
        check: async () => {
          await rec('check');
          return true;
        },
      };
    },
  });
  return { definition, calls, failNext: (op, times = 1) => failures.set(op, times) };
}

function recordingLogger(log: string[]): Logger {
  const write = (level: string) => (obj: object | string, msg?: string) => {
    log.push(`${level}: ${typeof obj === 'string' ? obj : (msg ?? JSON.stringify(obj))}`);
  };
  const logger: Logger = { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), child: () => logger };
  return logger;
}
