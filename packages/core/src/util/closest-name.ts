/** Edit distance (insertions, deletions, substitutions), giving up past `limit`: short ids only. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      row.push(d);
      if (d < best) best = d;
    }
    if (best > limit) return limit + 1;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidate a mistyped name most likely meant, for "did you mean": the nearest by edit distance
 * (case-insensitive, at most a third of the name's length, at least 2), else one that contains the name
 * or is contained in it. Undefined when nothing is close.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const wanted = name.toLowerCase();
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  let containing: string | undefined;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    if (c === wanted) return candidate;
    const d = distance(wanted, c, limit);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
    if (containing === undefined && wanted.length >= 3 && (c.includes(wanted) || wanted.includes(c))) containing = candidate;
  }
  return best ?? containing;
}

/** `; did you mean "x"?` for a message, or '' when nothing is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const guess = closestName(name, candidates);
  return guess === undefined ? '' : `; did you mean "${guess}"?`;
}
