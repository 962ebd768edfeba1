/**
 * A fast reader for plain block YAML: what kubectl, Helm and `mlstack plan` write. The `yaml`
 * package reads 50 MB of manifests in ~20 s (lexer, CST, AST); this reads the same in a few,
 * so checking YAML costs about what checking the same content as JSON costs.
 *
 * It knows block maps and lists (compact `- key: value` items and lists at their key's indent
 * included), plain single-line scalars, single- and double-quoted single-line scalars, literal
 * block scalars (`|`, `|-`, `|+`), empty flow collections (`{}`, `[]`) and comments. Anything
 * else — anchors, aliases, tags, merge keys, flow collections, folded or multi-line scalars,
 * tabs, lone CRs, directives — returns "unsupported" and the document is read by the full parser
 * (`kubectlYaml.ts`), which gives the same result for everything this accepts (proven by the
 * property tests in test/property/checkReader.test.ts).
 */
import { MAX_NESTING_DEPTH, nestingTooDeep, ReadLimitError } from "./readLimits";
import {
  AmbiguousMapKey,
  KeyKind,
  KeyKinds,
  plainKey,
  resolvePlainScalar,
  UnrepresentableScalar,
  UnsupportedMapKey,
} from "./yamlScalars";

/** A read document: its value and where it starts (1-based), and where each `items[]` entry starts. */
export interface Positioned {
  value: unknown;
  line: number;
  column: number;
  items?: Array<[number, number]>;
}

/** Thrown inside the fast path when it meets YAML it does not read; never escapes `parseFastPath`. */
const UNSUPPORTED = Symbol("unsupported");

/** A document the fast path read and found wrong (a null key, `.inf`): the message names the line. */
export class FastPathError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const SPACE = 32;
const HASH = 35;
const COLON = 58;
const DASH = 45;
/** Characters a plain scalar may not start with (YAML 1.1 indicators), as char codes. */
const INDICATORS = new Set([..."-?:,[]{}#&*!|>'\"%@`"].map((c) => c.charCodeAt(0)));

class FastPath {
  private readonly lines: string[];
  /** Column where each line's content starts (rewritten for compact `- key:` items). */
  private readonly starts: number[];
  private pos = 0;

  constructor(text: string) {
    this.lines = text.split("\n");
    this.starts = this.lines.map((l) => {
      let i = 0;
      while (i < l.length && l.charCodeAt(i) === SPACE) i++;
      return i;
    });
  }

  private isBlankOrComment(i: number): boolean {
    const l = this.lines[i];
    const s = this.starts[i];
    return s >= l.length || l.charCodeAt(s) === HASH;
  }

  /** Index of the next line with content, from `pos`; -1 at the end. */
  private nextContent(): number {
    while (this.pos < this.lines.length && this.isBlankOrComment(this.pos)) this.pos++;
    return this.pos < this.lines.length ? this.pos : -1;
  }

  private isSeqEntry(i: number): boolean {
    const l = this.lines[i];
    const s = this.starts[i];
    return l.charCodeAt(s) === DASH && (s + 1 === l.length || l.charCodeAt(s + 1) === SPACE);
  }

  /** 1-based line the reader is at. */
  get line(): number {
    return Math.min(this.pos, this.lines.length - 1) + 1;
  }

  document(): Positioned | "empty" {
    const i = this.nextContent();
    if (i === -1) return "empty";
    const first = this.lines[i];
    if (this.starts[i] === 0 && (first.startsWith("...") || first.startsWith("%"))) throw UNSUPPORTED;
    const line = i + 1;
    const column = this.starts[i] + 1;
    const items: Array<[number, number]> = [];
    let value: unknown;
    if (this.isSeqEntry(i)) value = this.sequence(this.starts[i], 0);
    else if (this.keyEnd(i, this.starts[i]) !== -1) value = this.mapping(this.starts[i], 0, items);
    else throw UNSUPPORTED;
    if (this.nextContent() !== -1) throw UNSUPPORTED;
    return { value, line, column, items: items.length > 0 ? items : undefined };
  }

