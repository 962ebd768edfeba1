/**
 * The YAML of each manifest `mlstack plan` writes: text that a YAML 1.1 and a 1.2 reader take the
 * same way. The `yaml` package writes YAML 1.2 and quotes what 1.2 would read as another type;
 * kubectl (sigs.k8s.io/yaml on go-yaml) and PyYAML read YAML 1.1, where `on`, `no`, `y`, `0755`,
 * `1:30` and `2026-01-01` are booleans, numbers and timestamps (yaml.org/type/bool.html, int.html,
 * timestamp.html): such strings are quoted too.
 *
 * `yamlWithLibrary` is that text as the `yaml` package writes it. Building a `yaml` Document for
 * each of a 100-model plan's 1,000 manifests was the largest single cost of rendering the plan
 * (0.6 s of CPU of ~5, `npm run bench` profile), so `toYaml` writes the same text itself: block
 * maps and sequences are simple, and each distinct scalar is written once by the `yaml` package and
 * remembered. Anything else it does not handle (a key the package would write as `? key`, a value
 * that is not JSON data) goes to the package whole. test/cli/manifestYaml.test.ts holds the two to
 * byte-identical output on every shipped stack's manifests and on hostile scalars.
 */
import * as YAML from "yaml";

/** The manifest as the `yaml` package writes it (the reference `toYaml` matches byte for byte). */
export function yamlWithLibrary(object: Record<string, unknown>): string {
  const document = new YAML.Document(object, { aliasDuplicateObjects: false });
  YAML.visit(document, {
    Scalar(_, node) {
      if (typeof node.value === "string" && !readsAsStringInYaml11(node.value)) node.type = "QUOTE_DOUBLE";
    },
  });
  return document.toString({ lineWidth: 0 });
}

/**
 * Answers of readsAsStringInYaml11 by text. A plan's manifests hold few distinct short strings
 * (1,590 among 74,000 keys and values of a 100-model plan) and parsing each one again was a
 * quarter of the plan's own time (`npm run bench`, CPU profile). Bounded: cleared when full.
 */
const yaml11StringCache = new Map<string, boolean>();
const CACHE_LIMIT = 100_000;

/** Whether a plain scalar with this text is a string to a YAML 1.1 reader (the `yaml` package's 1.1 schema). */
function readsAsStringInYaml11(value: string): boolean {
  // Written as block scalars or quoted whatever they hold; no 1.1 type is that long.
  if (value.includes("\n") || value.length > 64) return true;
  if (value === "<<") return false; // the merge key
  const known = yaml11StringCache.get(value);
  if (known !== undefined) return known;
  const parsed = YAML.parseDocument(value, { version: "1.1" });
  const isString =
    parsed.errors.length > 0 || !YAML.isScalar(parsed.contents) || typeof parsed.contents.value === "string";
  if (yaml11StringCache.size >= CACHE_LIMIT) yaml11StringCache.clear();
  yaml11StringCache.set(value, isString);
  return isString;
}

/** Something `toYaml` leaves to the `yaml` package: the whole manifest is written by it instead. */
class NotSimple extends Error {}

/**
 * Letters, digits and `_./-`, starting with a letter: the package writes these plain, as keys and
 * as values, unless the word is a boolean or null to YAML 1.1 or 1.2 (checked case-insensitively
 * here, so `On` and `NULL` go the slow, exact way).
 */
const PLAIN_WORD = /^[A-Za-z][A-Za-z0-9_./-]{0,199}$/;
const TYPED_WORDS = new Set(["y", "yes", "n", "no", "true", "false", "on", "off", "null"]);

const valueTexts = new Map<unknown, string>();
const keyTexts = new Map<string, string>();

function remember<K>(cache: Map<K, string>, key: K, text: string): string {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, text);
  return text;
}

/** A single-line scalar value (`null`, a boolean, a number or a one-line string) as the package writes it. */
function valueText(value: unknown): string {
  if (typeof value === "string" && PLAIN_WORD.test(value) && !TYPED_WORDS.has(value.toLowerCase()))
    return value;
  // The cache's keys compare 0 and -0 alike, which the package writes differently.
  if (Object.is(value, -0)) return "-0";
  const known = valueTexts.get(value);
  if (known !== undefined) return known;
  const text = yamlWithLibrary({ k: value });
  // "k: <value>\n" and nothing else: a value the package writes on one line.
  if (!text.startsWith("k: ") || text.indexOf("\n") !== text.length - 1) throw new NotSimple();
  return remember(valueTexts, value, text.slice(3, -1));
}

