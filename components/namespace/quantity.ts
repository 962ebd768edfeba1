/**
 * Kubernetes resource quantities (`500m`, `2`, `16Gi`), just far enough to compare them: the
 * LimitRange defaults of a team namespace must never exceed the namespace's own quota, or every
 * container that relies on a default would be refused at admission.
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

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** True for the quantity forms the platform accepts (no exponent notation, no sign). */
export function isQuantity(value: string): boolean {
  return QUANTITY.test(value);
}

/** The value of a quantity in base units (cores, bytes). Throws on anything that is not a quantity. */
export function quantityValue(value: string): number {
  const match = QUANTITY.exec(value);
  if (!match) throw new Error(`${JSON.stringify(value)} is not a Kubernetes quantity such as 500m, 2, 16Gi`);
  return Number(match[1]) * SUFFIXES[match[2] ?? ""];
}

/** The smaller of two quantities, as written (no unit conversion in the result). */
export function minQuantity(a: string, b: string): string {
  return quantityValue(a) <= quantityValue(b) ? a : b;
}
