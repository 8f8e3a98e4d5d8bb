import { type FilterDefinition, defineFilter } from '@portcullis/core';

/**
 * `error,relay=ADDR,` then optionally `port=N,` (newer releases) and `ident=…,` (identd answer, written by
 * the client's host). The relay address is the first field and the daemon's own, so it is the host.
 */
const RELAY = '^error,relay=<ADDR>,';

/**
 * Courier ESMTP (courieresmtpd): unknown recipients, relaying refused and failed SMTP AUTH.
 * `error,relay=::ffff:192.0.2.1,ident=…,from=<…>,to=<…>: 550 User unknown.` — the attacker's fields
 * follow the relay address; the rule is anchored on the fixed start AND on the daemon's reply at the end
 * of the line, so a crafted address cannot turn another reply into a failure.
 * `error,relay=…,msg="535 Authentication failed.",cmd: AUTH PLAIN …` — everything up to `cmd:` is fixed.
 */
export const courierSmtp: FilterDefinition = defineFilter({
  id: 'courier-smtp',
  description: 'Courier ESMTP: unknown users, relaying denied, SMTP AUTH failures',
  programs: ['courieresmtpd', 'courier-esmtpd', 'esmtpd', 'esmtpd-ssl', 'esmtpd-msa', 'courieresmtp'],
  journalmatch: ['_SYSTEMD_UNIT=courier-mta.service', '+', '_COMM=courieresmtpd'],
  failregex: [
    {
      description: 'RCPT rejected: user unknown or relaying denied',
      pattern: `${RELAY}.*: (?:550 (?:5\\.1\\.1 )?User (?:<[^>]{0,320}> )?unknown\\.?|513 (?:5\\.7\\.1 )?Relaying denied\\.?)\\s*$`,
      literals: [' User ', ' Relaying denied'],
    },
    {
      description: 'SMTP AUTH failed',
      pattern:
        `${RELAY}(?:port=\\d{1,5},)?(?:ident=[^,]*,)?` +
        'msg="(?:535 (?:5\\.7\\.8 )?Authentication failed\\.?|502 5\\.7\\.0 Invalid username or password)",cmd:',
      literals: ['msg="5'],
    },
  ],
});
