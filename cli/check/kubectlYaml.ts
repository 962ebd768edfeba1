/**
 * Reads a YAML stream into documents the way kubectl does (sigs.k8s.io/yaml over go-yaml v2,
 * YAML 1.1), so `mlstack check` judges what the cluster would receive:
 *
 * - documents are split at lines starting with `---` (kubectl's YAMLReader; content after the
 *   `---` other than a comment is an error there, and here); empty documents are skipped;
 * - plain scalars resolve as in `yamlScalars.ts` (`yes`, `on`, `y` are `true`; `0777` is 511);
 * - merge keys (`<<`) apply in the order they appear: a later key, merged or explicit, replaces
 *   an earlier one, and in `<<: [*a, *b]` the earlier map wins (go-yaml v2's order);
 * - a duplicate key is not an error: the last one wins;
 * - map keys become JSON member names (`yes:` is `"true"`, `1e6:` is `"1e+06"`); a null, list
 *   or map key is refused, as kubectl refuses it;
 * - tags: `!!str` keeps the text, `!!int`/`!!float`/`!!bool`/`!!null` resolve it (and a value
 *   that is not one is refused), `!!binary` is decoded, any other tag is ignored.
 *
 * Every document goes through the fast path first (`yamlFastPath.ts`: plain block YAML as
 * kubectl, Helm and `mlstack plan` write it); anything it does not recognise goes through the
 * `yaml` package's full parser and the walker below, with nesting and alias expansion bounded.
 */
import { Alias, isAlias, isMap, isScalar, isSeq, LineCounter, Node, parseDocument, Scalar } from "yaml";
import type { Document, Pair, YAMLMap, YAMLSeq } from "yaml";
import { MAX_ALIAS_EXPANSION, MAX_NESTING_DEPTH, nestingTooDeep, ReadLimitError } from "./readLimits";
import { FastPathError, parseFastPath, type Positioned } from "./yamlFastPath";
import {
  AmbiguousMapKey,
  KeyKind,
  KeyKinds,
  plainKey,
  resolvePlainScalar,
  UnrepresentableScalar,
  UnsupportedMapKey,
} from "./yamlScalars";

/** A document that cannot be read as kubectl would read it; `line` is 1-based in the whole file. */
export class YamlReadError extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
    /** 0-based index of the document in the file, once known. */
    readonly documentIndex?: number,
  ) {
    super(message);
  }
}

/** One document of a stream, read. */
export interface YamlDocument extends Positioned {
  /** 0-based index of the document in the file (empty documents count, as `---` separates them). */
  index: number;
}

interface Chunk {
  text: string;
  /** 1-based line of the chunk's first line in the file. */
  firstLine: number;
  index: number;
}

/** kubectl's YAMLReader: documents end at a line starting with `---` (followed by nothing or a comment). */
export function* splitDocuments(text: string): Generator<Chunk> {
  let start = 0;
  let line = 1;
  let chunkLine = 1;
  let index = 0;
  let lineStart = 0;
  while (lineStart < text.length) {
    let end = text.indexOf("\n", lineStart);
    if (end === -1) end = text.length;
    if (text.startsWith("---", lineStart)) {
      const rest = text.slice(lineStart + 3, end).trim();
      if (rest.length > 0 && rest[0] !== "#")
        throw new YamlReadError(
          `invalid document separator "${text.slice(lineStart, Math.min(end, lineStart + 60))}": kubectl allows only a comment after ---`,
          line,
        );
      if (lineStart > start) yield { text: text.slice(start, lineStart), firstLine: chunkLine, index };
      index++;
      start = end + 1;
      chunkLine = line + 1;
    }
    lineStart = end + 1;
    line++;
  }
  if (start < text.length) yield { text: text.slice(start), firstLine: chunkLine, index };
}

/** Reads every non-empty document of a YAML stream. */
export function* readYamlDocuments(text: string): Generator<YamlDocument> {
  for (const chunk of splitDocuments(text)) {
    let read: Positioned | undefined;
    try {
      read = readChunk(chunk);
    } catch (err) {
      if (err instanceof YamlReadError) throw new YamlReadError(err.message, err.line, chunk.index);
      if (err instanceof FastPathError)
        throw new YamlReadError(err.message, err.line + chunk.firstLine - 1, chunk.index);
      if (err instanceof ReadLimitError) throw new YamlReadError(err.message, chunk.firstLine, chunk.index);
      throw err;
    }
    if (read) yield { ...read, index: chunk.index };
  }
}

