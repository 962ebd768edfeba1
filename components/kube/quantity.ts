/**
 * Kubernetes resource quantities (`500m`, `2`, `16Gi`, `1e3`): one parser for the config layer and
 * every component. Grammar from k8s.io/apimachinery/pkg/api/resource/quantity.go (kubernetes v1.34):
 *
 *   <quantity> ::= <number><suffix>,  <number> ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
 *   <suffix>   ::= Ki | Mi | Gi | Ti | Pi | Ei  |  m | "" | k | M | G | T | P | E  |  e<signed digits>
 *
 * mlstack refuses a sign: no budget, size or limit it asks for may be negative.
 */

const SUFFIXES: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/;

/** What every message about a quantity says is allowed. */
export const QUANTITY_RULE = "a Kubernetes quantity such as 500m, 2, 16Gi or 1e9 (no sign, no spaces)";

/** True for a quantity Kubernetes accepts and mlstack allows (unsigned). */
export function isQuantity(value: string): boolean {
  return QUANTITY.test(value);
}

/** The value of a quantity in base units (cores, bytes). Throws on anything that is not a quantity. */
export function quantityValue(value: string): number {
  const match = QUANTITY.exec(value);
  if (!match) throw new Error(`${JSON.stringify(value)} is not ${QUANTITY_RULE}`);
  const [, number, suffix, exponent] = match;
  const multiplier = exponent !== undefined ? 10 ** Number(exponent) : SUFFIXES[suffix ?? ""];
  return Number(number) * multiplier;
}

/** The smaller of two quantities, as written (no unit conversion in the result). */
export function minQuantity(a: string, b: string): string {
  return quantityValue(a) <= quantityValue(b) ? a : b;
}

/** Whole GiB in a storage quantity, rounded up (cloud volume sizes are whole GiB). */
export function quantityGiB(value: string): number {
  return Math.ceil(quantityValue(value) / SUFFIXES.Gi);
}

/**
 * Bytes in a memory quantity, or undefined when it is not a quantity or uses the milli suffix
 * (`1m` of memory is a thousandth of a byte: always a typo for `1Mi`).
 */
export function memoryBytes(value: string): number | undefined {
  if (!isQuantity(value) || value.endsWith("m")) return undefined;
  return quantityValue(value);
}
