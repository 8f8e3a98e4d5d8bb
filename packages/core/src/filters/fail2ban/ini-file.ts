/**
 * Reads one fail2ban config file the way Python's `configparser` does for fail2ban: `[section]` headers,
 * `key = value` or `key: value`, indented continuation lines joined with `\n`, whole-line comments (`#`,
 * `;`, also inside a multi-line value) and inline comments after ` ;`. Option names are lower-cased, as
 * `configparser` does. Every value remembers the file and line it came from, for error messages.
 */

/** One option's raw value and where it was written. */
export interface IniValue {
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

/** Sections in file order; `DEFAULT` is a section like the others here. */
export type IniSections = Map<string, Map<string, IniValue>>;

/** Parses the text of one file; syntax errors name the file and line. */
export function parseIni(text: string, file: string): IniSections {
  const sections: IniSections = new Map();
  let current: Map<string, IniValue> | undefined;
  let key: string | undefined;
  let value: string[] = [];
  let keyLine = 0;
  const flush = (): void => {
    if (current !== undefined && key !== undefined) {
      // configparser drops trailing empty lines of a value.
      while (value.length > 1 && value[value.length - 1] === '') value.pop();
      current.set(key, { value: value.join('\n'), file, line: keyLine });
    }
    key = undefined;
    value = [];
  };
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    const stripped = raw.trim();
    if (stripped.startsWith('#') || stripped.startsWith(';')) continue;
    if (stripped === '') {
      if (key !== undefined) value.push('');
      continue;
    }
    const text = stripInlineComment(raw);
    if (/^\s/.test(raw) && key !== undefined) {
      value.push(text.trim());
      continue;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(text);
    if (header) {
      flush();
      const name = header[1]!;
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      continue;
    }
    const kv = /^([^=:\s][^=:]*?)\s*[=:]\s?(.*)$/.exec(text);
    if (!kv || current === undefined) {
      throw new Error(`${file}:${n + 1}: ${current === undefined ? 'option outside a section' : 'cannot read this line'}: ${raw}`);
    }
    flush();
    key = kv[1]!.trim().toLowerCase();
    value = [kv[2]!.trim()];
    keyLine = n + 1;
  }
  flush();
  return sections;
}

/** configparser's `inline_comment_prefixes=';'`: a `;` after whitespace starts a comment. */
function stripInlineComment(line: string): string {
  const m = /\s;/.exec(line);
  return m ? line.slice(0, m.index) : line;
}