/** A map key as the package writes it. */
function keyText(key: string): string {
  if (PLAIN_WORD.test(key) && !TYPED_WORDS.has(key.toLowerCase())) return key;
  const known = keyTexts.get(key);
  if (known !== undefined) return known;
  const text = yamlWithLibrary({ [key]: 0 });
  // "<key>: 0\n" on one line (a long key would be written `? <key>`: left to the package).
  if (!text.endsWith(": 0\n") || text.indexOf("\n") !== text.length - 1 || text.startsWith("? "))
    throw new NotSimple();
  return remember(keyTexts, key, text.slice(0, -4));
}

/**
 * A multi-line string as a block scalar: the package's header (`|`, `|-`, `|2-`, …) and its lines,
 * written for a top-level key (content indented by two) and moved to `indent`.
 */
function blockText(value: string, indent: string): string {
  const text = yamlWithLibrary({ k: value });
  if (!text.startsWith("k: |")) throw new NotSimple();
  const lines = text.slice(3, -1).split("\n");
  const moved = lines.slice(1).map((line) => {
    if (line === "") return line;
    if (!line.startsWith("  ")) throw new NotSimple();
    return indent + line.slice(2);
  });
  return [lines[0], ...moved].join("\n");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * What follows `key:` or `-`, through the end of its last line, for `value` whose own lines start
 * at `indent` + 2 spaces: a scalar on the same line, a nested collection on the lines below, or
 * an empty one as `{}` / `[]`.
 */
function afterIndicator(value: unknown, indent: string, out: string[]): void {
  if (value === undefined || value === null || typeof value === "boolean" || typeof value === "number") {
    out.push(" ", valueText(value ?? null), "\n");
  } else if (typeof value === "string") {
    out.push(" ", value.includes("\n") ? blockText(value, indent + "  ") : valueText(value), "\n");
  } else if (Array.isArray(value)) {
    if (value.length === 0) out.push(" []\n");
    else {
      out.push("\n");
      sequence(value, indent + "  ", out);
    }
  } else if (isPlainObject(value)) {
    if (Object.keys(value).every((k) => value[k] === undefined)) out.push(" {}\n");
    else {
      out.push("\n");
      mapping(value, indent + "  ", out);
    }
  } else {
    throw new NotSimple();
  }
}

/** A block map at `indent`; `first` is written in place of the first key's indent (after `- `). */
function mapping(map: Record<string, unknown>, indent: string, out: string[], first = indent): void {
  let lead = first;
  for (const key of Object.keys(map)) {
    const value = map[key];
    if (value === undefined) continue; // as the package does: an undefined value has no pair
    out.push(lead, keyText(key), ":");
    afterIndicator(value, indent, out);
    lead = indent;
  }
}

/** A block sequence at `indent` (items `- …`), `first` as in `mapping`. */
function sequence(items: unknown[], indent: string, out: string[], first = indent): void {
  let lead = first;
  for (const item of items) {
    out.push(lead, "-");
    if (Array.isArray(item) && item.length > 0) {
      sequence(item, indent + "  ", out, " ");
    } else if (isPlainObject(item) && Object.keys(item).some((k) => item[k] !== undefined)) {
      mapping(item, indent + "  ", out, " ");
    } else {
      // A scalar, a block scalar (its lines indented under the dash) or an empty collection.
      afterIndicator(item, indent, out);
    }
    lead = indent;
  }
}

/** The manifest's YAML: byte for byte what `yamlWithLibrary` writes, without building a Document. */
export function toYaml(object: Record<string, unknown>): string {
  try {
    if (!isPlainObject(object) || Object.keys(object).every((k) => object[k] === undefined))
      throw new NotSimple();
    const out: string[] = [];
    mapping(object, "", out);
    return out.join("");
  } catch (err) {
    if (err instanceof NotSimple) return yamlWithLibrary(object);
    throw err;
  }
}
