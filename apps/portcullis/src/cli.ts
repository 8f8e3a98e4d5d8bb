#!/usr/bin/env node
import { Command, Option } from 'commander';
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
  .option('--json', 'one JSON object per matched line on stdout')
  .option('--ignoreregex <regex>', 'lines matching this are not failures (repeatable)', collect, [])
  .option('--print-matched', 'print every matched line with the date it got (before the summary)')
  .option('--print-missed', 'print every line that did not match with the date it got (before the summary)')
  .option('-c, --config <path>', 'config file (its plugins folder is searched for the filter)')
  .action(async (filterId: string, file: string, opts: { option: string[]; format: 'auto' | 'syslog' | 'journal'; json?: boolean; config?: string; ignoreregex: string[]; printMatched?: boolean; printMissed?: boolean }) => {
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

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
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
  client('ban', 'ban addresses by hand in a jail')
    .argument('<jail>')
    .argument('<ip...>')
    .action(async (jail: string, ips: string[], opts: ClientOptions) => {
      process.exitCode = await runClient('ban', { jail, ips }, opts);
    });
  client('unban', 'lift bans of addresses (in every jail, or --jail), or --all')
    .argument('[ip...]')
    .option('--all', 'lift every ban')
    .option('-j, --jail <jail>', 'only in this jail')
    .action(async (ips: string[], opts: ClientOptions & { all?: boolean; jail?: string }) => {
      const { runUnban } = await import('./commands/client-commands.js');
      process.exitCode = await runUnban(ips, opts);
    });
  client('banned', 'list current bans (of one address)')
    .argument('[ip]')
    .action(async (ip: string | undefined, opts: ClientOptions) => {
      process.exitCode = await runClient('banned', ip === undefined ? {} : { ip }, opts);
    });
  client('reload', 're-read the config and apply it without losing bans')
    .argument('[jail]')
    .action(async (jail: string | undefined, opts: ClientOptions) => {
      process.exitCode = await runClient('reload', jail === undefined ? {} : { jail }, opts);
    });
  client('stop', 'stop the daemon').action(async (opts: ClientOptions) => {
    process.exitCode = await runClient('stop', {}, opts);
  });
  client('ping', 'exit 0 when the daemon answers, 3 when none does').action(async (opts: ClientOptions) => {
    process.exitCode = await runClient('ping', {}, opts);
  });
}
