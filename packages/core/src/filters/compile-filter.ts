import {
  type Captures,
  type CompiledRule,
  capture,
  compileRule,
  containsLiterals,
  passesLiterals,
} from './compiled-rule.js';
import { PrefixDispatch } from './prefix-dispatch.js';
import { anyLiteralGate } from './any-literal.js';
import { CORRELATION_MAX_IDS, CORRELATION_MAX_WAITING, type CorrelationEntry, CorrelationState } from './correlation.js';
import { PortcullisError } from '../util/errors.js';
import type { CustomMatcher, FailRule, Failure, FilterDefinition, RuleKind } from '../contract/filter-definition.js';
import { resolveFilterOptions, selected } from './filter-options.js';
import { type CharSet, hasChar, leadingChars } from './regex-shape.js';
import { type LogLine, readsProgram } from '../contract/log-line.js';
import { MAX_LINE_LENGTH } from '../contract/limits.js';
import { detach, detachLine } from '../parsing/detach-string.js';
import { Fail2banDateDetector } from '../parsing/fail2ban-date-detector.js';

/** Options of {@link compileFilter}. */
export interface CompileOptions {
  /**
   * Messages longer than this are cut before any regex runs (default {@link MAX_LINE_LENGTH}, which the
   * line splitter already enforces). The hostile-input checks raise it to time the regexes on longer lines.
   */
  readonly maxLineLength?: number | undefined;
  /** Most correlation ids remembered at once (default 100,000; the least recently seen are evicted). */
  readonly maxCorrelationIds?: number | undefined;
  /** The clock a `datepattern` without a year or with `{NONE}` reads (default `Date.now`). */
  readonly now?: (() => number) | undefined;
  /**
   * Told of every `success` line that captures a host (a login that succeeded), with the line's time: the
   * jail remembers such hosts so a campaign never bans them.
   */
  readonly onSuccess?: ((host: string, time: number) => void) | undefined;
}

/** A filter ready to match lines, with one set of options. */
export interface CompiledFilter {
  readonly id: string;
  /** Resolved options (defaults filled in). */
  readonly options: Readonly<Record<string, string>>;
  /** The failregexes in effect, in order; {@link Failure.rule} indexes this. */
  readonly rules: readonly { pattern: string; kind: RuleKind; description?: string | undefined }[];
  /**
   * The filter's `programs`: a line whose program is known and not in here never matches, so a reader may
   * skip it before building it ({@link LineParser.parseFor}).
   */
  readonly programs: ReadonlySet<string> | undefined;
  /** Failures carried by this line (and pending failures it releases); `undefined`, allocation-free, when none. */
  match(line: LogLine): readonly Failure[] | undefined;
  /**
   * The time the filter read for the last line given to {@link match} (its `datepattern` or fail2ban's date
   * templates may read another date than the source's parser); NaN when it had none.
   */
  readonly lineTime: number;
  /** Forgets correlation state (and recreates the custom matcher). */
  reset(): void;
  /**
   * How a log's lines can be shared out between several copies of this filter (threads) with the same
   * failures as one copy reading them all: `lines` when the filter keeps nothing from one line to the next
   * (any line may go to any copy), `pid` when all it keeps is per process id (the correlation and a custom
   * matcher declaring {@link FilterDefinition.splitBy}: each pid's lines go to one copy), undefined when it
   * cannot be split (correlation by another key, a custom matcher that does not declare it, fail2ban's
   * multi-line buffer and its last date for lines without one).
   */
  readonly splitBy: 'lines' | 'pid' | undefined;
  /**
   * Most correlation ids held at once so far, and the limit beyond which the oldest are evicted: a
   * split that held more than the limit between its copies may have evicted differently than one copy.
   */
  readonly correlationIds: { readonly peak: number; readonly limit: number };
}

/**
 * Compiles a filter definition with options: selects the rules (`when`, function-valued `failregex`),
 * expands tags, derives literal pre-checks and builds a trie of the rules' literal prefixes, so most
 * lines are rejected, or given the one rule they can match, by one walk over their first characters.
 * @throws PortcullisError `FILTER_OPTION_INVALID` or `FILTER_REGEX_INVALID`.
 */
