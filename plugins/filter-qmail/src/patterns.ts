import type { FailRule } from '@portcullis/core';

/**
 * Optional splogger timestamp (`1113253242.000000 `): qmail's `splogger` prefixes every message it hands
 * to syslog with the epoch time. multilog lines lose their TAI64N stamp in the line parser.
 */
const SPLOGGER = '^(?:\\d{9,10}\\.\\d{1,6} )?';

/** `qmail-smtpd: `, `qmail-smtpd[1234]: ` or `qmail-smtpd: pid 1234 ` as the patches print it. */
const QMAIL_SMTPD = 'qmail-smtpd(?:\\[\\d+\\])?: (?:pid \\d+ |\\[\\d+\\] )?';

/** The same, optional: for lines whose syslog tag already is `qmail-smtpd` (journald, `logger -t`). */
const QMAIL_SMTPD_OPT = `(?:${QMAIL_SMTPD})?`;

/**
 * The same for spamcontrol / s/qmail lines, whose `[pid] ` may also follow a `qmail-smtpd` that the line
 * parser already took as the program (multilog `@4000… qmail-smtpd: [5423] Reject::…`).
 */
const QMAIL_SMTPD_PID_OPT = '(?:qmail-smtpd(?:\\[\\d+\\])?: )?(?:pid \\d+ |\\[\\d+\\] )?';

/**
 * rblsmtpd (ucspi-tcp) and the qmail-smtpd patches whose log lines name the client address.
 *
 * Covered:
 * - rblsmtpd: `rblsmtpd: IP pid PID: 451 …` / `553 …` (stock ucspi-tcp, also via `$RBLSMTPD`), and the
 *   patched form naming the list `rblsmtpd: IP pid PID zen.spamhaus.org: 451 …`; the IP is printed first.
 * - badiprbl / blocked (qmail-smtpd RBL patches): `qmail-smtpd: 421 badiprbl: ip IP rbl: LIST`,
 *   `qmail-smtpd: blocked IP …`.
 * - badmailfrom / badrcptto logging patches: `qmail-smtpd: badrcptto: <addr> from IP` (address last,
 *   anchored at the end of the line) and `qmail-smtpd: pid N from IP badmailfrom …` (address first).
 *   A form with the address first but not in a fixed position is not accepted: the envelope address
 *   precedes it and could smuggle one.
 * - spamcontrol / s/qmail (Erwin Hoffmann): `qmail-smtpd: Reject::RCPT::Failed_Rcptto: P:ESMTP S:IP:host H:…
 *   F:… T:…` — every `Reject::` category; the `S:` field precedes the attacker-written H/F/T fields.
 * - chkuser (vpopmail toasters): `CHKUSER rejected rcpt: from <…> remote <helo:host:IP> rcpt <…> : not
 *   existing recipient` and the relaying/intrusion-threshold rejections (IPv4 and IPv4-mapped only: the
 *   colon-separated `remote` field cannot be split reliably for IPv6).
 * - vchkpw (vpopmail): `vchkpw-smtp: password fail (pass: '…') user@domain:IP`, `vpopmail user not found
 *   user@domain:IP`, `null password given user@domain:IP` for smtp/pop3/imap/submission.
 */
