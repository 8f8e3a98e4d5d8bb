/** Every coded error Portcullis raises on purpose; each message says what to do. */
export type ErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'PLUGIN_NOT_INSTALLED'
  | 'PLUGIN_INVALID'
  | 'PLUGIN_API_MISMATCH'
  | 'PLUGIN_UNSAFE'
  | 'FILTER_UNKNOWN'
  | 'FILTER_OPTION_INVALID'
  | 'FILTER_REGEX_INVALID'
  | 'FILTER_RULE_INVALID'
  | 'ACTION_UNKNOWN'
  | 'ACTION_OPTIONS_INVALID'
  | 'ACTION_FAILED'
  | 'JAIL_UNKNOWN'
  | 'ADDRESS_INVALID'
  | 'SOURCE_FAILED'
  | 'DURATION_INVALID'
  | 'FLEET_NOT_CONFIGURED'
  | 'SETTING_UNKNOWN'
  | 'JAIL_STATE';

/**
 * An error meant for the user: a code, a message that names the problem and, where there is one,
 * a hint with the fix. The CLI prints `message` (and `hint`) without a stack trace.
 */
export class PortcullisError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** For CONFIG_INVALID: one line per problem, each starting with its path in the config. */
  readonly problems: readonly string[];

  constructor(code: ErrorCode, message: string, options?: { hint?: string; problems?: readonly string[]; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PortcullisError';
    this.code = code;
    this.hint = options?.hint;
    this.problems = options?.problems ?? [];
  }
}
