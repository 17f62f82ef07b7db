/** Edit distance counting insertions, deletions, substitutions and swaps of neighbours (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The candidate closest to a mistyped word, if one is close enough to be a likely typo (same letters in another
 * case, a prefix of it, or about one edit per three letters) and no other candidate is just as close.
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const wanted = word.toLowerCase();
  let best: { candidate: string; distance: number; tied: boolean } | undefined;
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    const distance = lower.startsWith(wanted) || wanted.startsWith(lower) ? 0.5 : editDistance(wanted, lower);
    const allowed = Math.max(1, Math.floor(Math.max(wanted.length, lower.length) / 3));
    if (distance > allowed || (best && distance > best.distance)) continue;
    best = { candidate, distance, tied: best?.distance === distance };
  }
  return best && !best.tied ? best.candidate : undefined;
}
