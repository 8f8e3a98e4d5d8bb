import { type ErrorCode, PortcullisError } from '../util/errors.js';

/**
 * The problems of one config, collected in one pass: one line each, path first
 * (`jails.sshd.ignoreip[0]: "10.0.0.0/33" is not …`), with the hints and codes of the errors behind them.
 */
export class ConfigProblems {
  private readonly lines: string[] = [];
  private readonly hints: string[] = [];
  private readonly codes = new Set<ErrorCode>();
  /** True once a plugin failed to load: ids it may have provided are then not reported as unknown. */
  pluginsFailed = false;

  get length(): number {
    return this.lines.length;
  }

  /** Add problem lines (`path: message`), each once. */
  push(...lines: string[]): void {
    for (const line of lines) if (!this.lines.includes(line)) this.lines.push(line);
    if (lines.length) this.codes.add('CONFIG_INVALID');
  }

  /** Add the problem a coded error describes, at `path`. */
  pushError(path: string, error: PortcullisError): void {
    this.lines.push(`${path}: ${error.message}`);
    this.codes.add(error.code);
    const install = /^npm install (\S+)$/.exec(error.hint ?? '');
    const merged = this.hints.findIndex((h) => h.startsWith('npm install '));
    // Missing packages make one command: `npm install a b`.
    if (install && merged !== -1) this.hints[merged] += ` ${install[1]}`;
    else if (error.hint && !this.hints.includes(error.hint)) this.hints.push(error.hint);
  }

  /**
   * Throw one error listing every problem. Its code is that of the errors behind the problems when they
   * share one (a missing plugin stays `PLUGIN_NOT_INSTALLED`), else `CONFIG_INVALID`.
   */
  throwIfAny(label: string): void {
    if (this.lines.length === 0) return;
    const code = this.codes.size === 1 ? [...this.codes][0]! : 'CONFIG_INVALID';
    throw new PortcullisError(code, `invalid configuration (${label}):\n  ${this.lines.join('\n  ')}`, {
      problems: [...this.lines],
      ...(this.hints.length ? { hint: this.hints.join('; ') } : {}),
    });
  }
}
