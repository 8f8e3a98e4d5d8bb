import type { FailRule } from '@portcullis/core';
import { ALG, END, END_PREAUTH, PEER, PORT, USER, USER_WORD, modes, modesExcept } from './fragments.js';

/**
 * How connections end, and the lines that tell whether a connection ended well. Each of these `forget`s
 * the sshd process, which releases its pending publickey failures (the connection ended without
 * `Accepted`). Whether the ending itself counts depends on the mode; where it does not, the line is a
 * `note` so it still ends the connection.
 */
export const connectionRules: readonly FailRule[] = [
  {
    // A success drops pending failures and tells the engine which host logged in (a campaign never bans
    // it). Its host and user are never remembered for the process. The user name has no spaces, so the
    // fixed ` from <HOST> port` after it cannot be smuggled in by a name.
    pattern: `^Accepted [^\\s]{1,64} for [^\\s]{1,100} from ${PEER} port \\d{1,5}`,
    kind: 'success',
    description: 'Accepted … (login succeeded: drops pending publickey failures)',
  },
  {
    // Verbose `Connection from H port N on A port N`: remembers the peer for later host-less lines.
    pattern: `^Connection from ${PEER} port \\d{1,5}(?: on [^\\s]{1,64} port \\d{1,5}(?: rdomain "[^"]{0,64}")?)?$`,
    kind: 'note',
    description: 'Connection from … (remembers the peer)',
  },
  {
    // SUSE/audit-style version and user lines: remember the peer for host-less lines that follow.
    pattern: `^SSH: Server;Ltype: (?:Authname|Version|Kex);Remote: ${PEER}-\\d{1,5};`,
    kind: 'note',
    description: 'SSH: Server;Ltype: … (remembers the peer)',
  },
  {
    // The only trace of failed keys at LogLevel INFO; after logged failures it adds nothing.
    pattern: `^Connection (?:closed|reset) by authenticating user ${USER} ${PEER} port \\d{1,5}${END_PREAUTH}`,
    kind: 'fallback',
    forget: true,
    description: 'Connection closed by authenticating user … [preauth]',
  },
  {
    pattern: `^Connection (?:closed|reset) by invalid user ${USER} ${PEER} port \\d{1,5}${END_PREAUTH}`,
    forget: true,
    when: modes('ddos', 'aggressive'),
    description: 'Connection closed by invalid user … [preauth]',
  },
  {
    pattern: `^Connection (?:closed|reset) by invalid user ${USER} ${PEER} port \\d{1,5}${END_PREAUTH}`,
    kind: 'note',
    forget: true,
    when: modesExcept('ddos', 'aggressive'),
    description: 'Connection closed by invalid user … [preauth] (not counted in this mode)',
  },
  {
    pattern: `^Disconnected from (?:invalid|authenticating) user ${USER} ${PEER} port \\d{1,5}${END_PREAUTH}`,
    forget: true,
    when: modesExcept('normal'),
    description: 'Disconnected from invalid/authenticating user … [preauth]',
  },
  {
    pattern: `^Disconnected from (?:invalid|authenticating) user ${USER} ${PEER} port \\d{1,5}${END_PREAUTH}`,
    kind: 'note',
    forget: true,
    when: modes('normal'),
    description: 'Disconnected from invalid/authenticating user … [preauth] (not counted in normal mode)',
  },
  {
    pattern: `^(?:Connection (?:closed|reset) by|Disconnected from) ${PEER}${PORT}${END_PREAUTH}`,
    literals: ['Connection closed by ', 'Connection reset by ', 'Disconnected from '],
    forget: true,
    when: modes('ddos', 'aggressive'),
    description: 'Connection closed by … [preauth] (no authentication attempt)',
  },
  {
    // Everything else that ends a connection: logouts, preauth endings in modes that do not count them.
    pattern: `^(?:Connection (?:closed|reset) by|Disconnected from)(?: (?:invalid |authenticating )?user ${USER})? ${PEER}${PORT}${END}`,
    literals: ['Connection closed by ', 'Connection reset by ', 'Disconnected from '],
    kind: 'note',
    forget: true,
    description: 'Connection closed / Disconnected (not a failure)',
  },
  {
    pattern: `^Received disconnect from ${PEER}${PORT}: ?14: No(?: supported)? authentication methods available(?: \\(server sent: [A-Za-z0-9@.,-]{0,200}\\))?${END}`,
    forget: true,
    when: modes('extra', 'aggressive'),
    description: 'Received disconnect 14: No supported authentication methods available',
  },
  {
    // Code 11 (`disconnected by user`, `Bye Bye`) and other client reasons: never a failure by itself.
    pattern: `^Received disconnect from ${PEER}${PORT}: ?\\d{1,3}: `,
    kind: 'note',
    forget: true,
    description: 'Received disconnect (client reason; not a failure)',
  },
  {
    pattern: `^Unable to negotiate with ${PEER}${PORT}: no matching ${ALG} found`,
    forget: true,
    when: modesExcept('normal'),
    description: 'Unable to negotiate with …: no matching … found',
  },
  {
    pattern: `^Unable to negotiate a ${ALG}${END}`,
    when: modesExcept('normal'),
    description: 'Unable to negotiate a … (old form; host from the same process)',
  },
  {
    pattern: `^no matching ${ALG} found: `,
    when: modesExcept('normal'),
    description: 'no matching … found (old form; host from the same process)',
  },
  {
    pattern: `^Did not receive identification string from ${PEER}${PORT}${END}`,
    when: modes('ddos', 'aggressive'),
    description: 'Did not receive identification string',
  },
  {
    // The quoted banner is the client's: anchoring at the end makes the last `from <host>` the peer.
    pattern: `^Bad protocol version identification '.{0,256}?' from ${PEER}${PORT}${END}`,
    when: modes('ddos', 'aggressive'),
    description: 'Bad protocol version identification',
  },
  {
    // Scanners OpenSSH recognises by their banner (compat.c `*SSH_Version_Mapper*`, `Probe-*`): the client's
    // version string follows the host, which comes right after the fixed words.
    pattern: `^(?:scanned|probed) from ${PEER}${PORT} with `,
    literals: ['scanned from ', 'probed from '],
    when: modes('ddos', 'aggressive'),
    description: "scanned/probed from … with ….  Don't panic.",
  },
  {
    pattern: `^Protocol major versions differ for ${PEER}${PORT}: `,
    when: modes('ddos', 'aggressive'),
    description: 'Protocol major versions differ',
  },
  {
    // `invalid format` / `could not read protocol version` (a client that speaks no SSH), or a system
    // error while the banners are exchanged (`Connection timed out`, `Broken pipe`): sshd's own text.
    pattern: `^banner exchange: Connection from ${PEER}${PORT}: [A-Za-z][A-Za-z0-9 ,'-]{0,100}${END}`,
    when: modes('ddos', 'aggressive'),
    description: 'banner exchange: invalid format / could not read protocol version / system error',
  },
  {
    pattern: `^Timeout before authentication for (?:connection from )?${PEER}(?: port \\d{1,5}| to [^\\s]{1,64}, pid = \\d{1,10})?${END}`,
    forget: true,
    when: modes('ddos', 'aggressive'),
    description: 'Timeout before authentication',
  },
  {
    pattern: `^Timeout before authentication for (?:connection from )?${PEER}(?: port \\d{1,5}| to [^\\s]{1,64}, pid = \\d{1,10})?${END}`,
    kind: 'note',
    forget: true,
    when: modesExcept('ddos', 'aggressive'),
    description: 'Timeout before authentication (not counted in this mode; ends the connection)',
  },
  {
    // The reason (Broken pipe, Connection corrupted, message authentication code incorrect, …) is sshd's.
    pattern: `^ssh_dispatch_run_fatal: Connection from (?:(?:invalid|authenticating) user ${USER_WORD} )?${PEER} port \\d{1,5}: [A-Za-z][A-Za-z0-9 ,'-]{0,100} \\[preauth\\]\\]? ?$`,
    when: modes('ddos', 'aggressive'),
    description: 'ssh_dispatch_run_fatal before authentication',
  },
  {
    // OpenSSH ≥ 9.8 PerSourcePenalties, logged by the listener: the source already misbehaved.
    pattern:
      '^drop connection #\\d{1,10} from \\[<ADDR>\\]:\\d{1,5} on \\[[^\\s\\]]{1,64}\\]:\\d{1,5} penalty: (?:failed authentication|exceeded LoginGraceTime|connections without attempting authentication|caused crash|refused connection)$',
    when: modes('ddos', 'aggressive'),
    description: 'drop connection … penalty (PerSourcePenalties)',
  },
  {
    pattern: `^Read from socket failed: Connection (?:reset by peer|timed out)${END}`,
    when: modes('ddos', 'aggressive'),
    description: 'Read from socket failed (host from the same process)',
  },
];
