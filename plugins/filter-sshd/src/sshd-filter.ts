import { type FilterDefinition, defineFilter } from '@portcullis/core';
import { authRules } from './auth-rules.js';
import { connectionRules } from './connection-rules.js';
import { kexMatcher } from './kex-matcher.js';

/**
 * OpenSSH server (`sshd`, and `sshd-session`/`sshd-auth` of OpenSSH ≥ 9.8). Modes follow fail2ban's
 * `sshd.conf`: `normal` counts authentication failures; `ddos` adds connection-level abuse (no or bad
 * identification, timeouts, connections dropped before authentication, failed negotiation); `extra` adds
 * failed negotiation and clients that give up without authenticating; `aggressive` is all of them.
 *
 * Correlation is by process id: one sshd process serves one connection, so host-less lines (old
 * `Disconnecting: Too many authentication failures`) take the host from the process's earlier lines, and
 * `Failed publickey` only counts when the connection ends without `Accepted`.
 */
export const sshd: FilterDefinition = defineFilter({
  id: 'sshd',
  description: 'OpenSSH server authentication failures and pre-authentication abuse',
  // `sshd(pam_unix)` is how old Linux-PAM (RHEL 4 era) tagged its sshd lines.
  programs: ['sshd', 'sshd-session', 'sshd-auth', 'sshd(pam_unix)'],
  // The units, the processes, and the syslog tags of the programs above: sshd outside a unit (a container,
  // an init script) reaches the journal through syslog with its own tag and the same trust as in auth.log.
  journalmatch: [
    '_SYSTEMD_UNIT=sshd.service',
    '+',
    '_SYSTEMD_UNIT=ssh.service',
    '+',
    '_COMM=sshd',
    '+',
    '_COMM=sshd-session',
    '+',
    'SYSLOG_IDENTIFIER=sshd',
    '+',
    'SYSLOG_IDENTIFIER=sshd-session',
    '+',
    'SYSLOG_IDENTIFIER=sshd-auth',
  ],
  options: {
    mode: {
      values: ['normal', 'ddos', 'extra', 'aggressive'],
      default: 'normal',
      description:
        'normal: authentication failures; ddos: + connection abuse before authentication; ' +
        'extra: + failed negotiation and clients without a usable method; aggressive: everything',
    },
  },
  // rsyslog's `message repeated N times: [ … ]` wrapper, Solaris' `[ID 800047 auth.info] ` message id and
  // sshd's `error: ` / `fatal: ` / `error: PAM: `. (busybox, metalog and Win32-OpenSSH headers are the line
  // parser's.)
  prefix:
    '(?:message repeated \\d{1,9} times: \\[ {1,2})?(?:\\[ID \\d{1,10} [a-z0-9.]{1,32}\\] )?(?:(?:error|fatal): (?:PAM: )?)?',
  correlate: 'pid',
  failregex: [...authRules, ...connectionRules],
  match: (options) => kexMatcher(options.mode === 'ddos' || options.mode === 'aggressive'),
  // The kex matcher remembers a line per process until that process's next line: nothing else.
  splitBy: 'pid',
});