function readChunk(chunk: Chunk): Positioned | undefined {
  const fast = parseFastPath(chunk.text);
  if (fast === "empty") return undefined;
  if (fast !== "unsupported") return shift(fast, chunk.firstLine - 1);
  return readFullPath(chunk.text, chunk.firstLine - 1);
}

function shift(p: Positioned, lines: number): Positioned {
  if (lines === 0) return p;
  return {
    value: p.value,
    line: p.line + lines,
    column: p.column,
    items: p.items?.map(([l, c]) => [l + lines, c]),
  };
}

/** Reads one document with the `yaml` package (no schema: every scalar is text) and kubectl's rules. */
export function readFullPath(text: string, lineOffset = 0): Positioned | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    schema: "failsafe",
    uniqueKeys: false,
    lineCounter,
    prettyErrors: false,
    keepSourceTokens: true,
  });
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line + lineOffset;
  const error = doc.errors[0];
  // The `yaml` package reports its own stack overflow (deep flow collections) as a parse error.
  if (error && /call stack/i.test(error.message))
    throw new YamlReadError(
      "nested too deep for the YAML parser (its stack ran out): refused as hostile input",
      lineOf(error.pos[0]),
    );
  if (error)
    throw new YamlReadError(
      `malformed YAML: ${error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`,
      lineOf(error.pos[0]),
    );
  if (doc.contents === null) return undefined;
  const walker = new KubectlWalker(doc, lineOf);
  const value = walker.value(doc.contents, 0);
  if (value === null) return undefined;
  const start = lineCounter.linePos(doc.contents.range?.[0] ?? 0);
  let items: Array<[number, number]> | undefined;
  if (isMap(doc.contents)) {
    const list = doc.contents.get("items", true);
    if (isSeq(list)) {
      items = list.items.map((item) => {
        const p = lineCounter.linePos((item as Node).range?.[0] ?? 0);
        return [p.line + lineOffset, p.col];
      });
    }
  }
  return { value, line: start.line + lineOffset, column: start.col, items };
}

const YAML_TAG = "tag:yaml.org,2002:";
/** `\/` after an even number of backslashes: an escape YAML 1.2 added and go-yaml v2 refuses. */
const YAML12_ESCAPE = /(^|[^\\])(\\\\)*\\\//;

/** Builds JSON-shaped values from the `yaml` package's nodes with go-yaml v2's semantics. */
class KubectlWalker {
  private expanded = 0;
  /** Maps and lists being walked: an alias to one of them is a cycle. */
  private readonly open = new Set<unknown>();

  constructor(
    private readonly doc: Document,
    private readonly lineOf: (offset: number | undefined) => number | undefined,
  ) {}

  private fail(message: string, node: unknown): never {
    throw new YamlReadError(message, this.lineOf((node as Node | undefined)?.range?.[0]));
  }

  value(node: unknown, depth: number): unknown {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return this.value(this.target(node), depth);
    if (isScalar(node)) return this.scalar(node);
    if (depth >= MAX_NESTING_DEPTH) this.fail(nestingTooDeep().message, node);
    this.open.add(node);
    try {
      if (isSeq(node)) return (node as YAMLSeq).items.map((item) => this.value(item, depth + 1));
      if (isMap(node)) {
        const out: Record<string, unknown> = {};
        this.mapInto(node as YAMLMap, out, depth);
        return out;
      }
    } finally {
      this.open.delete(node);
    }
    return this.fail("a YAML node kubectl cannot read", node);
  }

  /** The node an alias stands for, counted against the expansion budget. */
  private target(alias: Alias): unknown {
    const node = alias.resolve(this.doc);
    if (!node) this.fail(`alias *${alias.source} refers to no anchor`, alias);
    if (this.open.has(node))
      this.fail(
        `alias *${alias.source} is used inside the node it names (a cycle; kubectl refuses it too)`,
        alias,
      );
    this.expanded += countNodes(node, MAX_ALIAS_EXPANSION - this.expanded + 1);
    if (this.expanded > MAX_ALIAS_EXPANSION)
      throw new YamlReadError(
        `aliases expand to more than ${MAX_ALIAS_EXPANSION.toLocaleString("en-US")} nodes (a "billion laughs" document?): refused as hostile input`,
        this.lineOf(alias.range?.[0]),
      );
    return node;
  }

