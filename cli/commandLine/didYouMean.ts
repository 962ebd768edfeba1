/**
 * "Did you mean …?" for a mistyped command or option: the closest known word by edit distance
 * (insertions, deletions, substitutions and swaps of neighbours each cost 1), when it is close
 * enough to be a typo rather than a different word.
 */

/**
 * Edit distance with adjacent transpositions (optimal string alignment), so `plna` is one edit
 * from `plan`, as a typo is.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The known word closest to `typed`, or undefined when none is within a third of its length
 * (at least 1, at most 3 edits; none for words under 3 characters): `plna` → `plan`, `--quite` → `--quiet`, but `deploy` → nothing.
 * A known word that starts with what was typed (`--form` → `--format`) also counts.
 */
export function didYouMean(typed: string, known: readonly string[]): string | undefined {
  // Two characters (`-x`) are too short to guess from: every short option is one edit away.
  const limit = typed.length < 3 ? 0 : Math.min(3, Math.max(1, Math.floor(typed.length / 3)));
  let best: { word: string; distance: number } | undefined;
  for (const word of known) {
    const distance = editDistance(typed.toLowerCase(), word.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { word, distance };
  }
  if (best) return best.word;
  if (typed.length >= 3) return known.find((word) => word.startsWith(typed));
  return undefined;
}
