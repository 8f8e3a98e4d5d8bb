import type { FailRule } from '@portcullis/core';

/**
 * The failure rules of the `vsftpd` filter.
 *
 * vsftpd writes two kinds of lines that tell of a failed login:
 * - its own log (`vsftpd_log_file`, or syslog with `syslog_enable=YES`):
 *   `[pid 1234] [user] FAIL LOGIN: Client "1.2.3.4"`, since 3.0 often followed by `, "Login incorrect"`
 *   (anonymous sessions may add `, anon password "…"`). The `[pid …]` part is missing in some syslog setups.
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
export const vsftpdRules: readonly FailRule[] = [
  {
    description: 'vsftpd log: FAIL LOGIN',
    pattern:
      '^(?:\\[pid \\d+\\] )?\\[<F-USER>.*?</F-USER>\\] FAIL LOGIN: Client "<ADDR>"' +
      '(?:, anon password "[^"]*")?(?:, "[^"]*")?$',
    literals: ['] FAIL LOGIN: Client "'],
  },
  {
    description: 'PAM: authentication failure (empty ruser)',
    pattern:
      '^(?:pam_[a-z0-9_]+\\(vsftpd:auth\\): |\\(pam_unix\\) )?authentication failure; ' +
      'logname=[^\\s]* uid=\\d* euid=\\d* tty=[^\\s]* ruser= rhost=<HOST>(?:\\s+user=<F-USER>.*</F-USER>)?$',
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
