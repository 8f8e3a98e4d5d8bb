import { type FilterDefinition, defineFilter } from '@portcullis/core';
import { ddosRules } from './ddos-rules.js';
import { authRules, rblRules, rejectRules } from './smtpd-rules.js';

/**
 * Postfix (smtpd, postscreen, cleanup milter rejects). Modes follow fail2ban's `postfix.conf`:
 * `more` (default) = `normal` = rejects of probing/spamming clients incl. RBL hits, improper pipelining
 * and too many errors; `rbl` = blocklist hits only (smtpd and postscreen); `auth` = SASL failures;
 * `errors` = too many errors; `ddos` = connection-level abuse; `extra` = auth + normal;
 * `aggressive` = everything.
 *
 * `programs` is deliberately not set: Postfix instances and services log under names the admin chooses
 * (`postfix/smtpd`, `postfix/submission/smtpd`, `postfix-out/smtpd`, `postfix-mx/postscreen`, any
 * `syslog_name`), so a fixed list would silently drop real attacks. Every rule is anchored at the start of
 * the message on Postfix's own wording and carries a literal pre-check, so other daemons' lines are
 * rejected by one or two `includes` calls.
 */
export const postfix: FilterDefinition = defineFilter({
  id: 'postfix',
  description: 'Postfix SMTP rejects, SASL authentication failures and postscreen/smtpd connection abuse',
  journalmatch: ['_SYSTEMD_UNIT=postfix.service', '+', '_SYSTEMD_UNIT=postfix@-.service'],
  options: {
    mode: {
      values: ['more', 'normal', 'rbl', 'auth', 'errors', 'ddos', 'extra', 'aggressive'],
      default: 'more',
      description:
        'more/normal: rejects of probing or spamming clients; rbl: blocklist hits; auth: SASL failures; ' +
        'errors: too many errors; ddos: connection abuse; extra: auth + normal; aggressive: all',
    },
  },
  failregex: [...rejectRules, ...rblRules, ...authRules, ...ddosRules],
});