  private scalar(node: Scalar): unknown {
    // The `yaml` package decodes `!!binary` even without a schema; every other scalar is text here.
    if (node.value instanceof Uint8Array) return Buffer.from(node.value).toString("utf8");
    const text = typeof node.value === "string" ? node.value : (node.source ?? String(node.value ?? ""));
    if (
      node.type === "QUOTE_DOUBLE" &&
      YAML12_ESCAPE.test((node.srcToken as { source?: string } | undefined)?.source ?? "")
    )
      this.fail(
        "unknown escape \\/ in a double-quoted scalar (YAML 1.2 only; kubectl reads YAML 1.1 and refuses it)",
        node,
      );
    const tag = node.tag;
    try {
      if (tag === undefined || tag === "!") {
        return node.type === "PLAIN" && tag === undefined ? resolvePlainScalar(text) : text;
      }
      if (!tag.startsWith(YAML_TAG)) return text; // local tags (`!foo`) are ignored by go-yaml
      const name = tag.slice(YAML_TAG.length);
      if (name === "str") return text;
      if (name === "binary") return Buffer.from(text.replace(/\s+/g, ""), "base64").toString("utf8");
      if (name === "timestamp") return text;
      const resolved = resolvePlainScalar(text);
      const kind =
        resolved === null
          ? "null"
          : typeof resolved === "boolean"
            ? "bool"
            : typeof resolved === "number"
              ? Number.isInteger(resolved) && !/[.eE]/.test(text)
                ? "int"
                : "float"
              : "str";
      if (kind === name || (name === "float" && kind === "int")) return resolved;
      return this.fail(`cannot read ${text} as !!${name} (kubectl refuses it too)`, node);
    } catch (err) {
      if (err instanceof UnrepresentableScalar) this.fail(err.message, node);
      throw err;
    }
  }

  private key(node: unknown): [string, KeyKind] {
    if (isAlias(node)) return this.key(this.target(node));
    if (isScalar(node)) {
      const text = typeof node.value === "string" ? node.value : (node.source ?? "");
      try {
        if (node.type === "PLAIN" && node.tag === undefined) return plainKey(text);
        const value = this.scalar(node);
        if (typeof value === "string") return [value, "string"];
        return plainKey(text);
      } catch (err) {
        if (err instanceof UnsupportedMapKey || err instanceof UnrepresentableScalar)
          this.fail(err.message, node);
        throw err;
      }
    }
    return this.fail(
      node === null || node === undefined
        ? "a map key that is empty (null): kubectl accepts only string, number and boolean keys"
        : "a map key that is a list or map: kubectl accepts only string, number and boolean keys",
      node,
    );
  }

  private mapInto(node: YAMLMap, out: Record<string, unknown>, depth: number, kinds = new KeyKinds()): void {
    for (const pair of node.items as Array<Pair<unknown, unknown>>) {
      const key = pair.key;
      if (isScalar(key) && key.type === "PLAIN" && key.tag === undefined && key.value === "<<") {
        this.merge(pair.value, out, depth, key, kinds);
        continue;
      }
      const [name, kind] = this.key(key);
      try {
        kinds.note(
          name,
          kind,
          Object.prototype.hasOwnProperty.call(out, name),
          String((key as Scalar)?.source ?? name),
        );
      } catch (err) {
        if (err instanceof AmbiguousMapKey) this.fail(err.message, key);
        throw err;
      }
      setMember(out, name, this.value(pair.value, depth + 1));
    }
  }

  /** go-yaml v2's `merge`: a map, an alias of a map, or a list of them applied last to first. */
  private merge(
    value: unknown,
    out: Record<string, unknown>,
    depth: number,
    at: unknown,
    kinds: KeyKinds,
  ): void {
    const wantMap = () =>
      this.fail("map merge (<<) requires a map or a list of maps as its value (kubectl refuses it too)", at);
    const one = (n: unknown) => {
      const target = isAlias(n) ? this.target(n) : n;
      if (!isMap(target)) wantMap();
      // A merge counts as a level, so a map that merges itself (`&a {<<: *a}`) ends at the bound.
      if (depth + 1 >= MAX_NESTING_DEPTH) this.fail(nestingTooDeep().message, target);
      this.mapInto(target as YAMLMap, out, depth + 1, kinds);
    };
    if (isSeq(value)) {
      const items = (value as YAMLSeq).items;
      for (let i = items.length - 1; i >= 0; i--) one(items[i]);
    } else one(value);
  }
}

/** Counts the nodes under `node`, stopping once `limit` is passed. */
function countNodes(node: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [node];
  while (stack.length > 0 && count <= limit) {
    const n = stack.pop();
    count++;
    if (isSeq(n)) for (const item of (n as YAMLSeq).items) stack.push(item);
    else if (isMap(n))
      for (const pair of (n as YAMLMap).items as Array<Pair<unknown, unknown>>)
        stack.push(pair.key, pair.value);
  }
  return count;
}

/** Sets a member, `__proto__` included, as JSON.parse would (never the object's prototype). */
export function setMember(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  else out[key] = value;
}
