/**
 * Property-based tests of `mlstack check`'s reader, with generated inputs (bounded runs, a fixed
 * seed per run so a failure replays):
 * - the fast path and the full parser read every document the fast path accepts to the same value,
 *   and refuse the same documents;
 * - any value written as YAML (quoted where YAML 1.1 would change it) reads back as itself;
 * - YAML 1.1 booleans resolve per go-yaml's table, whatever their case;
 * - whatever the input (random YAML, JSON, bytes, byte-order marks), `check` exits 0, 1 or 2 and
 *   never throws or prints a stack trace.
 */
import * as fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCheck } from "../../cli/check";
import { readFullPath, readYamlDocuments, YamlReadError } from "../../cli/check/kubectlYaml";
import { ReadLimitError } from "../../cli/check/readLimits";
import { FastPathError, parseFastPath } from "../../cli/check/yamlFastPath";
import { resolvePlainScalar } from "../../cli/check/yamlScalars";

const YAML11_WORDS = [
  "y",
  "Y",
  "yes",
  "Yes",
  "YES",
  "on",
  "On",
  "ON",
  "true",
  "True",
  "TRUE",
  "n",
  "N",
  "no",
  "No",
  "NO",
  "off",
  "Off",
  "OFF",
  "false",
  "False",
  "FALSE",
  "~",
  "null",
  "Null",
  "NULL",
  "oN",
  "yES",
  "nO",
  "tRUE",
];
const NUMBER_LIKE = [
  "0",
  "-0",
  "+1",
  "0x1F",
  "0o17",
  "0777",
  "08",
  "1_000",
  "1e3",
  ".5",
  "1.",
  "0b101",
  "2001-12-14",
  "1:30",
  "1e400",
];
const TEXT_UNITS = [
  "a",
  "b",
  "Z",
  "-",
  ".",
  "_",
  "/",
  ":",
  " ",
  "#",
  "'",
  '"',
  "\\",
  "é",
  "1",
  "{",
  "[",
  "&",
  "*",
  "!",
  "|",
  ">",
  "%",
];

/** Scalar text: YAML 1.1 words, number-like text, or short strings of characters YAML treats specially. */
const scalarText = fc.oneof(
  fc.constantFrom(...YAML11_WORDS),
  fc.constantFrom(...NUMBER_LIKE),
  fc.string({ unit: fc.constantFrom(...TEXT_UNITS), minLength: 1, maxLength: 8 }),
);

type Tree = string | Tree[] | { [key: string]: Tree };

/** Nested maps and lists of scalar text. */
const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalarText,
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(scalarText, tie("node"), { maxKeys: 4 }),
  ),
})).node;

/** A scalar written in a random style: plain (as is), single- or double-quoted, or a literal block. */
function writeScalar(text: string, style: number, indent: string): string {
  switch (style % 4) {
    case 0:
      return text;
    case 1:
      return `'${text.replace(/'/g, "''")}'`;
    case 2:
      return JSON.stringify(text);
    default:
      return text.includes("\n") || text.trim() === "" ? JSON.stringify(text) : `|\n${indent}  ${text}\n`;
  }
}

/** Block YAML for a tree, with styles drawn from `styles` (plain scalars are written raw, on purpose). */
function writeBlock(t: Tree, indent: string, styles: number[]): string {
  const next = () => styles.push(styles.shift() ?? 0) && (styles[styles.length - 1] ?? 0);
  if (typeof t === "string") {
    const s = writeScalar(t, next(), indent);
    return s.endsWith("\n") ? s : `${s}\n`;
  }
  if (Array.isArray(t)) {
    if (t.length === 0) return "[]\n";
    return t
      .map((v) => {
        if (typeof v === "string" || (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0))
          return `${indent}- ${writeBlock(v, `${indent}  `, styles)}`;
        // Half the time in the compact form kubectl prints: `- key: value` with the rest aligned.
        if (!Array.isArray(v) && next() % 2 === 0)
          return `${indent}- ${writeBlock(v, `${indent}  `, styles).slice(indent.length + 2)}`;
        return `${indent}-\n${writeBlock(v, `${indent}  `, styles)}`;
      })
      .join("");
  }
  const entries = Object.entries(t);
  if (entries.length === 0) return "{}\n";
  return entries
    .map(([k, v]) => {
      const key = writeScalar(k, next() % 3, indent);
      if (typeof v === "string" || (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0))
        return `${indent}${key}: ${writeBlock(v, indent, styles)}`;
      // A list under a key may sit at the key's own indent (kubectl's style).
      if (Array.isArray(v) && next() % 2 === 0) return `${indent}${key}:\n${writeBlock(v, indent, styles)}`;
      return `${indent}${key}:\n${writeBlock(v, `${indent}  `, styles)}`;
    })
    .join("");
}

type Outcome = { value: unknown } | { refused: string } | "unsupported";

function fastOutcome(text: string): Outcome {
  try {
    const r = parseFastPath(text);
    if (r === "unsupported") return "unsupported";
    return { value: r === "empty" ? null : r.value };
  } catch (err) {
    if (err instanceof FastPathError || err instanceof ReadLimitError) return { refused: err.message };
    throw err;
  }
}

function fullOutcome(text: string): Outcome {
  try {
    return { value: readFullPath(text)?.value ?? null };
  } catch (err) {
    if (err instanceof YamlReadError) return { refused: err.message };
    throw err;
  }
}

