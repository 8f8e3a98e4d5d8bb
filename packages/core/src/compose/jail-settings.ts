import { configSchema, formatIssues, jailSettings } from '../config/config-schema.js';
import { parseDuration } from '../util/duration.js';
import { PortcullisError } from '../util/errors.js';
import { parseNetwork } from '../util/ip-network.js';
import type { ComposedJail } from './load-config.js';

/**
 * Settings of a running jail that `portcullis get/set` read and change (fail2ban-client's names).
 * `addignoreip`/`delignoreip` change `ignoreip`; a change lasts until the next reload.
 */
export const RUNTIME_SETTINGS = ['maxretry', 'findtime', 'bantime', 'ignoreip'] as const;
/** One of {@link RUNTIME_SETTINGS}. */
export type RuntimeSetting = (typeof RUNTIME_SETTINGS)[number];
/** What `set <jail> <setting>` takes: a setting, or a change to `ignoreip`. */
export type SettingChange = Exclude<RuntimeSetting, 'ignoreip'> | 'addignoreip' | 'delignoreip';
const CHANGES: readonly string[] = ['maxretry', 'findtime', 'bantime', 'addignoreip', 'delignoreip'];

/** A jail setting as `get` shows it: durations in seconds (-1: forever), as the config may write them. */
export function settingValue(jail: ComposedJail, setting: string): number | readonly string[] {
  switch (setting) {
    case 'maxretry':
      return jail.maxretry;
    case 'findtime':
      return jail.findtime / 1000;
    case 'bantime':
      return jail.bantime < 0 ? -1 : jail.bantime / 1000;
    case 'ignoreip':
      return jail.ignoreip;
  }
  throw unknownSetting(setting, RUNTIME_SETTINGS);
}

/**
 * The jail's settings with one change applied, validated by the config's own schema, so a bad value gets
 * the message check-config gives (`jails.sshd.maxretry: expected a positive integer`).
 * @throws PortcullisError `CONFIG_INVALID` (bad value) or `SETTING_UNKNOWN`.
 */
export function changeSetting(jail: ComposedJail, change: string, text: string): ComposedJail {
  if (!CHANGES.includes(change)) throw unknownSetting(change, CHANGES);
  const key = change === 'addignoreip' || change === 'delignoreip' ? 'ignoreip' : (change as Exclude<SettingChange, 'addignoreip' | 'delignoreip'>);
  // The command line gives text; the config file (YAML/JSON) would give a number for these.
  const value: unknown = /^-?\d+(\.\d+)?$/.test(text) && key !== 'ignoreip' ? Number(text) : text;
  if (change === 'delignoreip') {
    const net = parseNetwork(text);
    const kept = jail.ignoreip.filter((e) => e !== text && (net === undefined || parseNetwork(e)?.canonical !== net.canonical || parseNetwork(e)?.prefix !== net.prefix));
    if (kept.length === jail.ignoreip.length) throw invalid(`jails.${jail.name}.ignoreip: ${JSON.stringify(text)} is not in ignoreip (${jail.ignoreip.join(', ') || 'empty'})`);
    return { ...jail, ignoreip: kept };
  }
  const schema = key === 'ignoreip' ? jailSettings.ignoreip.unwrap().element : jailSettings[key];
  const checked = schema.safeParse(value);
  const path = key === 'ignoreip' ? ['jails', jail.name, 'ignoreip', jail.ignoreip.length] : ['jails', jail.name, key];
  if (!checked.success) {
    const problems = formatIssues(checked.error.issues, path);
    throw new PortcullisError('CONFIG_INVALID', problems.join('; '), { problems });
  }
  switch (key) {
    case 'maxretry':
      return { ...jail, maxretry: value as number };
    case 'findtime':
      return { ...jail, findtime: parseDuration(value as string | number) };
    case 'bantime':
      return { ...jail, bantime: parseDuration(value as string | number) };
    case 'ignoreip':
      return jail.ignoreip.includes(text) ? jail : { ...jail, ignoreip: [...jail.ignoreip, text] };
  }
}

function invalid(problem: string): PortcullisError {
  return new PortcullisError('CONFIG_INVALID', problem, { problems: [problem] });
}

function unknownSetting(setting: string, known: readonly string[]): PortcullisError {
  return new PortcullisError('SETTING_UNKNOWN', `unknown setting ${JSON.stringify(setting)}; settings: ${known.join(', ')}, loglevel`);
}

/**
 * Check a `loglevel` given at run time with the config's schema.
 * @throws PortcullisError `CONFIG_INVALID` with the message check-config gives (`loglevel: …`).
 */
export function checkLogLevel(value: string): void {
  const checked = configSchema.shape.loglevel.safeParse(value);
  if (checked.success) return;
  const problems = formatIssues(checked.error.issues, ['loglevel']);
  throw new PortcullisError('CONFIG_INVALID', problems.join('; '), { problems });
}