export const qmailRules: readonly FailRule[] = [
  {
    description: 'rblsmtpd: client listed on an RBL (or refused by $RBLSMTPD)',
    pattern: `${SPLOGGER}(?:rblsmtpd: )?<ADDR> pid \\d+(?: [^\\s:]{1,255})?: [45]\\d\\d(?: |$)`,
    literals: [' pid '],
  },
  {
    description: 'qmail-smtpd RBL patch: badiprbl',
    pattern: `${SPLOGGER}${QMAIL_SMTPD_OPT}(?:[45]\\d\\d )?badiprbl: ip <ADDR> rbl: [^\\s]+\\s*$`,
    literals: ['badiprbl: ip '],
  },
  {
    description: 'rblsmtpd (tjsi.com): `LIST blocked IP NAME -`',
    // The list name is the administrator's; the address follows it, before anything the client wrote.
    pattern: `${SPLOGGER}(?:rblsmtpd: )?[A-Za-z0-9][A-Za-z0-9.-]{0,252} blocked <ADDR> [^\\s]+ [^\\s]+\\s*$`,
    literals: [' blocked '],
  },
  {
    description: 'qmail-smtpd patches: blocked <ip>',
    pattern: `${SPLOGGER}${QMAIL_SMTPD}(?:[45]\\d\\d )?blocked (?:ip )?<ADDR>(?: |$)`,
    literals: ['blocked '],
  },
  {
    description: 'qmail-smtpd logging patches: `pid N from IP` followed by the reason',
    // The daemon prints the client before any attacker-written field, so the first address is the peer.
    pattern:
      `${SPLOGGER}(?:qmail-smtpd(?:\\[\\d+\\])?: )?pid \\d+ from <ADDR> ` +
      '(?:[45]\\d\\d )?(?:bad ?mailfrom|bad ?rcptto|bad ?helo|badiprbl|AUTH failed|auth failed)\\b',
    literals: [' from '],
  },
  {
    description: 'qmail-smtpd logging patches: badmailfrom/badrcptto with the address last',
    // The address comes after the attacker's envelope address: anchored at the end of the line, and the
    // envelope address may not contain blanks, so `from <ADDR>$` is always the daemon's own text.
    pattern: `${SPLOGGER}${QMAIL_SMTPD_OPT}(?:[45]\\d\\d )?bad ?(?:mailfrom|rcptto|helo):? [^\\s]* from <ADDR>\\s*$`,
    literals: ['bad'],
  },
  {
    description: 'spamcontrol / s/qmail: Reject:: categories (S:ip:host precedes the attacker fields)',
    // DATA rejections (size, virus, content) are about the message, not a probing client.
    // The columns may be padded with several blanks after the category (`Failed_Rcptto:   P:ESMTP`).
    // `S:IP:host`: the host (TCPREMOTEHOST, `unknown` when not looked up) follows the LAST colon of the
    // word, so a one-label PTR name made of hex digits (`S:2001:db8::63:cafe`) cannot extend an IPv6 address.
    pattern: `${SPLOGGER}${QMAIL_SMTPD_PID_OPT}Reject::(?!DATA::)[A-Z]{2,8}::[A-Za-z_]{1,40}: {1,40}(?:P:[^\\s]* {1,40})?(?:S:)?<ADDR>:[^\\s:]*(?: |$)`,
    literals: ['Reject::'],
  },
  {
    description: 'chkuser: invalid recipient, relaying refused, intrusion threshold',
    pattern:
      `${SPLOGGER}${QMAIL_SMTPD_OPT}(?:chkuser: )?CHKUSER rejected (?:rcpt|relaying|intrusion): from <[^>]*> remote <[^>]*:<IP4>> rcpt <[^>]*> : ` +
      '(?:not existing recipient|max number of invalid recipients|client not allowed to relay|' +
      'rcpt ignored, session over intrusion threshold)\\s*$',
    literals: ['CHKUSER rejected '],
  },
  {
    description: 'vchkpw (vpopmail): failed password, unknown user, empty password',
    // The user and password are attacker-written; the address is the text after the LAST colon.
    pattern:
      '^(?:vchkpw-[a-z0-9]{1,16}: )?(?:password fail|vpopmail user not found|null password given)\\b' +
      // Lazy user: `user@domain:::ffff:192.0.2.1` (tcpserver6) gives the user without the mapped prefix;
      // the address is still the one at the end of the line.
      '(?: .*)? <F-USER>[^\\s]*?</F-USER>:(?:::ffff:)?<IP4>\\s*$',
    literals: ['password fail', 'user not found', 'null password given'],
  },
  {
    description: 'Plesk smtp_auth (qmail on Plesk): FAILED: USER - password incorrect from …[IP]',
    // The user name precedes the address: the address is the LAST bracketed field, at the end of the line.
    pattern:
      '^(?:smtp_auth: )?FAILED: <F-USER>.*</F-USER> - password incorrect from [^\\[\\]\\s]{0,300} ?\\[<ADDR>\\]\\s*$',
    literals: [' - password incorrect from '],
  },
];
