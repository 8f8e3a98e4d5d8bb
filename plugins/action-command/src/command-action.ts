import { isAbsolute, resolve } from 'node:path';
import {
  type ActionContext,
  type ActionInstance,
  type BanTicket,
  defineAction,
  parseNetwork,
} from '@portcullis/core';
import { moduleAction } from './module-action.js';
import { type CommandOptions, commandOptions } from './options.js';
import { substitute, substituteLine, ticketValues } from './placeholders.js';
import { type RunSpec, runChecked, runProgram } from './run-program.js';

const JAIL_NAME = /^[A-Za-z0-9_.-]+$/;
type Argv = readonly string[];
type Valid = { readonly ticket: BanTicket; readonly values: Record<string, string> };

/** Build one jail's `command` action instance. */
export function createCommand(options: CommandOptions, ctx: ActionContext): ActionInstance {
  if (options.module !== undefined) return moduleAction(options.module, options.moduleOptions, ctx);
  const jail = ctx.jail.name;
  if (!JAIL_NAME.test(jail))
    throw new Error(`command action: jail name ${JSON.stringify(jail)} is not [A-Za-z0-9_.-]+`);
  const cwd = options.cwd === undefined ? ctx.configDir : resolve(ctx.configDir, options.cwd);

  const spec = (option: string, argv: Argv, values: Record<string, string>, input?: string): RunSpec => {
    const args = argv.map((element) => substitute(element, values));
    // `./bin/block` is relative to the config's folder, like every other path option; bare names use PATH.
    const program = args[0]!;
    if (program.includes('/') && !isAbsolute(program)) args[0] = resolve(ctx.configDir, program);
    return {
      argv: args,
      option,
      cwd,
      env: options.env,
      timeoutMs: options.timeout,
      killGraceMs: options.killGrace,
      input,
    };
  };

  const valid = (tickets: readonly BanTicket[]): Valid[] => {
    const out: Valid[] = [];
    for (const ticket of tickets) {
      const parsed = parseNetwork(ticket.ip);
      if (!parsed) {
        ctx.logger.warn({ ip: ticket.ip }, 'command action: skipping a ticket whose address is not valid');
        continue;
      }
      out.push({ ticket, values: ticketValues({ ...ticket, jail }, parsed.canonical, parsed.family, parsed.prefix) });
    }
    return out;
  };

  /** One program per ticket, at most `concurrency` at once; every ticket is tried, then failures are reported. */
  const perTicket = async (option: string, argv: Argv, items: Valid[]) => {
    const errors: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++]!;
        await runChecked(spec(option, argv, item.values)).catch((error: Error) => errors.push(error.message));
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, items.length) }, worker));
    if (errors.length > 0) {
      const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : '';
      throw new Error(
        `${errors.length} of ${items.length} ${option} commands failed: ${errors.slice(0, 3).join(' | ')}${more}`,
      );
    }
  };

  /** One program for the whole batch, one line per ticket on its stdin. */
  const wholeBatch = async (option: string, argv: Argv, items: Valid[], line: string) => {
    const input = items.map((item) => `${substituteLine(line, item.values)}\n`).join('');
    await runChecked(spec(option, argv, { jail, count: String(items.length) }, input));
  };

  const apply = async (option: 'ban' | 'unban', tickets: readonly BanTicket[]) => {
    const argv = options[option];
    if (!argv) return; // no unban command: bans expire by themselves (e.g. a notification-only action)
    const items = valid(tickets);
    if (items.length === 0) return;
    if (options.batch) await wholeBatch(option, argv, items, options.batch.line);
    else await perTicket(option, argv, items);
  };

  const plain = (option: 'start' | 'stop' | 'flush') => {
    const argv = options[option];
    if (!argv) return undefined;
    return async () => {
      await runChecked(spec(option, argv, { jail, count: '0' }));
    };
  };

  const checkArgv = options.check;
  return {
    start: plain('start'),
    stop: plain('stop'),
    flush: plain('flush'),
    ban: (tickets) => apply('ban', tickets),
    unban: (tickets) => apply('unban', tickets),
    check: checkArgv
      ? async () => (await runProgram(spec('check', checkArgv, { jail, count: '0' }))).code === 0
      : undefined,
  };
}

/** The `command` action definition. */
export const commandAction = defineAction({
  id: 'command',
  description:
    'Run your own programs (argv arrays, never a shell) or a JS action module for each ban and unban.',
  options: commandOptions,
  create: createCommand,
});
