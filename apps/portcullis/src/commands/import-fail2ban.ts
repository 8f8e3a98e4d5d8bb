import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { indexPlugins, loadPlugin } from '@portcullis/core/plugin-loading';
import { type NativeLookup, importFail2ban } from './fail2ban-jails.js';

/**
 * `portcullis import fail2ban [DIR] [--out FILE]`: writes a config for fail2ban's enabled jails (to FILE, or
 * stdout) and prints what it could not map (to stdout with --out, else stderr). Native filter plugins are
 * looked for where the config will live (FILE's folder, else the current one), as `start` will.
 */
export async function runImportFail2ban(args: { dir: string; out?: string | undefined }): Promise<number> {
  const from = args.out === undefined ? process.cwd() : dirname(resolve(args.out));
  const native: NativeLookup = async (pkg, id) => {
    try {
      const def = indexPlugins([await loadPlugin(pkg, from)]).filters.get(id)?.definition;
      return def === undefined ? undefined : { modes: def.options?.mode?.values ?? [], defaultMode: def.options?.mode?.default };
    } catch {
      return undefined;
    }
  };
  const { config, report } = await importFail2ban(args.dir, native);
  const text = `${JSON.stringify(config, null, 2)}\n`;
  const jails = Object.keys(config.jails as object);
  const summary = [`imported ${jails.length} enabled jail${jails.length === 1 ? '' : 's'} from ${resolve(args.dir)}: ${jails.join(', ') || '(none)'}`];
  summary.push(report.length ? `${report.length} note${report.length === 1 ? '' : 's'} on settings not mapped as they are:` : 'every setting was mapped');
  const notes = `${[...summary, ...report.map((r) => `  ${r}`)].join('\n')}\n`;
  if (args.out === undefined) {
    process.stdout.write(text);
    process.stderr.write(notes);
  } else {
    writeFileSync(args.out, text);
    process.stdout.write(`${notes}wrote ${args.out}; check it with: portcullis check-config -c ${args.out}\n`);
  }
  return 0;
}
