import { readFileSync } from 'node:fs';
import type { Failure, FilterDefinition } from '@portcullis/core';
import { type CompiledFilter, LineParser, compileFilter } from '@portcullis/core/engine';
import { type Expectation, parseFixture } from './fixture-file.js';

/** Outcome of checking one annotated fixture file. */
export interface FixtureResult {
  /** One message per mismatch, each naming the file and line; empty when the fixture holds. */
  errors: string[];
  /** Log lines checked. */
  lines: number;
  /** Failures the filter reported. */
  failures: number;
  /** Blocks (`#>` headers; a file without any counts as one block). */
  blocks: number;
  /** Patterns of the failregexes that produced at least one failure in this file. */
  rulesHit: Set<string>;
}

/** Renders a failure's fields the way `#=` lines write them. */
export function describeFailure(f: Failure): string {
  const parts = [`host=${f.host}`];
  if (f.user !== undefined) parts.push(`user=${quote(f.user)}`);
  parts.push(`time=${Number.isFinite(f.time) ? new Date(f.time).toISOString() : 'none'}`);
  for (const [k, v] of Object.entries(f.fields ?? {})) parts.push(`${k}=${quote(v)}`);
  return parts.join(' ');
}

function quote(v: string): string {
  return /[\s"]/.test(v) || v === '' ? `"${v}"` : v;
}

/** The first difference between an expectation and a failure, or undefined when it fits. */
function mismatch(expect: Expectation, f: Failure): string | undefined {
  for (const [key, want] of Object.entries(expect)) {
    let got: string | undefined;
    if (key === 'host') got = f.host;
    else if (key === 'user') got = f.user ?? '';
    else if (key === 'time') got = Number.isFinite(f.time) ? new Date(f.time).toISOString() : 'none';
    else if (key === 'rule') got = String(f.rule);
    else got = f.fields?.[key];
    if (key === 'time' && got !== 'none' && want !== 'none' && Date.parse(want) === f.time) continue;
    if (got !== want) return `${key}: expected ${JSON.stringify(want)}, got ${got === undefined ? 'nothing' : JSON.stringify(got)}`;
  }
  return undefined;
}

/**
 * Runs a filter over an annotated fixture file (format: the testkit README / docs) and compares every log
 * line's failures with its `#=` expectations; lines without one must yield none. Pending failures released
 * later count for the line they came from (`Failure.line.lineno`).
 */
export function checkFilterFixture(definition: FilterDefinition, file: string, options?: { now?: number }): FixtureResult {
  const result: FixtureResult = { errors: [], lines: 0, failures: 0, blocks: 0, rulesHit: new Set() };
  const items = parseFixture(readFileSync(file, 'utf8'));
  let filter: CompiledFilter | undefined;
  let parser: LineParser | undefined;
  let expectations = new Map<number, readonly Expectation[]>();
  let actual = new Map<number, Failure[]>();

  const finishBlock = (): void => {
    for (const [lineno, expect] of expectations) {
      const got = actual.get(lineno) ?? [];
      if (expect.length === 0 && got.length > 0) {
        for (const f of got) result.errors.push(`${file}:${lineno}: expected no failure, got ${describeFailure(f)}`);
        continue;
      }
      const free = [...got];
      for (const e of expect) {
        if (free.length === 0) {
          result.errors.push(`${file}:${lineno}: expected a failure ${describeExpect(e)}, got none`);
          continue;
        }
        const at = free.findIndex((f) => mismatch(e, f) === undefined);
        if (at === -1) {
          result.errors.push(`${file}:${lineno}: expected ${describeExpect(e)}, got ${describeFailure(free[0]!)} (${mismatch(e, free[0]!)})`);
          free.shift();
        } else {
          free.splice(at, 1);
        }
      }
    }
    for (const [lineno, got] of actual) {
      if (expectations.has(lineno)) continue;
      for (const f of got) result.errors.push(`${file}:${lineno}: failure attributed to a line outside its block: ${describeFailure(f)}`);
    }
    expectations = new Map();
    actual = new Map();
  };

  const startBlock = (values: Readonly<Record<string, string>>, lineno: number): void => {
    finishBlock();
    result.blocks++;
    filter = undefined;
    const { format = 'syslog', now, ...filterOptions } = values;
    if (format !== 'syslog' && format !== 'journal') {
      result.errors.push(`${file}:${lineno}: format must be syslog or journal, got "${format}"`);
      return;
    }
    const reference = now !== undefined ? Date.parse(now) : (options?.now ?? undefined);
    if (reference !== undefined && Number.isNaN(reference)) {
      result.errors.push(`${file}:${lineno}: now="${now}" is not an ISO date`);
      return;
    }
    try {
      filter = compileFilter(definition, filterOptions);
    } catch (e) {
      result.errors.push(`${file}:${lineno}: ${(e as Error).message}`);
      return;
    }
    parser = new LineParser({ format, now: reference === undefined ? undefined : () => reference });
  };

  // Lines before the first header (or in a file without one) use the filter's defaults.
  startBlock({}, 0);
  let sawLine = false;
  for (const item of items) {
    if (item.type === 'error') result.errors.push(`${file}:${item.lineno}: ${item.message}`);
    else if (item.type === 'header') {
      if (!sawLine) result.blocks--;
      sawLine = true;
      startBlock(item.values, item.lineno);
    } else {
      sawLine = true;
      if (!filter || !parser) continue;
      result.lines++;
      expectations.set(item.lineno, item.expect);
      const found = filter.match(parser.parse(item.text, item.lineno, file));
      for (const f of found ?? []) {
        result.failures++;
        const rule = filter.rules[f.rule];
        if (rule) result.rulesHit.add(rule.pattern);
        const from = f.line.lineno ?? item.lineno;
        const list = actual.get(from) ?? [];
        list.push(f);
        actual.set(from, list);
      }
    }
  }
  finishBlock();
  return result;
}

function describeExpect(e: Expectation): string {
  return Object.entries(e)
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join(' ');
}
