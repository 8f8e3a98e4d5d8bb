/** One expected failure from a `#=` line: field name → value (`''` for `user=` meaning "no user"). */
export type Expectation = Readonly<Record<string, string>>;

/** One item of an annotated fixture file, in file order. */
export type FixtureItem =
  | { readonly type: 'header'; readonly lineno: number; readonly values: Readonly<Record<string, string>> }
  | { readonly type: 'line'; readonly lineno: number; readonly text: string; readonly expect: readonly Expectation[] }
  | { readonly type: 'error'; readonly lineno: number; readonly message: string };

/**
 * Parses `key=value key="value with spaces"` pairs. Returns undefined when the text is not made of such
 * pairs (an unclosed quote, a word without `=`).
 */
export function parsePairs(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    const eq = text.indexOf('=', i);
    if (eq <= i || /\s/.test(text.slice(i, eq))) return undefined;
    const key = text.slice(i, eq);
    i = eq + 1;
    let value: string;
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      if (close === -1) return undefined;
      value = text.slice(i + 1, close);
      i = close + 1;
    } else {
      let end = i;
      while (end < text.length && text[end] !== ' ' && text[end] !== '\t') end++;
      value = text.slice(i, end);
      i = end;
    }
    out[key] = value;
  }
  return out;
}

/**
 * Reads an annotated fixture: `# comment` (or a lone `#`), `#> key=value…` block headers, `#= field=value…`
 * expectations for the next log line, blank lines (ignored) and log lines. Line numbers are 1-based.
 */
export function parseFixture(content: string): FixtureItem[] {
  const items: FixtureItem[] = [];
  let expect: Expectation[] = [];
  const lines = content.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const lineno = i + 1;
    const text = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    if (text.trim() === '') continue;
    if (text === '#' || text.startsWith('# ') || text.startsWith('#\t')) continue;
    if (text.startsWith('#>') || text.startsWith('#=')) {
      const pairs = parsePairs(text.slice(2));
      if (!pairs) {
        items.push({ type: 'error', lineno, message: `cannot read "${text}" (expected key=value pairs)` });
        continue;
      }
      if (text[1] === '>') {
        if (expect.length > 0) items.push({ type: 'error', lineno, message: '#= expectation followed by a #> header, not a log line' });
        expect = [];
        items.push({ type: 'header', lineno, values: pairs });
      } else {
        expect.push(pairs);
      }
      continue;
    }
    items.push({ type: 'line', lineno, text, expect });
    expect = [];
  }
  if (expect.length > 0) items.push({ type: 'error', lineno: lines.length, message: '#= expectation at the end of the file, with no log line after it' });
  return items;
}
