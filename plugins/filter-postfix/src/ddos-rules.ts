import type { FailRule } from '@portcullis/core';
import { CLIENT } from './smtpd-rules.js';

const DDOS = ['ddos', 'aggressive'];

/**
 * Connection-level abuse (fail2ban's `ddos` mode): clients that drop the session after probing AUTH,
 * fail every AUTH, talk before the greeting or hang up in postscreen's tests. Only in `ddos` and
 * `aggressive`, because a few legitimate but broken clients do these things too.
 */
export const ddosRules: readonly FailRule[] = [
  {
    description: 'smtpd: lost connection after a command other than DATA',
    // DATA and END-OF-MESSAGE are excluded (as in fail2ban): a legitimate client on a bad link loses the
    // connection there, or hangs up without QUIT after delivering.
    pattern: `^lost connection after (?!DATA\\b)[A-Z]{3,12} from ${CLIENT}\\s*$`,
    when: { mode: DDOS },
  },
  {
    description: 'smtpd (Postfix >= 3.0): session summary with failed AUTH commands and none accepted',
    pattern: `^disconnect from ${CLIENT}(?: [a-z]{1,16}=\\d+(?:/\\d+)?)* auth=0/[1-9]\\d*(?: |$)`,
    literals: [' auth=0/'],
    when: { mode: DDOS },
  },
  {
    description: 'smtpd: non-SMTP command (HTTP and other protocols thrown at port 25)',
    pattern: `^warning: non-SMTP command from ${CLIENT}: `,
    when: { mode: DDOS },
  },
  {
    description:
      'smtpd: anvil connection rate/concurrency or AUTH rate (smtpd_client_auth_rate_limit) exceeded',
    pattern: `^warning: (?:Connection (?:rate|concurrency)|AUTH command rate) limit exceeded: \\d+ from ${CLIENT} for service [^\\s]+\\s*$`,
    literals: [' limit exceeded: '],
    when: { mode: DDOS },
  },
  {
    description: 'postscreen: client talked before the greeting, or hung up during the tests',
    pattern: '^(?:PREGREET \\d+|HANGUP) after [0-9.]+ from \\[<ADDR>\\]:\\d+(?: |:|$)',
    literals: ['PREGREET ', 'HANGUP after '],
    when: { mode: DDOS },
  },
  {
    description:
      'postscreen: command limits, pipelining, non-SMTP commands and bare newlines in the deep protocol tests',
    pattern:
      '^(?:COMMAND (?:TIME|COUNT|LENGTH) LIMIT|COMMAND PIPELINING|NON-SMTP COMMAND|BARE NEWLINE) from \\[<ADDR>\\]:\\d+(?: |:|$)',
    literals: ['COMMAND ', 'BARE NEWLINE'],
    when: { mode: DDOS },
  },
  {
    // postscreen's reply to a client that failed a pregreet/pipelining/non-SMTP/bare-newline test whose
    // action is `enforce` (psc_early.c, psc_smtpd.c); the `drop` action logs no reject.
    description: 'postscreen: enforced 550 5.5.1 Protocol error after a failed protocol test',
    // postscreen logs only RCPT rejects; the fixed `RCPT from [` keeps smtpd's reject lines out of this rule.
    pattern: '^NOQUEUE: reject: RCPT from \\[<ADDR>\\]:\\d+: 5\\d\\d 5\\.5\\.1 Protocol error(?:;|$)',
    literals: ['Protocol error'],
    when: { mode: DDOS },
  },
];
