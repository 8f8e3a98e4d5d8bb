import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import { type Logger, PortcullisError } from '@portcullis/core';
import { type LoadedConfig, Runtime, loadConfig } from '@portcullis/core/engine';
import { SqliteBanStore } from '@portcullis/store-sqlite';
import { claimSocketPath, startControlServer } from '../control/control-server.js';
import { type DaemonLogger, LOG_LEVELS, type LogFormat, type LogLevel, createLogger, logLevel, setLogLevel } from './logging.js';
import { LogFile } from './log-file.js';
import { reportError } from '../output/report-error.js';
import { version } from '../output/version.js';

/** Options of `portcullis start`. */
export interface DaemonOptions {
  /** `--config PATH`; else the config found in the current folder, else the embedded defaults. */
  readonly configPath?: string | undefined;
  /** `--log-format`: `text` (default) or `json`. */
  readonly logFormat?: LogFormat | undefined;
  /** `--log-level`, one of LOG_LEVELS (trace … fatal); default: the config's `loglevel`. */
  readonly logLevel?: LogLevel | string | undefined;
  /** Where logs go (default stderr); for tests. */
  readonly logStream?: NodeJS.WritableStream | undefined;
}

/**
 * `portcullis start`: load the config, open the store, start the jails, serve the control socket (and
 * metrics), then run until SIGTERM/SIGINT or `portcullis stop`; resolves with the exit code. SIGHUP
 * reloads the config; a config that does not validate leaves the running one in place and says why. A
 * second SIGINT exits at once. Start errors are printed without a stack trace (exit 2 for config errors).
 */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig({ configPath: options.configPath });
  } catch (error) {
    return reportStartError(error);
  }
  let logFile: LogFile | undefined;
  try {
    if (loaded.config.logfile && !options.logStream) logFile = new LogFile(loaded.config.logfile);
  } catch (error) {
    return reportStartError(new PortcullisError('CONFIG_INVALID', `logfile: cannot open ${loaded.config.logfile}: ${(error as Error).message}`));
  }
  const logger = createLogger({ format: options.logFormat ?? 'text', level: options.logLevel ?? loaded.config.loglevel, stream: options.logStream ?? logFile });
  const flushLogs = (): boolean => {
    if (!logFile) return false;
    try {
      logFile.reopen();
      logger.info({ logfile: logFile.path }, 'log file reopened');
    } catch (error) {
      logger.error({ err: error }, `cannot reopen the log file ${logFile.path}; still writing to the old one`);
      throw error;
    }
    return true;
  };
  const onUsr1 = () => {
    try {
      flushLogs();
    } catch {
      // logged above
    }
  };
  process.on('SIGUSR1', onUsr1);
  if (loaded.embedded) {
    const actions = loaded.jails.flatMap((j) => j.actions.map((a) => a.id)).join(', ');
    logger.warn(`no config file found: running on the embedded defaults (jail sshd, actions: ${actions}); see README to configure`);
  }
  const { socket, database } = loaded.config;
  // Signals are handled from here on: a SIGTERM during start stops cleanly once the jails are up.
  const lifecycle = new Lifecycle(logger);
  let store: SqliteBanStore | undefined;
  let runtime: Runtime | undefined;
  let control: Server | undefined;
  let http: HttpServer | undefined;
  try {
    // Before anything touches a firewall: a second daemon on the same socket must not start.
    await claimSocketPath(socket);
    store = SqliteBanStore.open(database, { logger });
    // prom-client (and what it loads) only when metrics are configured: a few MB a daemon without them does not need.
    const metrics = loaded.config.metrics ? (await import('./metrics.js')).createMetrics() : undefined;
    // The store also keeps read positions and pending failures (saved together, once a second); a store
    // that had to set a corrupt file aside asks the jails to read back what the actions still hold.
    const rt = new Runtime({ config: loaded, store, progress: store, readBack: store.recovered !== undefined, logger, hooks: metrics?.hooks });
    runtime = rt;
    await rt.start();
    // Reloads run one at a time (SIGHUP and the command may cross), and never once stopping began.
    let level: string = loaded.config.loglevel;
    let reloading: Promise<unknown> = Promise.resolve();
    const reload = (jail?: string, mode: { restart?: boolean; unban?: boolean } = {}): Promise<void> => {
      const run = reloading.then(async () => {
        if (lifecycle.isStopping) throw new Error('the daemon is stopping');
        const next = await loadConfig({ configPath: loaded.file });
        warnRestartOnly(loaded, next, logger);
        if (mode.unban) {
          const { unbanned } = await rt.unban('all', jail);
          await rt.idle();
          logger.info({ count: unbanned.length }, `reload --unban: lifted ${unbanned.length} ban(s)`);
        }
        if (mode.restart) await rt.restart(next);
        else await rt.reload(next, jail);
        loaded = next;
        level = applyLogLevel(level, next.config.loglevel, options.logLevel, logger);
      });
      reloading = run.catch(() => {});
      return run;
    };
    control = await startControlServer(socket, () => rt, { reload, stop: () => void lifecycle.stop('stop command'), version, logLevel: () => logLevel(logger), setLogLevel: (level) => setLogLevel(logger, level), flushLogs }, logger);
    if (metrics && loaded.config.metrics) http = await metrics.listen(loaded.config.metrics.listen, () => rt, logger);
    logger.info({ socket, database, pid: process.pid }, `portcullis ${version} started`);
    const servers = [control, http];
    return await lifecycle.started({ runtime: rt, store, servers }, reload);
  } catch (error) {
    lifecycle.dispose();
    control?.close();
    http?.close();
    await runtime?.stop().catch((e: unknown) => logger.error({ err: e }, 'stopping after a failed start'));
    store?.close();
    return reportStartError(error);
  }
}

