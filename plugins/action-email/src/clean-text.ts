// Log lines and PTR names are written by attackers. Mail is plain text only (no HTML part), and these
// characters are removed before they reach a message: C0/C1 controls (terminal escapes, CR/LF smuggling),
// DEL, and the Unicode bidi and zero-width format characters used to make text read differently than it is.
const UNSAFE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** One line of untrusted text, safe to quote: no controls, tabs and newlines as spaces, at most `max` chars. */
export function cleanLine(text: string, max = 500): string {
  const line = text.replace(/[\t\n]/g, ' ').replace(UNSAFE, '');
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** A host name from reverse DNS, or undefined when it is not a plausible name. */
export function cleanHostname(name: string): string | undefined {
  const trimmed = name.replace(/\.$/, '');
  return /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/.test(trimmed) ? trimmed : undefined;
}

/** Fill `{name}` placeholders of a subject template; values are cleaned (no line breaks in a header). */
export function fillTemplate(template: string, values: Readonly<Record<string, string | number>>): string {
  return cleanLine(
    template.replace(/\{([A-Za-z]+)\}/g, (token, name: string) =>
      name in values ? String(values[name]) : token,
    ),
    300,
  );
}
