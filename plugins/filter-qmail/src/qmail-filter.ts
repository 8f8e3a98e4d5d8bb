import { type FilterDefinition, defineFilter } from '@portcullis/core';
import { qmailRules } from './patterns.js';

/**
 * qmail: rblsmtpd blocks, RBL/badmailfrom/badrcptto logging patches of qmail-smtpd, spamcontrol/s/qmail
 * `Reject::` lines, chkuser and vpopmail's vchkpw. Reads multilog files (TAI64N stamps) and syslog
 * (splogger's epoch prefix is accepted).
 *
 * `programs` is not set: multilog lines carry no program, and under syslog the tag is whatever the run
 * script chose (`qmail`, `smtpd`, `qmail-smtpd`, `tcpserver`, `vchkpw-pop3`, …). Every rule is anchored at
 * the start of the message and has a literal pre-check instead.
 */
export const qmail: FilterDefinition = defineFilter({
  id: 'qmail',
  description: 'qmail rblsmtpd/qmail-smtpd rejections, chkuser and vpopmail (vchkpw) authentication failures',
  failregex: qmailRules,
});
