import { type FilterDefinition, defineFilter } from '@portcullis/core';

/**
 * The login daemons' syslog tags: fail2ban's `(?:courier)?(?:imapd?|pop3d?)(?:login)?(?:-ssl)?`
 * (imapd, imapd-ssl, pop3d, pop3d-ssl, courierpop3login, courierimaplogin, …) plus the hyphenated names
 * some distributions use (courier-imapd, courier-pop3d-ssl, …).
 */
function loginPrograms(): string[] {
  const names: string[] = [];
  for (const prefix of ['', 'courier', 'courier-']) {
    for (const base of ['imap', 'imapd', 'pop3', 'pop3d']) {
      for (const login of ['', 'login']) {
        for (const ssl of ['', '-ssl']) names.push(`${prefix}${base}${login}${ssl}`);
      }
    }
  }
  // couriertcpd logs the login failure itself when the login program runs under it (Debian courier-imap
  // 4.x); `courierlogin` is the tag of courier's shared login helper on some builds.
  names.push('couriertcpd', 'courierlogin', 'courier');
  return names;
}

/**
 * Courier IMAP/POP3 login failures:
 * `LOGIN FAILED, user=NAME, ip=[::ffff:192.0.2.1]` and `LOGIN FAILED, method=PLAIN, ip=[…]` (SASL
 * mechanisms without a user), optionally followed by the `port=[…]`/`protocol=…` fields of newer
 * releases. The user name is attacker-written and precedes the address, so the rule is anchored on the
 * daemon's `, ip=[…]` at the END of the line: a user `x, ip=[203.0.113.66]` cannot supply the host.
 */
export const courierAuth: FilterDefinition = defineFilter({
  id: 'courier-auth',
  description: 'Courier IMAP/POP3 (imapd, pop3d, -ssl, courierpop3login) LOGIN FAILED',
  programs: loginPrograms(),
  journalmatch: ['_SYSTEMD_UNIT=courier-imap.service', '+', '_SYSTEMD_UNIT=courier-pop.service'],
  failregex: [
    {
      description: 'LOGIN FAILED with user or SASL method',
      pattern:
        '^LOGIN FAILED, (?:user=<F-USER>.*</F-USER>, |method=[^\\s,]{1,40}, )?ip=\\[<ADDR>\\]' +
        '(?:, port=\\[\\d{1,5}\\])?(?:, protocol=[A-Za-z0-9]{1,10})?\\s*$',
    },
  ],
});