  /** A node on the lines after a `key:` or `-` with nothing after it. */
  private block(
    parentIndent: number,
    depth: number,
    allowCompactSeq: boolean,
    items?: Array<[number, number]>,
  ) {
    const i = this.nextContent();
    if (i === -1) return null;
    const indent = this.starts[i];
    if (indent < parentIndent) return null;
    if (indent === parentIndent) {
      return allowCompactSeq && this.isSeqEntry(i) ? this.sequence(indent, depth, items) : null;
    }
    if (this.isSeqEntry(i)) return this.sequence(indent, depth, items);
    if (this.keyEnd(i, indent) !== -1) return this.mapping(indent, depth);
    throw UNSUPPORTED; // a multi-line scalar, a flow collection over lines, …
  }

  private sequence(indent: number, depth: number, items?: Array<[number, number]>): unknown[] {
    if (depth >= MAX_NESTING_DEPTH) throw nestingTooDeep();
    const out: unknown[] = [];
    for (;;) {
      const i = this.nextContent();
      if (i === -1 || this.starts[i] < indent) break;
      if (this.starts[i] > indent) throw UNSUPPORTED;
      if (!this.isSeqEntry(i)) break;
      const l = this.lines[i];
      let col = indent + 1;
      while (col < l.length && l.charCodeAt(col) === SPACE) col++;
      if (col >= l.length || l.charCodeAt(col) === HASH) {
        this.pos = i + 1;
        const next = this.nextContent();
        items?.push(next === -1 ? [i + 1, col + 1] : [next + 1, this.starts[next] + 1]);
        out.push(this.block(indent, depth + 1, false));
        continue;
      }
      items?.push([i + 1, col + 1]);
      if (this.keyEnd(i, col) !== -1) {
        // `- key: value`: the item is a map whose keys line up at `col`.
        this.starts[i] = col;
        this.pos = i;
        out.push(this.mapping(col, depth + 1));
      } else {
        out.push(this.inline(i, col, indent, depth + 1));
      }
    }
    return out;
  }

  private mapping(indent: number, depth: number, items?: Array<[number, number]>): Record<string, unknown> {
    if (depth >= MAX_NESTING_DEPTH) throw nestingTooDeep();
    const out: Record<string, unknown> = {};
    const kinds = new KeyKinds();
    for (;;) {
      const i = this.nextContent();
      if (i === -1 || this.starts[i] < indent) break;
      if (this.starts[i] > indent) throw UNSUPPORTED;
      if (this.isSeqEntry(i)) break;
      const end = this.keyEnd(i, indent);
      if (end === -1) throw UNSUPPORTED;
      const l = this.lines[i];
      const [key, kind] = this.key(i, indent, end);
      try {
        kinds.note(key, kind, Object.prototype.hasOwnProperty.call(out, key), l.slice(indent, end).trim());
      } catch (err) {
        if (err instanceof AmbiguousMapKey) throw new FastPathError(err.message, i + 1);
        throw err;
      }
      let col = end + 1;
      while (col < l.length && l.charCodeAt(col) === SPACE) col++;
      let value: unknown;
      if (col >= l.length || l.charCodeAt(col) === HASH) {
        this.pos = i + 1;
        value = this.block(indent, depth + 1, true, depth === 0 && key === "items" ? items : undefined);
      } else {
        value = this.inline(i, col, indent, depth + 1);
      }
      if (key === "__proto__")
        Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
      else out[key] = value;
    }
    return out;
  }

  /** Index of the `:` that ends a key starting at `col`, or -1 when the line is no `key: …` entry. */
  private keyEnd(i: number, col: number): number {
    const l = this.lines[i];
    const c = l.charCodeAt(col);
    if (c === 34 || c === 39) {
      const close = quotedEnd(l, col);
      if (close === -1) return -1;
      let j = close + 1;
      while (j < l.length && l.charCodeAt(j) === SPACE) j++;
      return l.charCodeAt(j) === COLON && (j + 1 === l.length || l.charCodeAt(j + 1) === SPACE) ? j : -1;
    }
    if (!plainCanStart(l, col)) return -1;
    for (let j = col + 1; j < l.length; j++) {
      const d = l.charCodeAt(j);
      if (d === COLON && (j + 1 === l.length || l.charCodeAt(j + 1) === SPACE)) return j;
      if (d === HASH && l.charCodeAt(j - 1) === SPACE) return -1;
    }
    return -1;
  }

