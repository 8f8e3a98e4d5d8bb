import type { FailRule } from '@portcullis/core';

/**
 * The failure rules of the `vsftpd` filter.
 *
 * vsftpd writes two kinds of lines that tell of a failed login:
 * - its own log (`vsftpd_log_file`, or syslog with `syslog_enable=YES`):
 *   `[pid 1234] [user] FAIL LOGIN: Client "1.2.3.4"`, since 3.0 often followed by `, "Login incorrect"`
 *   (anonymous sessions may add `, anon password "…"`, the client's text: only after `ftp`/`anonymous`). The `[pid …]` part is missing in some syslog setups.
 *   The user name is whatever the client sent with `USER`, so it can contain `]`, quotes and a fake
 *   `FAIL LOGIN: Client "…"`: the rule matches it lazily and requires fixed daemon text after it up to the
 *   end of the line, so the address taken is always the one vsftpd printed last.
 * - PAM through syslog: `pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp
 *   ruser=USER rhost=1.2.3.4  user=USER` (Linux-PAM ≥ 0.99), the old `(pam_unix) authentication failure;
 *   …` (message of program `vsftpd`) and `authentication failure; …` (program `vsftpd(pam_unix)`).
 *   `ruser=` precedes the address and is attacker-written: when it is not empty it must be one word, and
 *   the trailing `user=` too, otherwise a user name like `x rhost=203.0.113.66  user=` could smuggle an
 *   address. With an empty `ruser=` (old PAM, most setups) nothing attacker-written precedes `rhost=`.
 */
/**
 * `[pid N] ` when the line has it. Not simply optional: skipping it would let the user name start at
 * `[pid`, past the checks made at the start of the real user name.
 */
const PID = '^(?:\\[pid \\d+\\] |(?!\\[pid \\d+\\] ))';

/** The user names vsftpd treats as anonymous (it compares them case-insensitively). */
const ANONYMOUS = '(?:[Aa][Nn][Oo][Nn][Yy][Mm][Oo][Uu][Ss]|[Ff][Tt][Pp])';

export const vsftpdRules: readonly FailRule[] = [
  {
    description: 'vsftpd log: FAIL LOGIN of an anonymous user (with the anon password)',
    // The anon password follows the address and is the client's text. It is accepted only after the fixed
    // anonymous user names and only without quotes: a user name that fakes this start still ends in the
    // real `Client "<address>"`, whose quotes `[^"]*"$` cannot cross. vsftpd appends its log text
    // (`, "Login incorrect"`) after the anon password, as after any address.
    pattern:
      PID +
      '\\[<F-USER>' +
      ANONYMOUS +
      '</F-USER>\\] FAIL LOGIN: Client "<ADDR>", anon password "[^"]*"(?:, "[^"]*")?\\s*$',
    literals: ['", anon password "'],
  },
  {
    description: 'vsftpd log: FAIL LOGIN',
    // The optional tail is one quoted word after the address (`, "Login incorrect"`): it cannot swallow a
    // quoted address, so a user name that fakes `FAIL LOGIN: Client "…"` never provides the address. Lines
    // of anonymous users with an anon password are left to the rule above: their end is the client's text.
    pattern:
      PID +
      '\\[(?!' +
      ANONYMOUS +
      '\\] FAIL LOGIN: Client "[^"]*", anon password ")<F-USER>.*?</F-USER>\\] FAIL LOGIN: Client "<ADDR>"(?:, "[^"]*")?\\s*$',
    literals: ['] FAIL LOGIN: Client "'],
  },
  {
    description: 'PAM: authentication failure (empty ruser)',
    pattern:
      '^(?:pam_[a-z0-9_]+\\(vsftpd:auth\\): |\\(pam_unix\\) )?authentication failure; ' +
      'logname=[^\\s]* uid=\\d* euid=\\d* tty=[^\\s]* ruser= rhost=<HOST>(?:\\s+user=<F-USER>(?:[^\\s]+(?: [^\\s]+)*)?</F-USER>)?\\s*$',
    literals: ['authentication failure; logname='],
  },
  {
    description: 'PAM: authentication failure (ruser set: one word only)',
    pattern:
      '^(?:pam_[a-z0-9_]+\\(vsftpd:auth\\): |\\(pam_unix\\) )?authentication failure; ' +
      'logname=[^\\s]* uid=\\d* euid=\\d* tty=[^\\s]* ruser=[^\\s]+ rhost=<HOST>(?:\\s+user=<F-USER>[^\\s]*</F-USER>)?\\s*$',
    literals: ['authentication failure; logname='],
  },
];
