import { defineFilter, type FailRule } from '@portcullis/core';
import { errorRules } from './error-prefix.js';
import { APACHE_PROGRAMS } from './programs.js';

/**
 * `apache-overflows`: malformed or oversized requests (after fail2ban's apache-overflows): `request failed:
 * URI too long` (AH00565), `request failed: erroneous characters after protocol string` (AH00567),
 * `request failed: error reading the headers`, `request failed: invalid characters in URI`, `Invalid URI in
 * request` (AH00126), `Invalid method in request` (AH00135), `Request header exceeds LimitRequestFieldSize`
 * (AH00561/AH00562), `Size of a request header field exceeds server limit`, `Request header field is
 * missing ':' separator`, and `invalid URI path` (AH10244, the 2.4.49 path traversal).
 */
const rules: readonly FailRule[] = [
  ...errorRules({
    description: 'Invalid method / URI in request',
    body: '[Ii]nvalid (?:method|URI) in request\\b',
    literals: ['nvalid method in request', 'nvalid URI in request'],
  }),
  ...errorRules({
    description:
      'request failed: URI too long, erroneous characters, invalid characters, error reading the headers',
    body:
      'request failed: (?:URI too long|erroneous characters after protocol string|invalid characters in URI' +
      "|error reading the headers|malformed request line|client's request-line exceeds LimitRequestLine)\\b",
    literals: ['request failed: '],
  }),
  ...errorRules({
    description: 'request header too large or malformed',
    body:
      '(?:Request header exceeds LimitRequestField|Size of a request header field exceeds server limit' +
      "|Request header field is missing ':' separator)",
    literals: [
      'Request header exceeds LimitRequestField',
      'Size of a request header field',
      "is missing ':' separator",
    ],
  }),
  ...errorRules({
    description: 'invalid URI path (AH10244)',
    body: 'invalid URI path\\b',
    literals: ['invalid URI path'],
    only24: true,
  }),
];

/** `apache-overflows`. */
export const apacheOverflows = defineFilter({
  id: 'apache-overflows',
  description: 'Apache: overlong or malformed requests',
  programs: APACHE_PROGRAMS,
  journalmatch: ['_SYSTEMD_UNIT=apache2.service', '+', '_SYSTEMD_UNIT=httpd.service'],
  failregex: rules,
});
