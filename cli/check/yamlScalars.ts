/**
 * Plain YAML scalars resolved the way kubectl resolves them. kubectl reads manifests through
 * sigs.k8s.io/yaml, which parses with go-yaml v2 (YAML 1.1) and converts the result to JSON.
 * Source: go-yaml v2 `resolve.go` (github.com/go-yaml/yaml, branch v2, vendored by sigs.k8s.io/yaml
 * as `goyaml.v2`) and sigs.k8s.io/yaml `yaml.go` (`convertToJSONableObject`); checked against
 * kubectl v1.32 by test/cli/checkYaml11.test.ts.
 *
 * What follows from them:
 * - `y Y yes Yes YES on On ON true True TRUE` are `true`, `n N no No NO off Off OFF false False
 *   FALSE` are `false` (not `oN`, not `yES`); `~ null Null NULL` and the empty scalar are null.
 * - Integers as Go's `strconv.ParseInt(s, 0, 64)` reads them after removing `_`: `0x1F`, `0o17`,
 *   `0b101`, `0777` (octal), `+12`; out of range, they become floats.
 * - Floats matching `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (so `08` is 8); `.inf`
 *   and `.nan` cannot become JSON, and kubectl refuses the file.
 * - Timestamps (`2001-12-14`) and sexagesimal numbers (`190:20:30`) stay strings.
 */

/** A scalar kubectl cannot turn into JSON (`.inf`, `.nan`): the file is refused, as kubectl refuses it. */
export class UnrepresentableScalar extends Error {}

const TRUE = new Set(["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"]);
const FALSE = new Set(["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"]);
const NULL = new Set(["", "~", "null", "Null", "NULL"]);
const NOT_JSON = new Set([
  ".nan",
  ".NaN",
  ".NAN",
  ".inf",
  ".Inf",
  ".INF",
  "+.inf",
  "+.Inf",
  "+.INF",
  "-.inf",
  "-.Inf",
  "-.INF",
]);
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const GO_INT = /^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const MAX_UINT64 = 18446744073709551615n;
const MIN_INT64 = -9223372036854775808n;

/** Go's `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint`; undefined when neither reads it. */
function goInteger(plain: string): bigint | undefined {
  if (!GO_INT.test(plain)) return undefined;
  const negative = plain.startsWith("-");
  const unsigned = plain.replace(/^[-+]/, "").toLowerCase();
  // A leading 0 alone means octal in Go's base-0 parsing (`0777`); BigInt wants `0o777`.
  const value = BigInt(/^0[0-7]+$/.test(unsigned) ? `0o${unsigned.slice(1)}` : unsigned);
  const signed = negative ? -value : value;
  return signed < MIN_INT64 || signed > MAX_UINT64 ? undefined : signed;
}

/** The value of a plain (unquoted, untagged) scalar, as go-yaml v2 resolves it. */
export function resolvePlainScalar(text: string): unknown {
  if (text.length === 0) return null;
  const first = text.charCodeAt(0);
  // Only scalars starting with these can be anything but a string (go-yaml's resolve table).
  const digitOrSign = (first >= 48 && first <= 57) || first === 43 || first === 45;
  if (!digitOrSign && first !== 46 && !"yYnNtTfFoO~".includes(text[0])) return text;
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  if (NULL.has(text)) return null;
  if (NOT_JSON.has(text))
    throw new UnrepresentableScalar(`${text} is not a JSON number (kubectl refuses it too)`);
  if (first === 46) {
    const f = Number(text);
    return YAML_STYLE_FLOAT.test(text) && Number.isFinite(f) ? f : text;
  }
  if (!digitOrSign) return text;
  if (/^\d{4}-\d/.test(text)) return text; // a timestamp: go-yaml hands it to interface{} as the string
  const plain = text.replace(/_/g, "");
  const int = goInteger(plain);
  if (int !== undefined) return Number(int);
  if (YAML_STYLE_FLOAT.test(plain)) {
    const f = Number(plain);
    // Go's ParseFloat fails on overflow (1e400), and go-yaml then keeps the string.
    if (Number.isFinite(f)) return f;
  }
  return text;
}

