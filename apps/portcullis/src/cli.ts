#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import type { ClientOptions } from './commands/client-commands.js';
import { reportError } from './output/report-error.js';
import { version } from './output/version.js';

// Each command loads its own modules when it runs: `test-filter` never pays for the daemon's SQLite,
// logging and metrics, nor a client command for the filter engine.

const program = new Command('portcullis')
  .description('Portcullis: watches logs, recognises abuse, bans the hosts behind it.')
  .version(version, '-v, --version')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

program
  .command('test-filter')
  .description('run a filter over a log file (or - for stdin) and report what it matches')
  .argument('<filter>', 'filter id (sshd), fail2ban:<name> or a filter .conf file, or a regex with <HOST>')
  .argument('<file>', 'log file, or - for stdin')
  .option('-o, --option <key=value>', 'filter option, e.g. mode=aggressive (repeatable)', collect, [])
  .addOption(new Option('--format <format>', 'input format').choices(['auto', 'syslog', 'journal']).default('auto'))
  .addOption(new Option('--json', 'one JSON object per failure on stdout').conflicts('hosts'))
  .option('--hosts', 'failures per host, one JSON object per host, most failures first')
  .option('--ignoreregex <regex>', 'lines matching this are not failures (repeatable)', collect, [])
  .option('--print-matched', 'print every matched line with the date it got (before the summary)')
  .option('--print-missed', 'print every line that did not match with the date it got (before the summary)')
  .option('-c, --config <path>', 'config file (its plugins folder is searched for the filter)')
  .option('--threads <n>', 'threads reading the file for the summary or --hosts (default for a file of 16 MiB or more: the cores, at most 4; for a filter that follows processes by pid, from 4 cores)', threadCount)
  .action(async (filterId: string, file: string, opts: { option: string[]; format: 'auto' | 'syslog' | 'journal'; json?: boolean; hosts?: boolean; config?: string; ignoreregex: string[]; printMatched?: boolean; printMissed?: boolean; threads?: number }) => {
    const { runTestFilterCommand } = await import('./commands/test-filter-command.js');
    process.exitCode = await runTestFilterCommand({ filterId, file, ...opts, json: opts.json ?? false });
  });

program
  .command('check-config')
  .description('validate the config and print the composed jails')
  .option('-c, --config <path>', 'config file')
  .option('--json', 'machine-readable output')
  .action(async (opts: { config?: string; json?: boolean }) => {
    const { runCheckConfig } = await import('./commands/check-config.js');
    process.exitCode = await runCheckConfig({ configPath: opts.config, json: opts.json ?? false });
  });

program
  .command('plugins')
  .description('list the plugins installed next to the config and flag configured ones that are missing')
  .option('-c, --config <path>', 'config file')
  .option('--json', 'machine-readable output')
  .action(async (opts: { config?: string; json?: boolean }) => {
    const { runPluginsCommand } = await import('./commands/plugins-command.js');
    process.exitCode = await runPluginsCommand({ configPath: opts.config, json: opts.json ?? false });
  });

program
  .command('import')
  .description('write a Portcullis config from another tool\'s setup')
  .argument('<tool>', 'fail2ban')
  .argument('[dir]', 'its configuration folder', '/etc/fail2ban')
  .option('-o, --out <file>', 'write the config here (default: stdout, the report on stderr)')
  .action(async (tool: string, dir: string, opts: { out?: string }) => {
    if (tool !== 'fail2ban') {
      process.stderr.write(`portcullis import: unknown tool "${tool}" (known: fail2ban)\n`);
      process.exitCode = 2;
      return;
    }
    const { runImportFail2ban } = await import('./commands/import-fail2ban.js');
    process.exitCode = await runImportFail2ban({ dir, out: opts.out });
  });

registerDaemonCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.exitCode = reportError(error);
});

async function runClient(...args: Parameters<typeof import('./commands/client-commands.js').runClientCommand>): Promise<number> {
  const { runClientCommand } = await import('./commands/client-commands.js');
  return runClientCommand(...args);
}