describe("the check reader, property-based", () => {
  it("reads every document the fast path accepts as the full parser does", () => {
    let compared = 0;
    fc.assert(
      fc.property(
        fc.dictionary(scalarText, tree, { minKeys: 1, maxKeys: 5 }),
        fc.array(fc.nat(11), { minLength: 1, maxLength: 40 }),
        (root, styles) => {
          const text = writeBlock(root, "", [...styles]);
          const fast = fastOutcome(text);
          if (fast === "unsupported") return;
          compared++;
          const full = fullOutcome(text);
          if ("value" in fast) expect(full).toEqual(fast);
          else expect(full).toHaveProperty("refused");
          // The same document with Windows line ends reads the same on both paths.
          const crlf = text.replace(/\n/g, "\r\n");
          expect(fastOutcome(crlf)).toEqual(fast);
          if ("value" in fast) expect(fullOutcome(crlf)).toEqual(fast);
        },
      ),
      {
        numRuns: 400,
        seed: 20261202,
        // Found by a longer run: a quoted scalar followed by `#` with no space is no comment.
        examples: [[{ "0": "a", y: '""#a' }, [0]]],
      },
    );
    // The generator must exercise the fast path, not only fall back.
    expect(compared).toBeGreaterThan(100);
  });

  it("reads back any JSON value written as YAML with the unsafe scalars quoted", () => {
    const safe = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
    const quote = (s: string) =>
      safe.test(s) && typeof resolvePlainScalar(s) === "string" ? s : JSON.stringify(s);
    const write = (v: unknown, indent: string): string => {
      if (Array.isArray(v))
        return v.length === 0 ? "[]\n" : v.map((x) => `${indent}-${nested(x, `${indent}  `)}`).join("");
      if (typeof v === "object" && v !== null) {
        const e = Object.entries(v);
        return e.length === 0
          ? "{}\n"
          : e.map(([k, x]) => `${indent}${quote(k)}:${nested(x, `${indent}  `)}`).join("");
      }
      return `${typeof v === "string" ? quote(v) : JSON.stringify(v)}\n`;
    };
    const nested = (x: unknown, indent: string) =>
      typeof x === "object" && x !== null && (Array.isArray(x) ? x.length > 0 : Object.keys(x).length > 0)
        ? `\n${write(x, indent)}`
        : ` ${write(x, indent)}`;
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.jsonValue({ maxDepth: 4 }), {
          minKeys: 1,
        }),
        (value) => {
          const normal = JSON.parse(JSON.stringify(value)) as unknown;
          const docs = [...readYamlDocuments(write(normal, ""))];
          expect(docs).toHaveLength(1);
          expect(JSON.parse(JSON.stringify(docs[0].value))).toEqual(normal);
        },
      ),
      { numRuns: 300, seed: 1202 },
    );
  });

  it("resolves YAML 1.1 booleans per go-yaml's table in every case variant", () => {
    const TRUE = new Set(["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"]);
    const FALSE = new Set(["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"]);
    fc.assert(
      fc.property(
        fc.mixedCase(fc.constantFrom("y", "yes", "on", "true", "n", "no", "off", "false")),
        (word) => {
          const [doc] = [...readYamlDocuments(`privileged: ${word}\n`)];
          const value = (doc.value as { privileged: unknown }).privileged;
          expect(value).toBe(TRUE.has(word) ? true : FALSE.has(word) ? false : word);
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });

  describe("through mlstack check", () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-property-check-"));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    async function runOn(content: Buffer | string): Promise<void> {
      const file = path.join(dir, "input.yaml");
      fs.writeFileSync(file, content);
      let stderr = "";
      let stdout = "";
      const code = await runCheck([file, "--format", "json"], {
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
        cwd: dir,
      });
      expect([0, 1, 2]).toContain(code);
      expect(stderr).not.toMatch(/\n\s+at /);
      if (code === 2) expect(stderr).toMatch(/^mlstack check: .+\n$/);
      else expect(() => JSON.parse(stdout) as unknown).not.toThrow();
    }

    const bom = fc.constantFrom("", "\ufeff");
    const manifestHead = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n";

    it("exits 0, 1 or 2 on generated manifests, never a crash or a trace", async () => {
      await fc.assert(
        fc.asyncProperty(
          tree,
          fc.array(fc.nat(11), { minLength: 1, maxLength: 20 }),
          bom,
          async (spec, styles, mark) => {
            await runOn(`${mark}${manifestHead}spec:\n${writeBlock(spec, "  ", [...styles])}`);
          },
        ),
        { numRuns: 120, seed: 42 },
      );
    });

    it("exits 0, 1 or 2 on generated JSON, with or without a byte-order mark", async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), bom, async (value, mark) => {
          const doc =
            typeof value === "object" && value !== null && !Array.isArray(value)
              ? { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, ...value }
              : value;
          await runOn(`${mark}${JSON.stringify(doc)}`);
        }),
        { numRuns: 120, seed: 43 },
      );
    });

    it("exits 0, 1 or 2 on random bytes", async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), bom, async (bytes, mark) => {
          await runOn(Buffer.concat([Buffer.from(mark), Buffer.from(bytes)]));
        }),
        { numRuns: 150, seed: 44 },
      );
    });

    it("exits 2 with one message on random nesting beyond the bound", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1001, max: 6000 }),
          fc.constantFrom("[", '{"a":'),
          async (depth, open) => {
            const close = open === "[" ? "]" : "}";
            await runOn(`${open.repeat(depth)}1${close.repeat(depth)}`);
          },
        ),
        { numRuns: 20, seed: 45 },
      );
    });
  });
});