/**
 * Go's `strconv.FormatFloat(f, 'g', -1, 32)`: how sigs.k8s.io/yaml spells a float map key
 * (`1e6:` becomes `"1e+06"`, `3.14159265358979:` becomes `"3.1415927"`). Go picks the shortest
 * digits that read back as the same float32, and %e form when the exponent is < -4 or >= 6.
 */
function goFloat32Key(value: number): string {
  const f = Math.fround(value);
  if (f === 0) return "0";
  let digits = "0";
  let exponent = 0;
  for (let precision = 1; precision <= 9; precision++) {
    const s = Math.abs(f).toExponential(precision - 1);
    if (Math.fround(Number(s)) === Math.abs(f) || precision === 9) {
      const [mantissa, exp] = s.split("e");
      digits = mantissa.replace(".", "").replace(/0+$/, "") || "0";
      exponent = Number(exp);
      break;
    }
  }
  const sign = f < 0 ? "-" : "";
  if (exponent < -4 || exponent >= 6) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exponent);
    return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${e < 10 ? `0${e}` : e}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return `${sign}${digits}${"0".repeat(exponent + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/** A map key kubectl cannot turn into a JSON member name (null, a map, a list, an integer beyond int64). */
export class UnsupportedMapKey extends Error {}

const MAX_INT64 = 9223372036854775807n;

/** The Go type a map key has in go-yaml before it becomes a JSON member name. */
export type KeyKind = "string" | "bool" | "int" | "float";

/**
 * Go keys of different types may become the same JSON name (`yes` and `"true"`, `1` and `"1"`).
 * sigs.k8s.io/yaml then keeps whichever its (random-order) map iteration meets last, so kubectl
 * reads such a map differently from run to run: refused as ambiguous.
 */
export class AmbiguousMapKey extends Error {}

/** Records that `name` was set from a key of `kind` in a map; refuses a second kind for one name. */
export class KeyKinds {
  private kinds: Map<string, KeyKind> | undefined;

  /** `present`: the map already has the member. */
  note(name: string, kind: KeyKind, present: boolean, source: string): void {
    const before = present ? (this.kinds?.get(name) ?? "string") : undefined;
    if (before !== undefined && before !== kind)
      throw new AmbiguousMapKey(
        `map keys ${JSON.stringify(name)} (a ${before}) and ${source} (a ${kind}) both become the JSON member ${JSON.stringify(name)}; kubectl keeps one of them at random: refused as ambiguous`,
      );
    if (kind !== "string" || this.kinds?.has(name)) (this.kinds ??= new Map()).set(name, kind);
  }
}

/** The JSON member name sigs.k8s.io/yaml gives a plain (unquoted, untagged) map key. */
export function plainKeyString(text: string): string {
  return plainKey(text)[0];
}

/** The JSON member name of a plain map key, and the Go type the key had. */
export function plainKey(text: string): [string, KeyKind] {
  const value = resolvePlainScalar(text);
  if (typeof value === "string") return [value, "string"];
  if (typeof value === "boolean") return [value ? "true" : "false", "bool"];
  if (value === null)
    throw new UnsupportedMapKey(
      `map key ${text === "" ? "(empty)" : text} is null: kubectl accepts only string, number and boolean keys`,
    );
  const plain = text.replace(/_/g, "");
  const int = goInteger(plain);
  if (int !== undefined) {
    // go-yaml hands integers beyond int64 over as uint64, which sigs.k8s.io/yaml refuses as a key.
    if (int > MAX_INT64)
      throw new UnsupportedMapKey(`map key ${text} is beyond a 64-bit integer (kubectl refuses it)`);
    return [int.toString(), "int"];
  }
  return [goFloat32Key(value as number), "float"];
}