/** Print a usage error (exit 2), as JSON with --json. */
async function usageError(message: string, opts: ClientOptions): Promise<void> {
  const { EXIT } = await import('./commands/client-commands.js');
  if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code: 'USAGE', message } }, null, 2)}\n`);
  else process.stderr.write(`portcullis: ${message}\n`);
  process.exitCode = EXIT.usage;
}

/** fail2ban-client-style runtime control: `get`, `set`, `jail start|stop`, `flushlogs`. */
function registerRuntimeControl(client: (name: string, description: string) => Command): void {
  client('get', 'show a running setting: get <jail> maxretry|findtime|bantime|ignoreip, or get loglevel')
    .argument('<jail-or-loglevel>')
    .argument('[setting]')
    .action(async (first: string, setting: string | undefined, opts: ClientOptions) => {
      process.exitCode = await runClient('get', setting === undefined ? { setting: first } : { jail: first, setting }, opts);
    });
  client('set', 'change a running setting until the next reload: set <jail> maxretry|findtime|bantime|addignoreip|delignoreip <value>, or set loglevel <level>')
    .argument('<jail-or-loglevel>')
    .argument('<setting-or-level>')
    .argument('[value]')
    .action(async (first: string, second: string, value: string | undefined, opts: ClientOptions) => {
      if (value === undefined && first !== 'loglevel') return usageError(`set ${first} ${second} needs a value`, opts);
      process.exitCode = await runClient('set', value === undefined ? { setting: first, value: second } : { jail: first, setting: second, value }, opts);
    });
  client('jail', 'jail start|stop <name>: stop a jail (its bans lifted) or start it again, until the next reload')
    .argument('<action>')
    .argument('<name>')
    .action(async (action: string, name: string, opts: ClientOptions) => {
      if (action !== 'start' && action !== 'stop') return usageError(`jail takes start or stop, not ${JSON.stringify(action)}`, opts);
      process.exitCode = await runClient('jail', { action, jail: name }, opts);
    });
  client('flushlogs', 'reopen the logfile (after logrotate moved it)').action(async (opts: ClientOptions) => {
    process.exitCode = await runClient('flushlogs', {}, opts);
  });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function threadCount(value: string): number {
  const n = Number(value);
  if (!/^\d{1,3}$/.test(value) || n < 1 || n > 64) throw new InvalidArgumentError('expected a whole number from 1 to 64');
  return n;
}

/** `start` and the control-socket client commands. */
function registerDaemonCommands(cli: Command): void {
  cli
    .command('start')
    .description('run the daemon in the foreground (the embedded defaults when no config is found)')
    .option('-c, --config <path>', 'config file')
    .addOption(new Option('--log-format <format>', 'log output').choices(['text', 'json']).default('text'))
    .addOption(new Option('--log-level <level>', 'log level (default: the config\'s loglevel)').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal']))
    .action(async (opts: { config?: string; logFormat: 'text' | 'json'; logLevel?: string }) => {
      const { runDaemon } = await import('./daemon/daemon.js');
      process.exitCode = await runDaemon({ configPath: opts.config, logFormat: opts.logFormat, logLevel: opts.logLevel });
    });

  const client = (name: string, description: string) =>
    cli
      .command(name)
      .description(description)
      .option('-c, --config <path>', 'config file (its socket key tells where the daemon listens)')
      .option('-s, --socket <path>', 'control socket path')
      .option('--json', 'machine-readable output');

  client('status', 'jails and totals, or one jail with its banned addresses, or --fleet')
    .argument('[jail]')
    .option('--fleet', 'the fleet: its nodes, their heartbeats, and fleet-wide bans')
    .action(async (jail: string | undefined, opts: ClientOptions & { fleet?: boolean }) => {
      const { fleet, ...rest } = opts;
      process.exitCode = await runClient('status', fleet ? { fleet: true } : jail === undefined ? {} : { jail }, rest);
    });
  client('ban', 'ban addresses or networks by hand in a jail, or a block list with --from-file')
    .argument('<jail>')
    .argument('[ip...]')
    .option('-f, --from-file <file>', 'one address or network per line (# comments), - for stdin')
    .action(async (jail: string, ips: string[], opts: ClientOptions & { fromFile?: string }) => {
      const { fromFile, ...rest } = opts;
      if (fromFile !== undefined && ips.length > 0) return usageError('ban takes addresses or --from-file, not both', rest);
      if (fromFile === undefined && ips.length === 0) return usageError('ban needs a jail and at least one address (or --from-file FILE)', rest);
      if (fromFile !== undefined) {
        const { runBulkBan } = await import('./commands/block-list-commands.js');
        process.exitCode = await runBulkBan(jail, fromFile, rest);
      } else process.exitCode = await runClient('ban', { jail, ips }, rest);
    });
  client('unban', 'lift bans of addresses (in every jail, or --jail), or --all')
    .argument('[ip...]')
    .option('--all', 'lift every ban')
    .option('-j, --jail <jail>', 'only in this jail')
    .action(async (ips: string[], opts: ClientOptions & { all?: boolean; jail?: string }) => {
      const { runUnban } = await import('./commands/client-commands.js');
      process.exitCode = await runUnban(ips, opts);
    });
  client('banned', 'list current bans (of one address), or export them all with --format')
    .argument('[ip]')
    .addOption(new Option('--format <format>', 'export every ban as a block list').choices(['plain', 'json', 'nft']))
    .action(async (ip: string | undefined, opts: ClientOptions & { format?: 'plain' | 'json' | 'nft' }) => {
      const { format, ...rest } = opts;
      if (format !== undefined && ip !== undefined) return usageError('banned takes an address or --format, not both', rest);
      if (format !== undefined) {
        const { runBannedExport } = await import('./commands/block-list-commands.js');
        process.exitCode = await runBannedExport(format, rest);
      } else process.exitCode = await runClient('banned', ip === undefined ? {} : { ip }, rest);
    });
  client('reload', 're-read the config and apply it without losing bans')
    .argument('[jail]')
    .option('--restart', 'stop and start every jail (bans kept)')
    .option('--unban', 'lift every ban (of the jail) first')
    .action(async (jail: string | undefined, opts: ClientOptions & { restart?: boolean; unban?: boolean }) => {
      const { restart, unban, ...rest } = opts;
      if (restart && jail !== undefined) return usageError('reload --restart restarts every jail: give no jail', rest);
      process.exitCode = await runClient('reload', { ...(jail === undefined ? {} : { jail }), ...(restart ? { restart: true } : {}), ...(unban ? { unban: true } : {}) }, rest);
    });
  registerRuntimeControl(client);
  client('stop', 'stop the daemon').action(async (opts: ClientOptions) => {
    process.exitCode = await runClient('stop', {}, opts);
  });
  client('ping', 'exit 0 when the daemon answers, 3 when none does').action(async (opts: ClientOptions) => {
    process.exitCode = await runClient('ping', {}, opts);
  });
}