  private key(i: number, col: number, end: number): [string, KeyKind] {
    const l = this.lines[i];
    const c = l.charCodeAt(col);
    if (c === 34) return [doubleQuoted(l, col, quotedEnd(l, col)), "string"];
    if (c === 39) return [singleQuoted(l, col, quotedEnd(l, col)), "string"];
    const text = l.slice(col, end).trimEnd();
    if (text === "<<") throw UNSUPPORTED; // merge keys: the full parser applies them in kubectl's order
    try {
      return plainKey(text);
    } catch (err) {
      if (err instanceof UnsupportedMapKey) throw new FastPathError(err.message, i + 1);
      throw err;
    }
  }

  /** A value written on the line of its key or dash, starting at `col`; `indent` is its parent's. */
  private inline(i: number, col: number, indent: number, depth: number): unknown {
    const l = this.lines[i];
    const c = l.charCodeAt(col);
    let value: unknown;
    let rest: number;
    if (c === 124) return this.literal(i, col, indent);
    if (c === 34 || c === 39) {
      const close = quotedEnd(l, col);
      if (close === -1) throw UNSUPPORTED;
      value = c === 34 ? doubleQuoted(l, col, close) : singleQuoted(l, col, close);
      rest = close + 1;
    } else if (c === 123 || c === 91) {
      const m = (c === 123 ? /^\{ *\}/ : /^\[ *\]/).exec(l.slice(col, col + 64));
      if (!m) throw UNSUPPORTED;
      if (depth >= MAX_NESTING_DEPTH) throw nestingTooDeep();
      value = c === 123 ? {} : [];
      rest = col + m[0].length;
    } else {
      if (!plainCanStart(l, col)) throw UNSUPPORTED;
      let end = l.length;
      for (let j = col + 1; j < l.length; j++) {
        const d = l.charCodeAt(j);
        if (d === HASH && l.charCodeAt(j - 1) === SPACE) {
          end = j;
          break;
        }
        if (d === COLON && (j + 1 === l.length || l.charCodeAt(j + 1) === SPACE)) throw UNSUPPORTED;
      }
      const text = l.slice(col, end).trimEnd();
      try {
        value = resolvePlainScalar(text);
      } catch (err) {
        if (err instanceof UnrepresentableScalar) throw new FastPathError(err.message, i + 1);
        throw err;
      }
      rest = end;
    }
    while (rest < l.length && l.charCodeAt(rest) === SPACE) rest++;
    // Only a comment may follow, and a comment needs a space before its `#`.
    if (rest < l.length && (l.charCodeAt(rest) !== HASH || l.charCodeAt(rest - 1) !== SPACE))
      throw UNSUPPORTED;
    this.pos = i + 1;
    // A more indented line next would continue a multi-line scalar (or be an error): full parser.
    const next = this.nextContent();
    if (next !== -1 && this.starts[next] > indent) throw UNSUPPORTED;
    return value;
  }

