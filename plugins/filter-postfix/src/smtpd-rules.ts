import type { FailRule } from '@portcullis/core';

/**
 * The client as Postfix smtpd prints it: `name[address]`, optionally `:port`
 * (`smtpd_client_port_logging`). The name is `unknown` or a forward-confirmed DNS name and never contains
 * brackets, so the first `[…]` after the fixed verb is always the daemon's view of the peer; everything an
 * attacker writes (recipient, sender, HELO, SASL reason) comes later in the line.
 */
export const CLIENT = '[^\\[\\]\\s]*\\[<ADDR>\\](?::\\d+)?';

/** Queue id (short hex or long base-52 form) or `NOQUEUE`, then the reject verb. */
const REJECT = '^(?:NOQUEUE|[0-9A-Za-z]+): (?:milter-)?reject: ';

/** The SMTP stage being rejected: `RCPT`, `EHLO`, `CONNECT`, `VRFY`, `END-OF-MESSAGE`, … */
const STAGE = '[A-Z][A-Z-]{2,15}';

/** Modes whose rule set contains fail2ban's `normal` rules. */
export const NORMAL_MODES = ['normal', 'more', 'extra', 'aggressive'] as const;

/**
 * Reject replies that mean the client is probing or spamming (fail2ban's `mdre-normal`): relay attempts,
 * unknown users, unresolvable sender/recipient/HELO domains, clients without reverse DNS, access maps, RBL hits
 * (`Service unavailable; Client host [..] blocked using ..`). Greylisting, quota and temporary lookup
 * failures are not in the list; nor is `451 4.7.1 Service unavailable - try again later`, Postfix's own
 * text for a milter that answers tempfail or is unreachable (milter8.c), which every client gets while a
 * milter is down, nor a greylisting policy service run in the client class (`Client host rejected:
 * Greylisted`). Postfix 2.x sometimes logged an empty reply name (`450 4.7.1 : Helo command rejected`).
 */
const REJECT_REASONS =
  '(?:(?:Helo command|Sender address|Recipient address) rejected: )?' +
  '(?:Service unavailable(?! - try again)|Access denied|Client host rejected(?!: [Gg]reylist)|(?:Command|Data command) rejected' +
  '|Relay access denied' +
  '|(?:Host|Domain) not found|need fully-qualified (?:hostname|address)|[Uu]ser unknown|[Uu]ndeliverable address)\\b';

/** smtpd rejections and protocol errors (`normal`, `more`, `extra`, `aggressive`; `errors`). */
export const rejectRules: readonly FailRule[] = [
  {
    description: 'smtpd/cleanup/milter reject of a probing or spamming client',
    pattern: `${REJECT}${STAGE} from ${CLIENT}: [45]\\d\\d (?:[45]\\.\\d{1,3}\\.\\d{1,3} )?(?:(?:<[^>]*>)?: )?${REJECT_REASONS}`,
    literals: ['reject: '],
    when: { mode: [...NORMAL_MODES] },
  },
  {
    // fail2ban's `55[04] 5.7.1` and `550 5.1.1`: every permanent policy reject (SPF fail, local blocklists,
    // check_*_access texts the admin wrote) and every permanent unknown-recipient reject, whatever the text;
    // 5.7.23 is RFC 7372's SPF-fail code (policyd-spf 2.x: `550 5.7.23 … Message rejected due to: SPF fail`).
    description: 'smtpd reject with a permanent policy (5.7.1) or unknown-recipient (5.1.1) status',
    pattern: `${REJECT}${STAGE} from ${CLIENT}: (?:55[04] 5\\.7\\.(?:1|23)|550 5\\.1\\.1)(?: |$)`,
    literals: ['reject: '],
    when: { mode: [...NORMAL_MODES] },
  },
  {
    description: 'improper command pipelining (a spambot talking before the greeting or reply)',
    pattern: `^improper command pipelining after ${STAGE} from ${CLIENT}(?::|$)`,
    when: { mode: [...NORMAL_MODES] },
  },
  {
    description: 'too many errors in one session',
    pattern: `^too many errors after ${STAGE}(?: \\(\\d+ bytes\\))? from ${CLIENT}\\s*$`,
    when: { mode: [...NORMAL_MODES, 'errors'] },
  },
  {
    description: 'VRFY probe against a server that disabled VRFY',
    pattern: `${REJECT}VRFY from ${CLIENT}: 502 5\\.5\\.1 VRFY command is disabled\\b`,
    literals: ['VRFY command is disabled'],
    when: { mode: ['aggressive'] },
  },
];

/** RBL rejections by smtpd and postscreen (`rbl`; the smtpd ones are also part of `normal`). */
export const rblRules: readonly FailRule[] = [
  {
    description: 'smtpd/postscreen reject because the client is on a DNS blocklist',
    pattern:
      `${REJECT}${STAGE} from ${CLIENT}: [45]\\d\\d (?:[45]\\.7\\.1 )?Service unavailable; ` +
      '(?:(?:Unverified )?Client host|Helo command|client) \\[[^\\]\\s]*\\] blocked using ',
    literals: ['blocked using '],
    when: { mode: ['rbl'] },
  },
  {
    description: 'postscreen: client listed on DNSBLs above the threshold',
    pattern: '^DNSBL rank \\d+ for \\[<ADDR>\\]:\\d+\\s*$',
    when: { mode: ['rbl', 'aggressive'] },
  },
  {
    // `postscreen_access_list` deny with `postscreen_blacklist_action = enforce` (psc_endpt_lookup_done).
    // The 450 4.3.2 form of the same text is postscreen's DEFAULT reply to every RCPT of a client in the
    // after-220 (deep protocol) tests, i.e. the first visit of any new, legitimate server: never a failure.
    description: 'postscreen: enforced reject of a client on the postscreen access list (550 5.3.2)',
    pattern: `${REJECT}${STAGE} from \\[<ADDR>\\]:\\d+: 5\\d\\d 5\\.3\\.2 Service currently unavailable(?:;|$)`,
    literals: ['Service currently unavailable'],
    when: { mode: ['rbl', 'ddos', 'aggressive'] },
  },
];

/** SASL authentication failures (`auth`, `extra`, `aggressive`). */
export const authRules: readonly FailRule[] = [
  {
    description: 'SASL authentication failed (not the server-side errors)',
    pattern:
      `^warning: ${CLIENT}: SASL [A-Za-z0-9-]{1,32} authentication failed:` +
      '(?! Connection lost to authentication server| Invalid authentication mechanism)' +
      '(?:.*, sasl_username=<F-USER>.{0,256}</F-USER>$)?',
    literals: ['authentication failed:'],
    when: { mode: ['auth', 'extra'] },
  },
  {
    description: 'SASL authentication failed, including unknown mechanisms (aggressive)',
    pattern:
      `^warning: ${CLIENT}: SASL [A-Za-z0-9-]{1,32} authentication failed:` +
      '(?! Connection lost to authentication server)' +
      '(?:.*, sasl_username=<F-USER>.{0,256}</F-USER>$)?',
    literals: ['authentication failed:'],
    when: { mode: ['aggressive'] },
  },
];
