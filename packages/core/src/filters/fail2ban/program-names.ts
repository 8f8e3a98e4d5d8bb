/**
 * The program names a fail2ban `_daemon` regex stands for, when it stands for a few fixed names:
 * `sshd` → [sshd], `(?:sendmail|sm-(?:mta|acceptingconnections))` → three names. Alternations, groups and
 * `?` are expanded; anything else (`\S*`, `\w+`, classes) means "any program" and gives undefined, so
 * the filter then reads lines of every program (its regexes still decide).
 */
export function programNames(daemon: string): string[] | undefined {
  const source = daemon.trim();
  if (source === '') return undefined;
  try {
    const p = { s: source, i: 0 };
    const names = alternation(p);
    if (p.i !== source.length || names.length === 0 || names.length > 64) return undefined;
    return [...new Set(names)].filter((n) => n !== '');
  } catch {
    return undefined;
  }
}

interface Cursor {
  s: string;
  i: number;
}

function alternation(p: Cursor): string[] {
  const out = sequence(p);
  while (p.s[p.i] === '|') {
    p.i++;
    out.push(...sequence(p));
  }
  return out;
}

function sequence(p: Cursor): string[] {
  let acc = [''];
  while (p.i < p.s.length && p.s[p.i] !== '|' && p.s[p.i] !== ')') {
    let atom: string[];
    const c = p.s[p.i]!;
    if (c === '(') {
      p.i += p.s.startsWith('(?:', p.i) ? 3 : 1;
      atom = alternation(p);
      if (p.s[p.i] !== ')') throw new Error('unbalanced');
      p.i++;
    } else if (c === '\\') {
      const e = p.s[p.i + 1]!;
      if (/[A-Za-z0-9]/.test(e)) throw new Error('class escape');
      atom = [e];
      p.i += 2;
    } else if (/[A-Za-z0-9_/@-]/.test(c)) {
      atom = [c];
      p.i++;
    } else {
      throw new Error('not a fixed name');
    }
    if (p.s[p.i] === '?') {
      atom = [...atom, ''];
      p.i++;
    }
    acc = acc.flatMap((a) => atom.map((b) => a + b));
    if (acc.length > 64) throw new Error('too many');
  }
  return acc;
}
