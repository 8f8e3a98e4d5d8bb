import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ActionContext, ActionInstance, BanTicket } from '@portcullis/core';

type AnyRecord = Record<string, unknown>;

const isFunction = (v: unknown): v is (...args: never[]) => unknown => typeof v === 'function';

function describeShape(value: unknown): string {
  if (value === undefined) return 'there is no default export';
  if (typeof value !== 'object' || value === null) return `the default export is a ${typeof value}`;
  return `the default export has keys ${Object.keys(value).join(', ') || '(none)'}`;
}

/**
 * Import `path` (relative to the config's folder) and turn its default export into an action instance. The
 * export may be an action object (`{ start?, stop?, ban, unban, check?, flush? }`), a `defineAction(...)` result
 * (its `create` gets `moduleOptions`, validated by its schema when it has one), or a plugin with one action.
 */
export async function loadModuleAction(
  path: string,
  moduleOptions: unknown,
  ctx: ActionContext,
): Promise<ActionInstance> {
  const file = isAbsolute(path) ? path : resolve(ctx.configDir, path);
  let mod: AnyRecord;
  try {
    mod = (await import(pathToFileURL(file).href)) as AnyRecord;
  } catch (error) {
    throw new Error(`command action: cannot import module ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let exported = mod.default as AnyRecord | undefined;
  const actions = exported?.actions;
  if (Array.isArray(actions) && actions.length === 1) exported = actions[0] as AnyRecord;
  if (exported && isFunction(exported.create)) {
    let options: unknown = moduleOptions ?? {};
    const schema = exported.options as { '~standard'?: { validate(v: unknown): unknown } } | undefined;
    if (schema?.['~standard']) {
      const result = (await schema['~standard'].validate(options)) as {
        value?: unknown;
        issues?: { message: string }[];
      };
      if (result.issues)
        throw new Error(
          `command action: moduleOptions for ${file}: ${result.issues.map((i) => i.message).join('; ')}`,
        );
      options = result.value;
    }
    const instance = (exported.create as (o: unknown, c: ActionContext) => ActionInstance)(options, ctx);
    if (!instance || !isFunction(instance.ban) || !isFunction(instance.unban)) {
      throw new Error(
        `command action: create() of ${file} did not return an object with ban and unban functions`,
      );
    }
    return instance;
  }
  if (exported && isFunction(exported.ban) && isFunction(exported.unban))
    return exported as unknown as ActionInstance;
  throw new Error(
    `command action: module ${file} must default-export an action object { ban, unban, start?, stop?, check?, flush? } or a defineAction(...) result; ${describeShape(mod.default)}`,
  );
}

/**
 * An action instance that imports the module on first use (create() is synchronous, import() is not) and
 * delegates to it. A failed import is retried at the next call. `flush` falls back to unbanning what went
 * through this instance when the module has no flush of its own.
 */
export function moduleAction(path: string, moduleOptions: unknown, ctx: ActionContext): ActionInstance {
  let loading: Promise<ActionInstance> | undefined;
  const load = () =>
    (loading ??= loadModuleAction(path, moduleOptions, ctx).catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
  const banned = new Map<string, BanTicket>();
  return {
    async start() {
      await (await load()).start?.();
    },
    async stop() {
      await (await load()).stop?.();
    },
    async ban(tickets) {
      await (await load()).ban(tickets);
      for (const t of tickets) banned.set(t.ip, t);
    },
    async unban(tickets) {
      await (await load()).unban(tickets);
      for (const t of tickets) banned.delete(t.ip);
    },
    async check() {
      const instance = await load();
      return instance.check ? instance.check() : true;
    },
    async flush() {
      const instance = await load();
      if (instance.flush) await instance.flush();
      else if (banned.size > 0) await instance.unban([...banned.values()]);
      banned.clear();
    },
  };
}
