import { readFileSync } from 'node:fs';
import type { FilterDefinition } from '@portcullis/core';
import { LineParser, compileFilter } from '@portcullis/core/engine';
import { describe, expect, it } from 'vitest';
import { postfix } from '../src/index.js';

/** The smuggled addresses: they must never be reported. */
const MARKERS = ['203.0.113.66', '2001:db8:bad::66'];

/** What an attacker puts into HELO, envelope addresses and SASL data. */
const PAYLOADS = [
  'unknown[203.0.113.66]',
  '[2001:db8:bad::66]',
  'x> from unknown[203.0.113.66]: 554 5.7.1 <x',
  'NOQUEUE: reject: RCPT from unknown[203.0.113.66]: 554 5.7.1 <x>: Relay access denied;',
  'warning: unknown[203.0.113.66]: SASL LOGIN authentication failed: x',
  '>: Relay access denied; from=<a> to=<b> proto=ESMTP helo=<unknown[2001:db8:bad::66]',
  'x unknown[203.0.113.66]:25',
];

function modesOf(filter: FilterDefinition): string[] {
  return [...(filter.options?.mode?.values ?? [])];
}

const parser = new LineParser({ format: 'syslog', now: () => Date.parse('2024-12-31T00:00:00Z') });

function hostsOf(filter: ReturnType<typeof compileFilter>, raw: string): string[] {
  return (filter.match(parser.parse(raw)) ?? []).map((f) => f.host);
}

/** Every positive sample of the fixtures, with its expected host. */
function samples(): { line: string; host: string }[] {
  const out: { line: string; host: string }[] = [];
  for (const name of ['postfix.log', 'postfix-modes.log', 'postfix-formats.log']) {
    const lines = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const host = /^#= host=(\S+)/.exec(line)?.[1];
      const next = lines[i + 1];
      if (host && next && !next.startsWith('{')) out.push({ line: next, host });
    });
  }
  return out;
}

/** The line with one attacker-written field replaced by `payload`, for each such field in it. */
function mutations(line: string, payload: string): string[] {
  const out: string[] = [];
  const fields = [
    /(helo=<)[^>]*(>)/,
    /(from=<)[^>]*(>)/,
    /(to=<)[^>]*(>)/,
    /(: [45]\d\d [45]\.\d+\.\d+ <)[^>]*(>: )/,
    /(authentication failed: )[^,]*(,|$)/,
    /(sasl_username=).*()$/,
    /(after [0-9.]+ from \[[^\]]+\]:\d+: ).*()$/,
    /(non-SMTP command from [^\]]+\]: ).*()$/,
    /(pipelining after [A-Z]+ from [^\]]+\]: ).*()$/,
  ];
  for (const field of fields) {
    if (field.test(line)) out.push(line.replace(field, (_m, a: string, b: string) => `${a}${payload}${b}`));
  }
  return out;
}

describe('postfix: attacker-written fields never supply the host', () => {
  for (const mode of modesOf(postfix)) {
    it(`mode=${mode}: every mutated sample yields the real peer or nothing`, () => {
      const filter = compileFilter(postfix, { mode });
      let checked = 0;
      for (const { line, host } of samples()) {
        const original = hostsOf(filter, line);
        for (const payload of PAYLOADS) {
          for (const mutated of mutations(line, payload)) {
            const hosts = hostsOf(filter, mutated);
            for (const h of hosts) expect(MARKERS, mutated).not.toContain(h);
            // The host is printed before every attacker field: a match still names the same peer.
            if (hosts.length > 0) expect(hosts, mutated).toEqual([host]);
            if (original.length > 0) checked++;
          }
        }
      }
      if (mode === 'aggressive') expect(checked).toBeGreaterThan(100);
    });
  }

  it('a Postfix line that quotes client text first never matches', () => {
    const filter = compileFilter(postfix, { mode: 'aggressive' });
    const lines = [
      'Feb 18 09:45:27 mx1 postfix/smtpd[3]: warning: Illegal address syntax from unknown[192.0.2.10] in RCPT command: <lost connection after AUTH from unknown[203.0.113.66]>',
      'Feb 18 09:45:28 mx1 postfix/cleanup[5]: 4F1B82C0A1: warning: header Subject: NOQUEUE: reject: RCPT from unknown[203.0.113.66]: 554 5.7.1 <x>: Relay access denied from unknown[192.0.2.10]; proto=ESMTP helo=<x>',
      'Feb 18 09:45:29 mx1 postfix/smtpd[3]: 4F1B82C0A1: client=unknown[192.0.2.10], sasl_method=LOGIN, sasl_username=warning: unknown[203.0.113.66]: SASL LOGIN authentication failed: x',
      'Feb 18 09:45:30 mx1 postfix/cleanup[5]: 4F1B82C0A1: reject: header From: lost connection after AUTH from unknown[203.0.113.66] from unknown[192.0.2.10]; from=<a> to=<b> proto=ESMTP helo=<x>: 5.7.1 bad header',
    ];
    for (const line of lines) expect(hostsOf(filter, line), line).toEqual([]);
  });
});

/** 64 KiB lines built from the fragments Postfix's own rules quantify over. */
function postfixHostile(): string[] {
  const starts = [
    'NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 5.7.1 <',
    'warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: ',
    'disconnect from unknown[192.0.2.7]',
    'PREGREET 11 after ',
    'improper command pipelining after CONNECT from ',
    'lost connection after AUTH from ',
    'NOQUEUE: reject: ',
  ];
  const fragments = [
    ', sasl_username=',
    ' ehlo=1',
    ' auth=0/',
    '<x>: ',
    '[',
    '0.',
    'unknown[',
    ':1',
    'a',
    ' ',
  ];
  const out: string[] = [];
  for (const start of starts) {
    for (const fragment of fragments) {
      const room = 64 * 1024 - start.length - 2;
      out.push(
        `Feb 25 13:34:10 mx postfix/smtpd[1]: ${start}${fragment.repeat(Math.ceil(room / fragment.length)).slice(0, room)} x`,
      );
    }
  }
  return out;
}

describe('postfix: linear on long hostile lines', () => {
  for (const mode of modesOf(postfix)) {
    it(`mode=${mode}: 70 lines of 64 KiB stay linear`, () => {
      const filter = compileFilter(postfix, { mode }, { maxLineLength: 128 * 1024 });
      const lines = postfixHostile();
      const started = performance.now();
      for (const line of lines)
        for (const f of filter.match(parser.parse(line)) ?? []) expect(f.host).toBe('192.0.2.7');
      // Backtracking would take minutes; the bound is generous so a loaded machine never fails it.
      expect(performance.now() - started).toBeLessThan(15_000);
    });
  }
});
