import { defineFilter, type FailRule } from '@portcullis/core';
import { errorRules } from './error-prefix.js';
import { APACHE_PROGRAMS } from './programs.js';

/** `Digest: ` / `Basic: ` as Apache 2.2 prefixes its auth module messages. */
const AUTH = '(?:Digest: |Basic: )?';

/**
 * A user name as the auth modules print it: bare (mod_auth_basic, mod_auth_digest's `user x: …`) or in
 * single quotes (mod_auth_form: `user 'x': authentication failure`, `user 'x' not found`), never in the
 * backquotes of the digest realm messages (their own rule). Matched lazily up to the fixed text after it.
 */
const USER = "(?:'<F-USER>.*?</F-USER>'|(?!`)<F-USER>.*?</F-USER>)";

/**
 * Failed authentication and authorization in the Apache error log (mod_auth_basic, mod_auth_digest,
 * mod_auth_form, mod_authz_core, mod_access_compat, 2.2's mod_authz_*, mod_authnz_ldap, mod_ssl SNI checks), after fail2ban's apache-auth.
 * User names are attacker-written; they come after the client address, so they cannot move it, and each
 * is matched lazily up to the fixed text that follows it.
 */
const rules: readonly FailRule[] = [
  ...errorRules({
    description: 'client denied by server configuration (AH01630, AH01797)',
    body: 'client denied by server configuration\\b',
    literals: ['client denied by server configuration'],
  }),
  ...errorRules({
    description: "client used wrong authentication scheme (AH01614; mod_auth_digest: `scheme `Basic': /uri`)",
    body: `${AUTH}client used wrong authentication scheme\\b`,
    literals: ['client used wrong authentication scheme'],
  }),
  ...errorRules({
    description: "digest: user `x' in realm `y' not found / denied by provider (AH01790, AH01791)",
    body: `${AUTH}user \`<F-USER>.*?</F-USER>' in realm \``,
    literals: ["' in realm `"],
  }),
  ...errorRules({
    description: 'basic/digest: password mismatch (AH01617, AH01792)',
    body: `${AUTH}user ${USER}: (?:authentication failure for "|password mismatch\\b)`,
    literals: [': authentication failure for "', ': password mismatch'],
  }),
  ...errorRules({
    description: 'user not found / authorization failure / denied by provider (AH01618, AH01631)',
    body: `${AUTH}user ${USER}:? (?:not found|authentication failure|authorization failure|denied by provider)\\b`,
    literals: ['not found', 'authentication failure', 'authorization failure', 'denied by provider'],
  }),
  ...errorRules({
    description: 'Authorization of user … to access … failed (Apache 2.2 authz modules)',
    body: 'Authorization of user <F-USER>.*?</F-USER> to access ',
    literals: ['Authorization of user '],
  }),
  ...errorRules({
    description:
      "Apache 2.2 mod_authz_user: access to … failed, reason: user '…' does not meet 'require'ments",
    body: "access to .*? failed, reason: user '<F-USER>[^']*</F-USER>' does not meet 'require'ments for user/valid-user\\b",
    literals: ["' does not meet 'require'ments"],
    only22: true,
  }),
  ...errorRules({
    description: 'mod_authnz_ldap: user authentication failed',
    // `[reason][LDAP error]`: only a wrong password or an unknown user, not an unreachable server
    // (`[ldap_search_ext_s() for user failed][Can't contact LDAP server]`).
    body: 'auth_ldap authenticate: user <F-USER>.*?</F-USER> authentication failed; URI [^\\[]*\\[[^\\]]*\\]\\[(?:Invalid credentials|[Nn]o [Ss]uch [Oo]bject)\\]',
    literals: ['auth_ldap authenticate: user '],
  }),
  ...errorRules({
    description: 'digest: invalid nonce (AH01775, AH01777)',
    body: `${AUTH}invalid nonce .*? received - (?:length is not|user attempted time travel)`,
    literals: ['invalid nonce '],
  }),
  ...errorRules({
    // A nonce the server no longer recognises: what every digest client presents once after the server
    // restarted (new secret), so only the aggressive mode counts it.
    description: 'digest: invalid nonce … hash is not … (AH01776; aggressive)',
    body: `${AUTH}invalid nonce .*? received - hash is not`,
    literals: ['invalid nonce '],
    when: { mode: ['aggressive'] },
  }),
  ...errorRules({
    description: 'digest: realm mismatch, unknown algorithm, invalid qop, uri mismatch (AH01786–AH01793)',
    body: `${AUTH}(?:realm mismatch - got \`|unknown algorithm \`|invalid qop \`|uri mismatch - <)`,
    literals: ['realm mismatch - got `', 'unknown algorithm `', 'invalid qop `', 'uri mismatch - <'],
  }),
  ...errorRules({
    description: 'mod_ssl: SNI host name missing or different from the HTTP Host (AH02031–AH02033)',
    body:
      '(?:No hostname was provided via SNI for a name based virtual host|Hostname [^\\s]+ provided via SNI(?:,| and)' +
      '|Hostname [^\\s]+ \\(default host as no SNI was provided\\) and hostname )',
    literals: ['via SNI', 'no SNI was provided'],
  }),
];

/**
 * `apache-auth`. Modes: `normal` ignores mod_evasive's `client denied by server configuration` lines
 * (its DoS blocking, not authentication); `aggressive` counts them too. Option `logging`: `file` (the
 * error log) or `syslog` (`ErrorLog syslog:…`); the messages are the same, the syslog header is removed by
 * the engine and only the Apache programs are read.
 */
export const apacheAuth = defineFilter({
  id: 'apache-auth',
  description: 'Apache: failed basic/digest authentication, denied clients',
  programs: APACHE_PROGRAMS,
  journalmatch: ['_SYSTEMD_UNIT=apache2.service', '+', '_SYSTEMD_UNIT=httpd.service'],
  options: {
    mode: {
      values: ['normal', 'aggressive'],
      default: 'normal',
      description: 'aggressive: also mod_evasive denials',
    },
    logging: {
      values: ['file', 'syslog'],
      default: 'file',
      description: 'where Apache writes its error log',
    },
  },
  failregex: rules,
  ignoreregex: (options) => (options.mode === 'aggressive' ? [] : ['^\\[evasive[0-9]*:[a-z]+[0-9]?\\] ']),
});