/** What a started daemon stops. */
interface Running {
  readonly runtime: Runtime;
  readonly store: SqliteBanStore;
  readonly servers: readonly ({ close(): unknown } | undefined)[];
}

/**
 * Signals and the stop sequence. SIGTERM/SIGINT stop cleanly (a second SIGINT exits at once), SIGHUP
 * reloads; a stop asked for while the daemon is still starting happens as soon as it has started.
 */
class Lifecycle {
  private running: Running | undefined;
  private reload: (() => Promise<void>) | undefined;
  private requested: string | undefined;
  private stopping: Promise<number> | undefined;
  private resolveExit: (code: number) => void = () => {};
  private interrupts = 0;
  private readonly onStop = (signal: NodeJS.Signals) => {
    if (signal === 'SIGINT' && ++this.interrupts > 1) {
      this.logger.warn('second SIGINT: exiting without a clean stop');
      process.exit(130);
    }
    if (this.running) void this.stop(signal);
    else this.requested = signal;
  };
  private readonly onHup = () => {
    if (!this.reload) return this.logger.warn('SIGHUP ignored: still starting');
    this.reload().then(
      () => this.logger.info('configuration reloaded (SIGHUP)'),
      (error: unknown) => {
        const problems = error instanceof PortcullisError && error.problems.length ? error.problems : undefined;
        this.logger.error({ problems }, `reload failed, keeping the running configuration: ${(error as Error).message}`);
      },
    );
  };

  constructor(private readonly logger: Logger) {
    process.on('SIGTERM', this.onStop);
    process.on('SIGINT', this.onStop);
    process.on('SIGHUP', this.onHup);
  }

  /** The daemon is up: resolves with the exit code once it has stopped. */
  started(running: Running, reload: () => Promise<void>): Promise<number> {
    this.running = running;
    this.reload = reload;
    const exit = new Promise<number>((r) => {
      this.resolveExit = r;
    });
    if (this.requested) void this.stop(this.requested);
    return exit;
  }

  /** True once a stop has begun. */
  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Stop once: close the sockets, stop the jails (actions' stop), close the store. */
  stop(why: string): Promise<number> {
    const running = this.running;
    if (!running) return Promise.resolve(0);
    this.stopping ??= (async () => {
      this.logger.info(`stopping (${why})`);
      for (const s of running.servers) s?.close();
      let code = 0;
      try {
        await running.runtime.stop();
      } catch (error) {
        this.logger.error({ err: error }, 'error while stopping the jails');
        code = 1;
      }
      running.store.close();
      this.logger.info('stopped');
      this.dispose();
      this.resolveExit(code);
      return code;
    })();
    return this.stopping;
  }

  /** Remove the handlers; SIGINT stays handled so a second one still forces the exit while winding down. */
  dispose(): void {
    process.off('SIGTERM', this.onStop);
    process.off('SIGHUP', this.onHup);
    if (!this.running) process.off('SIGINT', this.onStop);
  }
}

/** Settings read only at start: changing them needs a restart, which a reload says. */
function warnRestartOnly(current: LoadedConfig, next: LoadedConfig, logger: Logger): void {
  const changed: string[] = (['socket', 'database'] as const).filter((k) => current.config[k] !== next.config[k]);
  if (current.config.metrics?.listen !== next.config.metrics?.listen) changed.push('metrics');
  if (changed.length) logger.warn(`changes to ${changed.join(', ')} take effect at the next restart`);
}

/**
 * A reload applies the config's `loglevel` (to every jail's and action's logger too), unless `--log-level`
 * was given at start: the command line wins, and the reload says so. Returns the config's level now.
 */
function applyLogLevel(current: string, next: string, fromCommandLine: string | undefined, logger: DaemonLogger): string {
  if (next === current) return current;
  if (fromCommandLine !== undefined) {
    logger.warn(`loglevel ${next} in the config is not applied: --log-level ${fromCommandLine} given at start takes precedence`);
    return next;
  }
  // Said at the more verbose of the two levels, so it shows whichever way the level moves.
  const announce = () => logger.info(`log level ${current} → ${next}`);
  const louder = LOG_LEVELS.indexOf(next as LogLevel) < LOG_LEVELS.indexOf(current as LogLevel);
  if (!louder) announce();
  logger.setLevel(next);
  if (louder) announce();
  return next;
}

/** Print a start error (message, problems, hint) and return the exit code. */
function reportStartError(error: unknown): number {
  return reportError(error);
}