export function compileFilter(
  definition: FilterDefinition,
  options?: Readonly<Record<string, string>>,
  compileOptions?: CompileOptions,
): CompiledFilter {
  const opts = resolveFilterOptions(definition, options);
  const failSource =
    typeof definition.failregex === 'function' ? definition.failregex(opts) : definition.failregex;
  const rules: CompiledRule[] = [];
  for (const r of failSource) {
    const rule: FailRule = typeof r === 'string' ? { pattern: r } : r;
    if (!selected(rule.when, opts)) continue;
    rules.push(compileRule(definition.id, 'failregex', rules.length, rule));
  }
  const ignoreSource =
    typeof definition.ignoreregex === 'function'
      ? definition.ignoreregex(opts)
      : (definition.ignoreregex ?? []);
  const ignores = ignoreSource.map((pattern, i) => compileRule(definition.id, 'ignoreregex', i, { pattern }));
  return new RegexFilter(definition, opts, rules, ignores, compileOptions ?? {});
}

class RegexFilter implements CompiledFilter {
  readonly id: string;
  readonly options: Readonly<Record<string, string>>;
  readonly rules: readonly { pattern: string; kind: RuleKind; description?: string | undefined }[];
  private readonly definition: FilterDefinition;
  private readonly ignores: readonly CompiledRule[];
  private readonly dispatch: PrefixDispatch;
  /** Whether a message holds any rule's literal, asked once before the first literal check (see anyLiteralGate). */
  private readonly anyLiteral: RegExp | undefined;
  /** Filled by every match (see {@link capture}); only read before the next one. */
  private readonly caught: Captures = { host: undefined, user: undefined, fields: undefined };
  /**
   * Rules with the same literal checks (a rule per log format, say) share a group: per message each
   * group's `includes` runs once. `groupSeen[g] === generation` when group g was checked for this message.
   */
  private readonly groupOf: Int32Array;
  private readonly groupSeen: Uint32Array;
  private readonly groupPassed: Uint8Array;
  private generation = 0;
  readonly programs: ReadonlySet<string> | undefined;
  private readonly prefix: RegExp | undefined;
  /** First characters a non-empty prefix can start with (undefined: unknown, always run the prefix). */
  private readonly prefixStart: CharSet | undefined;
  private readonly maxLength: number;
  private readonly correlate: ((line: LogLine) => string | undefined) | undefined;
  private readonly state: CorrelationState;
  private readonly correlationLimit: number;
  private custom: CustomMatcher | undefined;
  private readonly onSuccess: ((host: string, time: number) => void) | undefined;
  /** `lineView: fail2ban`: fail2ban's date detection, which also decides the text the regexes see. */
  private readonly fail2banDates: Fail2banDateDetector | undefined;
  /** fail2ban's time for a line without a date: the last date seen (NaN before the first). */
  private lastTime = Number.NaN;
  /** `maxlines` > 1: the last lines' texts, oldest first, for multi-line regexes. */
  private readonly bufferSize: number;
  private buffer: string[] = [];
  private readonly now: () => number;
  lineTime = Number.NaN;
  readonly splitBy: 'lines' | 'pid' | undefined;