  /** A literal block scalar (`|`, `|-`, `|+`) whose header is at `col` of line `i`. */
  private literal(i: number, col: number, indent: number): string {
    const l = this.lines[i];
    const header = /^\|([-+]?)(?: +#.*| *)$/.exec(l.slice(col));
    if (!header) throw UNSUPPORTED; // explicit indentation, or text after the header
    const chomp = header[1];
    let j = i + 1;
    let leadingBlank = 0;
    while (j < this.lines.length && this.lines[j].trim() === "") {
      leadingBlank = Math.max(leadingBlank, this.lines[j].length);
      j++;
    }
    if (j >= this.lines.length) throw UNSUPPORTED;
    const blockIndent = this.starts[j];
    if (blockIndent <= indent || leadingBlank > blockIndent) throw UNSUPPORTED;
    const body: string[] = [];
    for (let k = i + 1; k < j; k++) body.push("");
    let last = j;
    for (; j < this.lines.length; j++) {
      const line = this.lines[j];
      if (line.trim() === "") {
        if (line.length > blockIndent) throw UNSUPPORTED; // spaces that are content: full parser
        body.push("");
        continue;
      }
      if (this.starts[j] < blockIndent) break;
      body.push(line.slice(blockIndent));
      last = j;
    }
    // The scalar's last line must end with a newline: a document cut without one is rare.
    if (last === this.lines.length - 1) throw UNSUPPORTED;
    const contentLines = last - i;
    const trailing = body.length - contentLines;
    let text = body.slice(0, contentLines).join("\n");
    if (chomp === "") text += "\n";
    else if (chomp === "+") text += "\n".repeat(1 + trailing);
    // Trailing blank lines that end the document belong to it only for `|+`: let the full parser decide.
    if (chomp === "+" && j >= this.lines.length) throw UNSUPPORTED;
    this.pos = last + 1;
    const next = this.nextContent();
    if (next !== -1 && this.starts[next] > indent) throw UNSUPPORTED;
    return text;
  }
}

/** Whether a plain scalar may start at `col`: not an indicator, except `-?:` before a non-space. */
function plainCanStart(l: string, col: number): boolean {
  const c = l.charCodeAt(col);
  if (!INDICATORS.has(c)) return true;
  const next = l.charCodeAt(col + 1);
  return (c === DASH || c === COLON || c === 63) && col + 1 < l.length && next !== SPACE;
}

/** Index of the closing quote of a single-line quoted scalar opened at `col`, or -1. */
function quotedEnd(l: string, col: number): number {
  const q = l.charCodeAt(col);
  for (let j = col + 1; j < l.length; j++) {
    const c = l.charCodeAt(j);
    if (q === 34 && c === 92) j++;
    else if (c === q) {
      if (q === 39 && l.charCodeAt(j + 1) === 39) j++;
      else return j;
    }
  }
  return -1;
}

function singleQuoted(l: string, open: number, close: number): string {
  return l.slice(open + 1, close).replace(/''/g, "'");
}

const ESCAPES: Record<string, string> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  t: "\t",
  "\t": "\t",
  n: "\n",
  v: "\v",
  f: "\f",
  r: "\r",
  e: "\x1b",
  " ": " ",
  '"': '"',
  // go-yaml v2 (YAML 1.1) reads \' but not \/ (a YAML 1.2 escape): kubectl refuses "\/".
  "'": "'",
  "\\": "\\",
  N: "\u0085",
  _: "\u00a0",
  L: "\u2028",
  P: "\u2029",
};
const HEX_ESCAPES: Record<string, number> = { x: 2, u: 4, U: 8 };

function doubleQuoted(l: string, open: number, close: number): string {
  const body = l.slice(open + 1, close);
  if (!body.includes("\\")) return body;
  let out = "";
  for (let j = 0; j < body.length; j++) {
    const c = body[j];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = body[++j];
    if (e in ESCAPES) out += ESCAPES[e];
    else if (e in HEX_ESCAPES) {
      const hex = body.slice(j + 1, j + 1 + HEX_ESCAPES[e]);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== HEX_ESCAPES[e]) throw UNSUPPORTED;
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) throw UNSUPPORTED;
      out += String.fromCodePoint(code);
      j += hex.length;
    } else throw UNSUPPORTED;
  }
  return out;
}

/**
 * Reads one document (no `---` lines) if it is plain block YAML. "empty": only comments and
 * blank lines; "unsupported": use the full parser. Throws `FastPathError` for a document it read
 * and kubectl would refuse, or that is nested beyond the bound.
 */
export function parseFastPath(text: string): Positioned | "empty" | "unsupported" {
  if (text.includes("\t") || text.charCodeAt(0) === 0xfeff) return "unsupported";
  if (text.includes("\r")) {
    // Windows line ends are line breaks like any other (YAML folds CRLF to LF inside scalars too);
    // a lone CR is left to the full parser.
    const unix = text.replace(/\r\n/g, "\n");
    if (unix.includes("\r")) return "unsupported";
    text = unix;
  }
  const reader = new FastPath(text);
  try {
    return reader.document();
  } catch (err) {
    if (err === UNSUPPORTED) return "unsupported";
    // The bound is met while reading the line after the last one consumed.
    if (err instanceof ReadLimitError) throw new FastPathError(err.message, reader.line);
    throw err;
  }
}
