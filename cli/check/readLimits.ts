/**
 * Bounds on what `mlstack check` reads, so a hostile input ends in one clear message (exit 2)
 * instead of a stack overflow, an out-of-memory crash or a hang.
 */

/**
 * Deepest nesting of maps and lists a document may have. The deepest Kubernetes schemas nest
 * about 30 levels (a CronJob's container probe); 500 leaves room for any real manifest or preview
 * while keeping every recursive walk (the readers', the policy rules') far from the JavaScript
 * stack limit, which a 5,000-level input overflows — the `yaml` package's own parser already runs
 * out at about 880 levels of block maps.
 */
export const MAX_NESTING_DEPTH = 500;

/**
 * Nodes that YAML aliases may add to one document when expanded. Anchors in real manifests
 * repeat a few dozen nodes; a "billion laughs" document would expand to 10^9 and exhaust memory.
 * go-yaml (kubectl's parser) refuses "excessive aliasing" by a ratio; a fixed budget is simpler
 * to state and still a thousand times what a real document uses.
 */
export const MAX_ALIAS_EXPANSION = 100_000;

/** An input beyond one of the bounds above: reported as unusable input (exit 2), never a trace. */
export class ReadLimitError extends Error {}

export function nestingTooDeep(): ReadLimitError {
  return new ReadLimitError(
    `nested more than ${MAX_NESTING_DEPTH} levels deep (maps and lists): no Kubernetes object or preview nests that deep, refused as hostile input`,
  );
}

/**
 * Refuses JSON text nested deeper than `MAX_NESTING_DEPTH`, before it is parsed: one pass over
 * the characters, skipping strings. Returns the offset of the first bracket beyond the bound.
 */
export function jsonNestingBeyondLimit(text: string): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > MAX_NESTING_DEPTH) return i;
    } else if (c === 125 || c === 93) depth--;
  }
  return undefined;
}
