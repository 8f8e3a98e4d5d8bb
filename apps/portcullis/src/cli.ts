#!/usr/bin/env node
import { Command, Option } from 'commander';
import { runCheckConfig } from './check-config.js';
import { reportError } from './report-error.js';
import { runPluginsCommand } from './plugins-command.js';
import { runTestFilterCommand } from './test-filter-command.js';
import { version } from './version.js';

const program = new Command('portcullis')
  .description('Portcullis: watches logs, recognises abuse, bans the hosts behind it.')
  .version(version, '-v, --version')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

program
  .command('test-filter')
  .description('run a filter over a log file (or - for stdin) and report what it matches')
  .argument('<filter-id>', 'filter id, e.g. sshd')
  .argument('<file>', 'log file, or - for stdin')
  .option('-o, --option <key=value>', 'filter option, e.g. mode=aggressive (repeatable)', collect, [])
  .addOption(new Option('--format <format>', 'input format').choices(['auto', 'syslog', 'journal']).default('auto'))
  .option('--json', 'one JSON object per matched line on stdout')
  .option('-c, --config <path>', 'config file (its plugins folder is searched for the filter)')
  .action(async (filterId: string, file: string, opts: { option: string[]; format: 'auto' | 'syslog' | 'journal'; json?: boolean; config?: string }) => {
    process.exitCode = await runTestFilterCommand({ filterId, file, ...opts, json: opts.json ?? false });
  });

program
  .command('check-config')
  .description('validate the config and print the composed jails')
  .option('-c, --config <path>', 'config file')
  .option('--json', 'machine-readable output')
  .action(async (opts: { config?: string; json?: boolean }) => {
    process.exitCode = await runCheckConfig({ configPath: opts.config, json: opts.json ?? false });
  });

program
  .command('plugins')
  .description('list the plugins installed next to the config and flag configured ones that are missing')
  .option('-c, --config <path>', 'config file')
  .option('--json', 'machine-readable output')
  .action(async (opts: { config?: string; json?: boolean }) => {
    process.exitCode = await runPluginsCommand({ configPath: opts.config, json: opts.json ?? false });
  });

registerDaemonCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.exitCode = reportError(error);
});

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `start` and the control-socket client commands. */
function registerDaemonCommands(cli: Command): void {
  void cli;
}