  constructor(
    definition: FilterDefinition,
    options: Readonly<Record<string, string>>,
    rules: CompiledRule[],
    ignores: CompiledRule[],
    co: CompileOptions,
  ) {
    this.definition = definition;
    this.id = definition.id;
    this.options = options;
    this.rules = rules.map((r) => ({ pattern: r.pattern, kind: r.kind, description: r.description }));
    this.ignores = ignores;
    this.dispatch = new PrefixDispatch(rules);
    this.anyLiteral = anyLiteralGate(rules);
    const groups = new Map<string, number>();
    this.groupOf = Int32Array.from(rules, (r) => {
      const key = JSON.stringify(r.literals ?? []);
      if (!groups.has(key)) groups.set(key, groups.size);
      return groups.get(key)!;
    });
    this.groupSeen = new Uint32Array(groups.size);
    this.groupPassed = new Uint8Array(groups.size);
    this.programs = definition.programs ? new Set(definition.programs) : undefined;
    if (definition.prefix) {
      try {
        // Sticky, run with test(): lastIndex tells the length without allocating a match array per line.
        this.prefix = new RegExp(`(?:${definition.prefix})`, 'y');
      } catch (e) {
        throw new PortcullisError(
          'FILTER_REGEX_INVALID',
          `filter "${definition.id}", prefix /${definition.prefix}/: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
      this.prefixStart = leadingChars(`(?:${definition.prefix})`);
    }
    this.maxLength = co.maxLineLength ?? MAX_LINE_LENGTH;
    const c = definition.correlate;
    // By pid alone: a log that mixes hosts with colliding pids is rare, and a key string per line is not.
    this.correlate = c === 'pid' ? (line) => line.pid : c;
    this.state = new CorrelationState(co.maxCorrelationIds);
    this.correlationLimit = co.maxCorrelationIds ?? CORRELATION_MAX_IDS;
    this.splitBy =
      definition.lineView === 'fail2ban'
        ? undefined
        : c === undefined && definition.match === undefined
          ? 'lines'
          : c === 'pid' && (definition.match === undefined || definition.splitBy === 'pid')
            ? 'pid'
            : undefined;
    this.custom = definition.match?.(options);
    this.onSuccess = co.onSuccess;
    this.now = co.now ?? Date.now;
    this.bufferSize = definition.lineView === 'fail2ban' ? Math.max(1, Math.min(definition.maxlines ?? 1, 100)) : 1;
    if (definition.lineView === 'fail2ban') {
      try {
        this.fail2banDates = new Fail2banDateDetector(definition.fail2banDates, this.now);
      } catch (e) {
        throw new PortcullisError('FILTER_REGEX_INVALID', `filter "${definition.id}", datepattern ${definition.fail2banDates}: ${(e as Error).message}`, { cause: e });
      }
    }
  }

  /**
   * The line as fail2ban hands it to a filter: the raw line without its date text (that date's time), or for a
   * record its source decoded (a journal entry: a time but no date in its text) `host program[pid]: message`.
   */
  private fail2banView(line: LogLine, dates: Fail2banDateDetector): LogLine {
    if (isDecodedRecord(line)) {
      if (line.program === undefined) return line;
      const tag = `${line.program}${line.pid !== undefined ? `[${line.pid}]` : ''}:`;
      return { ...line, message: `${line.hostname !== undefined ? `${line.hostname} ` : ''}${tag} ${line.message}` };
    }
    const raw = line.raw;
    let message = raw;
    let time: number;
    if (dates.none) time = Number.isFinite(line.time) ? line.time : this.now();
    else {
      const found = dates.find(raw);
      if (found !== undefined && Number.isFinite(found.time)) this.lastTime = found.time;
      time = found !== undefined && Number.isFinite(found.time) ? found.time : this.lastTime;
      // (A date at the start, the usual place, leaves a slice of the line: no copy.)
      if (found !== undefined) message = found.start === 0 ? raw.slice(found.end) : raw.slice(0, found.start) + raw.slice(found.end);
    }
    // Written out rather than spread: one object shape for every line.
    const view: LogLine = { raw, message, time, program: line.program, pid: line.pid, hostname: line.hostname, lineno: line.lineno, source: line.source };
    if (this.bufferSize === 1) return view;
    this.buffer.push(view.message.length > this.maxLength ? view.message.slice(0, this.maxLength) : view.message);
    if (this.buffer.length > this.bufferSize) this.buffer.shift();
    return { ...view, message: this.buffer.join('\n') };
  }

  get correlationIds(): { readonly peak: number; readonly limit: number } {
    return { peak: this.state.peak, limit: this.correlationLimit };
  }

  reset(): void {
    this.state.clear();
    this.buffer = [];
    this.lastTime = Number.NaN;
    this.custom = this.definition.match?.(this.options);
  }

  match(input: LogLine): readonly Failure[] | undefined {
    const line =
      this.fail2banDates !== undefined ? this.fail2banView(input, this.fail2banDates) : input;
    this.lineTime = line.time;
    if (
      this.programs !== undefined &&
      line.program !== undefined &&
      !readsProgram(this.programs, line.program)
    )
      return undefined;
    if (this.custom) {
      const found = this.custom.match(line);
      if (found !== undefined && found.length > 0) {
        // The regex rules still run for their correlation side effects (note, forget); what a forget releases
        // from earlier lines counts too, but this line's own failure is the custom matcher's.
        const released = this.correlate !== undefined ? this.matchRules(line, true) : undefined;
        return released === undefined ? found : [...found, ...released];
      }
    }
    const found = this.matchRules(line, false);
    // fail2ban drops the lines a multi-line regex matched from its buffer.
    if (found !== undefined && this.bufferSize > 1) this.buffer = [];
    return found;
  }

  /** Runs the regex rules; `sideEffectsOnly`: this line's own failure is not reported (see {@link match}). */
  private matchRules(line: LogLine, sideEffectsOnly: boolean): readonly Failure[] | undefined {
    let message = line.message;
    if (message.length > this.maxLength) message = message.slice(0, this.maxLength);
    // Most messages start with a character no prefix can: the prefix would match empty, so it is not run.
    if (
      this.prefix !== undefined &&
      (this.prefixStart === undefined || hasChar(this.prefixStart, message.charCodeAt(0)))
    ) {
      const prefix = this.prefix;
      prefix.lastIndex = 0;
      if (prefix.test(message) && prefix.lastIndex > 0) message = message.slice(prefix.lastIndex);
    }
    const candidates = this.dispatch.candidates(message);
    if (this.generation === 0xffffffff) {
      // After 2^32 messages: forget every group's last check rather than let an old one look current.
      this.groupSeen.fill(0);
      this.generation = 0;
    }
    const generation = ++this.generation;
    // 0: not asked yet; 1: the message holds some rule's literal; 2: none (every literal check fails).
    let gate = 0;
    for (let i = 0; i < candidates.length; i++) {
      const rule = candidates[i]!;
      if (rule.literals !== undefined) {
        const g = this.groupOf[rule.index]!;
        if (this.groupSeen[g] !== generation) {
          this.groupSeen[g] = generation;
          if (gate === 0) gate = this.anyLiteral === undefined || this.anyLiteral.test(message) ? 1 : 2;
          this.groupPassed[g] = gate === 1 && containsLiterals(rule, message) ? 1 : 0;
        }
        if (this.groupPassed[g] === 0) continue;
      }
      const caught = capture(rule, message, this.caught);
      if (caught === undefined) continue;
      if (this.ignored(message)) return undefined;
      if (this.fail2banDates !== undefined && caught.hostText !== undefined && ambiguous(rule, message, caught.hostText)) return undefined;
      return this.apply(rule, caught, line, sideEffectsOnly);
    }
    return undefined;
  }

  private ignored(message: string): boolean {
    for (const rule of this.ignores)
      if (passesLiterals(rule, message) && rule.regex.test(message)) return true;
    return false;
  }

  /** Turns a matched rule into failures, through the correlation state when the filter correlates. */
  private apply(
    rule: CompiledRule,
    caught: Captures,
    line: LogLine,
    sideEffectsOnly: boolean,
  ): readonly Failure[] | undefined {
    if (rule.kind === 'success' && caught.host !== undefined && !sideEffectsOnly) this.onSuccess?.(caught.host, line.time);
    const id = this.correlate?.(line);
    if (id === undefined) {
      // Without a correlation id nothing can be remembered: notes and successes do nothing, and a pending
      // failure cannot be confirmed, so it is dropped rather than risk banning a legitimate user.
      if (sideEffectsOnly || (rule.kind !== 'fail' && rule.kind !== 'fallback') || caught.host === undefined)
        return undefined;
      return [failure(rule, caught, caught.host, caught.user, line)];
    }
    const time = Number.isFinite(line.time) ? line.time : Date.now();
    const entry = this.state.touch(id, time);
    let out: Failure[] | undefined;
    if (rule.kind === 'success') {
      // A success only ends pending failures: its host and (attacker-written) user are not remembered.
      entry.pending = undefined;
      if (entry.waiting !== undefined) entry.waiting = entry.waiting.filter((w) => w.kind === 'fail');
    } else {
      // Remembered values outlive their line: detach them from the read buffer they were cut from.
      // (Unchanged values, the common case on a connection's later lines, are not copied again.)
      if (caught.user !== undefined && caught.user !== entry.user) entry.user = detach(caught.user);
      if (caught.host !== undefined) {
        if (caught.host !== entry.host) entry.host = detach(caught.host);
        if (entry.waiting !== undefined) out = release(entry, caught.host);
      }
      const host = caught.host ?? (rule.hasHost ? undefined : entry.host);
      const user = caught.user ?? entry.user;
      // A closing line counts only for a connection whose attempts left no failure of their own.
      const kind =
        rule.kind === 'fallback'
          ? entry.counted || entry.pending !== undefined || out !== undefined
            ? 'note'
            : 'fail'
          : rule.kind;
      if (!sideEffectsOnly && (kind === 'fail' || kind === 'pending')) {
        if (host !== undefined) {
          const f = failure(rule, caught, host, user, line);
          if (kind === 'fail') {
            (out ??= []).push(f);
            // The attempt is counted: what it left pending (PAM's line before `Failed password`) is settled.
            // (A closing line releases them instead: `Too many authentication failures` after failed keys.)
            if (!rule.forget) entry.pending = undefined;
          } else {
            const pending = (entry.pending ??= []);
            pending.push({ ...f, line: detachLine(line) });
            // A connection that piles up more pending failures than any client tries keys is abuse in
            // itself: the oldest count now, and what one id holds stays bounded.
            if (pending.length > CORRELATION_MAX_WAITING)
              (out ??= []).push(...pending.splice(0, pending.length - CORRELATION_MAX_WAITING));
          }
        } else if (!rule.hasHost && (entry.waiting?.length ?? 0) < CORRELATION_MAX_WAITING) {
          // No host yet: a later line of this id (e.g. `Connection closed by <host>`) may name it.
          (entry.waiting ??= []).push({
            kind,
            failure: {
              time: line.time,
              user,
              fields: caught.fields,
              line: detachLine(line),
              rule: rule.index,
            },
          });
        }
      }
    }
    if (out !== undefined) entry.counted = true;
    if (rule.forget) {
      if (entry.pending !== undefined) out = out ? [...entry.pending, ...out] : entry.pending;
      // Host-less failures still wait for the line that names the host: old sshd logs `Disconnecting: Too
      // many authentication failures` before `Connection closed by <host>`.
      // (Nothing was counted for it then: a failure is only counted once the id has a host.)
      if (entry.waiting === undefined) this.state.delete(id);
      else entry.pending = undefined;
    }
    return out;
  }
}

/**
 * For regexes nobody reviewed for us (fail2ban's): true when the rule also matches the message with every
 * occurrence of the captured host blanked out and takes another address — the line holds a second address,
 * so which one is the client depends on how the regex backtracks, and injected text (a user name
 * `x, ip=[203.0.113.66]` before courier's real `ip=[…]`) could be banned. Such a line reports nothing.
 */
/** A dotted quad; IPv6-looking text (`::`, or `:h:h:`, which a `12:37:58` time is not). Each starts with a literal. */
const V4ISH = /\d\.\d{1,3}\.\d{1,3}\.\d/;
const V6ISH = /:(?::|[\da-f]{1,4}:[\da-f]{1,4}:)/i;
const ADDRESSY = { test: (text: string): boolean => V4ISH.test(text) || (text.includes(':') && V6ISH.test(text)) };

function ambiguous(rule: CompiledRule, message: string, hostText: string): boolean {
  // No other address-shaped text around the host: nothing else
  // to take — checked on the two sides, without building the masked line, for the common case.
  const at = message.indexOf(hostText);
  if (at >= 0 && !ADDRESSY.test(message.slice(0, at)) && !ADDRESSY.test(message.slice(at + hostText.length))) return false;
  const masked = message.split(hostText).join('\u0000'.repeat(hostText.length));
  // Only a second address counts: a host name the rule could also take (sendmail's `relay=name [address]`)
  // is the same client written another way.
  const other = capture(rule, masked)?.host;
  return other !== undefined && /^[\d.]+$|:/.test(other);
}

/**
 * True for a record its source decoded (a journal entry), whose `raw` is only `program[pid]: message` for
 * display (see `decodeJournalRecord`): its date is not in its text.
 */
function isDecodedRecord(line: LogLine): boolean {
  const { raw, message, program, pid } = line;
  const head = (program?.length ?? 0) + (pid ? pid.length + 2 : 0) + 2;
  return (
    Number.isFinite(line.time) &&
    raw.length === head + message.length &&
    raw.charCodeAt(head - 2) === 58 &&
    raw.endsWith(message) &&
    (program === undefined || raw.startsWith(program))
  );
}

/** Gives the waiting failures of `entry` their host: fails are returned, pendings join the pending list. */
function release(entry: CorrelationEntry, host: string): Failure[] | undefined {
  let out: Failure[] | undefined;
  for (const w of entry.waiting!) {
    const f: Failure = { ...w.failure, host, user: w.failure.user ?? entry.user };
    if (w.kind === 'fail') (out ??= []).push(f);
    else (entry.pending ??= []).push(f);
  }
  entry.waiting = undefined;
  return out;
}

function failure(
  rule: CompiledRule,
  caught: Captures,
  host: string,
  user: string | undefined,
  line: LogLine,
): Failure {
  return { host, time: line.time, user, fields: caught.fields, line, rule: rule.index };
}
