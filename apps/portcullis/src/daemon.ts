import type { Server } from 'node:net';
import { PortcullisError } from '@portcullis/core';
import { Runtime, loadConfig } from '@portcullis/core/engine';
import { SqliteBanStore } from '@portcullis/store-sqlite';
import { startControlServer } from './control-server.js';
import { type LogFormat, createLogger } from './logging.js';
import { createMetrics } from './metrics.js';
import { reportError } from './report-error.js';
import { version } from './version.js';

/** Options of `portcullis start`. */
export interface DaemonOptions {
  readonly configPath?: string | undefined;
  readonly logFormat: LogFormat;
  readonly logLevel?: string | undefined;
}

/**
 * `portcullis start`: load the config, open the store, start the jails, serve the control socket (and
 * metrics), then run until SIGTERM/SIGINT or `portcullis stop`. SIGHUP reloads the config; a config that
 * does not validate leaves the running one in place and says why.
 */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const first = await loadConfig({ configPath: options.configPath }).catch((error: unknown) => error as Error);
  if (first instanceof Error) return reportError(first);
  let loaded = first;
  const logger = createLogger({ format: options.logFormat, level: options.logLevel ?? loaded.config.loglevel });
  if (loaded.embedded) {
    const actions = loaded.jails.flatMap((j) => j.actions.map((a) => a.id)).join(', ');
    logger.warn(`no config file found: running on the embedded defaults (jail sshd, actions: ${actions}); see README to configure`);
  }
  const store = SqliteBanStore.open(loaded.config.database, { logger });
  const metrics = loaded.config.metrics ? createMetrics() : undefined;
  const runtime = new Runtime({ config: loaded, store, logger, hooks: metrics?.hooks });
  let control: Server | undefined;
  let httpServer: { close(): void } | undefined;
  let stopping: Promise<void> | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => {
    resolveDone = r;
  });

  const stop = (why: string) => {
    stopping ??= (async () => {
      logger.info(`stopping (${why})`);
      control?.close();
      httpServer?.close();
      await runtime.stop();
      store.close();
      logger.info('stopped');
      resolveDone(0);
    })();
    return stopping;
  };
  const reload = async (jail?: string) => {
    const next = await loadConfig({ configPath: options.configPath ?? loaded.file });
    await runtime.reload(next, jail);
    loaded = next;
  };

  try {
    await runtime.start();
    control = await startControlServer(loaded.config.socket, () => runtime, { reload, stop: () => void stop('stop command'), version }, logger);
    logger.info({ socket: loaded.config.socket, database: loaded.config.database }, `portcullis ${version} started`);
    if (metrics && loaded.config.metrics) httpServer = await metrics.listen(loaded.config.metrics.listen, () => runtime, logger);
  } catch (error) {
    await runtime.stop().catch(() => {});
    store.close();
    return reportError(error);
  }

  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === 'SIGINT' && ++interrupts > 1) process.exit(130);
    void stop(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', () => {
    reload().then(
      () => logger.info('configuration reloaded (SIGHUP)'),
      (error: unknown) => {
        const e = error as PortcullisError;
        logger.error({ problems: e instanceof PortcullisError ? e.problems : undefined }, `reload failed, keeping the running configuration: ${e.message}`);
      },
    );
  });
  return done;
}
