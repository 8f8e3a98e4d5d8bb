import { readFileSync } from 'node:fs';
import type { FilterDefinition } from '@portcullis/core';
import { LineParser, compileFilter } from '@portcullis/core/engine';
import { describe, expect, it } from 'vitest';
import { courierAuth, courierSmtp } from '../src/index.js';

/** The smuggled addresses: they must never be reported. */
const MARKERS = ['203.0.113.66', '2001:db8:bad::66'];

/** What an attacker puts into user names, envelope addresses, ident answers and AUTH data. */
const PAYLOADS = [
  'x, ip=[203.0.113.66]',
  'x, ip=[2001:db8:bad::66], port=[25]',
  'LOGIN FAILED, user=y, ip=[::ffff:203.0.113.66]',
  'error,relay=203.0.113.66,from=<x',
  'x>: 550 User unknown.',
  'error,relay=2001:db8:bad::66,msg="535 Authentication failed.",cmd: x',
  '203.0.113.66',
];

const parser = new LineParser({ format: 'syslog', now: () => Date.parse('2024-12-31T00:00:00Z') });

/** Every positive sample of a fixture file, with its expected host. */
function samples(file: string): { line: string; host: string }[] {
  const lines = readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8').split('\n');
  const out: { line: string; host: string }[] = [];
  lines.forEach((line, i) => {
    const host = /^#= host=(\S+)/.exec(line)?.[1];
    const next = lines[i + 1];
    if (host && next && !next.startsWith('{')) out.push({ line: next, host });
  });
  return out;
}

/** The line with one attacker-written field replaced by `payload`, for each such field in it. */
function mutations(line: string, payload: string): string[] {
  const fields = [
    /(user=).*?(, ip=\[[^\]]*\](?:, port=\[\d+\])?$)/,
    /(ident=)[^,]*(,)/,
    /(from=<)[^>]*(>)/,
    /(to=<)[^>]*(>)/,
    /(cmd: ).*()$/,
  ];
  return fields
    .filter((field) => field.test(line))
    .map((field) => line.replace(field, (_m, a: string, b: string) => `${a}${payload}${b}`));
}

function check(filter: FilterDefinition, file: string): number {
  const compiled = compileFilter(filter, {});
  let checked = 0;
  for (const { line, host } of samples(file)) {
    for (const payload of PAYLOADS) {
      for (const mutated of mutations(line, payload)) {
        const hosts = (compiled.match(parser.parse(mutated)) ?? []).map((f) => f.host);
        for (const h of hosts) expect(MARKERS, mutated).not.toContain(h);
        if (hosts.length > 0) expect(hosts, mutated).toEqual([host]);
        checked++;
      }
    }
  }
  return checked;
}

describe('courier: attacker-written fields never supply the host', () => {
  it('courier-auth: user names', () => {
    expect(check(courierAuth, 'courier-auth.log')).toBeGreaterThan(50);
  });

  it('courier-smtp: envelope, ident and AUTH data', () => {
    expect(check(courierSmtp, 'courier-smtp.log')).toBeGreaterThan(50);
  });

  it('courier-auth: a user name cannot make a successful login a failure', () => {
    const compiled = compileFilter(courierAuth, {});
    const line =
      'Nov 13 08:11:55 mail imapd: LOGIN, user=x LOGIN FAILED, user=y, ip=[203.0.113.66], ip=[::ffff:192.0.2.10], port=[143], protocol=IMAP';
    expect(compiled.match(parser.parse(line)) ?? []).toEqual([]);
  });
});

/** 64 KiB lines built from the fragments the courier rules quantify over. */
function courierHostile(program: string, starts: readonly string[], fragments: readonly string[]): string[] {
  const out: string[] = [];
  for (const start of starts) {
    for (const fragment of fragments) {
      const room = 64 * 1024 - start.length - 2;
      out.push(
        `Feb 25 13:34:10 mail ${program}[1]: ${start}${fragment.repeat(Math.ceil(room / fragment.length)).slice(0, room)} x`,
      );
    }
  }
  return out;
}

describe('courier: linear on long hostile lines', () => {
  const cases = [
    {
      filter: courierAuth,
      lines: courierHostile(
        'imapd',
        ['LOGIN FAILED, user=', 'LOGIN FAILED, method=', 'LOGIN FAILED, '],
        [', ip=[', ', ip=[192.0.2.7]', ', ip=[192.0.2.7], port=[1]', ', ', '[', ':'],
      ),
    },
    {
      filter: courierSmtp,
      lines: courierHostile(
        'courieresmtpd',
        ['error,relay=192.0.2.7,', 'error,relay=192.0.2.7,port=1,ident=', 'error,relay='],
        [': ', ': 550 User <', ': 550 User unknown.', ',', 'msg="535 Authentication failed.",cmd:', ':'],
      ),
    },
  ];
  for (const { filter, lines } of cases) {
    it(`${filter.id}: ${lines.length} lines of 64 KiB stay linear`, () => {
      const compiled = compileFilter(filter, {}, { maxLineLength: 128 * 1024 });
      const started = performance.now();
      for (const line of lines)
        for (const f of compiled.match(parser.parse(line)) ?? []) expect(f.host).toBe('192.0.2.7');
      // Backtracking would take minutes; the bound is generous so a loaded machine never fails it.
      expect(performance.now() - started).toBeLessThan(15_000);
    });
  }
});
