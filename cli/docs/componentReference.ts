/**
 * The component reference (docs/components.md), generated from the source so it cannot drift from
 * it: every `pulumi.ComponentResource` under components/ with its type token, its args interface
 * (each input's type, whether it is required, its default and its doc comment), its public outputs
 * and methods, and an example taken from where the composition really constructs it (code that
 * `npm run typecheck` checks).
 *
 * Parsing only (no type checker): a few hundred milliseconds for the whole tree. Defaults are read
 * from the doc comments, which by house rule state them ("Default `10Gi`; …").
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

export interface InputDoc {
  name: string;
  type: string;
  required: boolean;
  /** The default stated in the doc comment, if any. */
  default?: string;
  description: string;
}

export interface MemberDoc {
  name: string;
  /** Type of an output, signature of a method. */
  type: string;
  description: string;
}

export interface ComponentDoc {
  className: string;
  typeToken: string;
  /** Source file, relative to the project. */
  file: string;
  summary: string;
  argsType?: string;
  inputs: InputDoc[];
  outputs: MemberDoc[];
  methods: MemberDoc[];
  example?: { file: string; code: string };
  /** The module's README, relative to the project, when there is one. */
  readme?: string;
}

interface Parsed {
  file: string;
  source: ts.SourceFile;
}

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return tsFiles(full);
      return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
    })
    .sort();
}

function parse(projectDir: string, dir: string): Parsed[] {
  return tsFiles(path.join(projectDir, dir)).map((full) => ({
    file: path.relative(projectDir, full).split(path.sep).join("/"),
    source: ts.createSourceFile(full, fs.readFileSync(full, "utf8"), ts.ScriptTarget.ES2022, true),
  }));
}

/** The text of a node's doc comment, paragraphs kept, lines joined. */
function docText(node: ts.Node): string {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const last = docs[docs.length - 1];
  const text = last ? (ts.getTextOfJSDocComment(last.comment) ?? "") : "";
  return normalize(text);
}

/**
 * Comment text as Markdown: a paragraph's wrapped lines joined, except tables (kept line by line)
 * and lists (one line per item, continuation lines joined to their item).
 */
function normalize(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((paragraph) => {
      const lines = paragraph
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
      if (lines[0]?.startsWith("|")) return lines.join("\n");
      if (!lines.some((l) => /^[-*] /.test(l))) return lines.join(" ");
      const blocks: string[] = [];
      for (const line of lines) {
        if (/^[-*] /.test(line) || blocks.length === 0) blocks.push(line);
        else blocks[blocks.length - 1] += ` ${line}`;
      }
      return blocks.join("\n");
    })
    .filter(Boolean)
    .join("\n\n");
}

/** The file's own leading doc comment (before the first statement), for classes documented there. */
function fileDoc(source: ts.SourceFile): string {
  const first = source.statements[0];
  if (!first) return "";
  const ranges = ts.getLeadingCommentRanges(source.text, first.getFullStart()) ?? [];
  const block = ranges.map((r) => source.text.slice(r.pos, r.end)).find((c) => c.startsWith("/**"));
  if (!block) return "";
  return normalize(
    block
      .replace(/^\/\*\*/, "")
      .replace(/\*\/$/, "")
      .split("\n")
      .map((line) => line.replace(/^\s*\* ?/, ""))
      .join("\n"),
  );
}

const ABBREVIATIONS = /(?:\be\.g|\bi\.e|\betc|\bvs)$/;

/**
 * The default a doc comment states: "Default `10Gi`; exceeding it…" → "`10Gi`". The value runs to
 * the end of its sentence or clause, outside parentheses and code spans ("e.g." does not end it).
 */
export function statedDefault(description: string): string | undefined {
  const match = /\bDefaults?\b:?\s*/.exec(description);
  if (!match) return undefined;
  const rest = description.slice(match.index + match[0].length);
  let depth = 0;
  let inCode = false;
  let end = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === "`") inCode = !inCode;
    if (inCode) continue;
    if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (depth === 0 && (c === "." || c === ";") && (i + 1 === rest.length || /\s/.test(rest[i + 1]))) {
      if (c === "." && ABBREVIATIONS.test(rest.slice(0, i))) continue;
      end = i;
      break;
    }
  }
  const value = rest.slice(0, end).trim();
  return value === "" ? undefined : value;
}

function isExported(node: ts.Node): boolean {
  return ts.getCombinedModifierFlags(node as ts.Declaration) !== 0
    ? (ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Export) !== 0
    : false;
}

function extendsComponentResource(node: ts.ClassDeclaration, source: ts.SourceFile): boolean {
  return (node.heritageClauses ?? []).some(
    (h) =>
      h.token === ts.SyntaxKind.ExtendsKeyword &&
      h.types.some((t) => /(^|\.)ComponentResource$/.test(t.expression.getText(source))),
  );
}

function typeToken(node: ts.ClassDeclaration): string | undefined {
  let token: string | undefined;
  const visit = (n: ts.Node) => {
    if (
      !token &&
      ts.isCallExpression(n) &&
      n.expression.kind === ts.SyntaxKind.SuperKeyword &&
      n.arguments[0] &&
      ts.isStringLiteral(n.arguments[0])
    ) {
      token = n.arguments[0].text;
    }
    if (!token) ts.forEachChild(n, visit);
  };
  visit(node);
  return token;
}

function isPublic(member: ts.ClassElement): boolean {
  const flags = ts.getCombinedModifierFlags(member as ts.Declaration);
  return (
    (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0 &&
    !ts.isPrivateIdentifier(member.name!)
  );
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

function inputsOf(
  name: string,
  interfaces: Map<string, { decl: ts.InterfaceDeclaration; source: ts.SourceFile }>,
  seen = new Set<string>(),
): InputDoc[] {
  const found = interfaces.get(name);
  if (!found || seen.has(name)) return [];
  seen.add(name);
  const { decl, source } = found;
  const inherited = (decl.heritageClauses ?? []).flatMap((h) =>
    h.types.flatMap((t) => inputsOf(t.expression.getText(source), interfaces, seen)),
  );
  const own = memberInputs(decl.members, source);
  return [...inherited.filter((i) => !own.some((o) => o.name === i.name)), ...own];
}

function memberInputs(members: ts.NodeArray<ts.TypeElement>, source: ts.SourceFile): InputDoc[] {
  return members.filter(ts.isPropertySignature).map((m) => {
    const description = docText(m);
    return {
      name: m.name.getText(source),
      type: m.type ? oneLine(m.type.getText(source)) : "unknown",
      required: m.questionToken === undefined,
      default: statedDefault(description),
      description,
    };
  });
}

function methodSignature(m: ts.MethodDeclaration, source: ts.SourceFile): string {
  const params = m.parameters.map((p) => oneLine(p.getText(source))).join(", ");
  const returns = m.type ? `: ${oneLine(m.type.getText(source))}` : "";
  const isStatic = (ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Static) !== 0;
  return `${isStatic ? "static " : ""}${m.name.getText(source)}(${params})${returns}`;
}

/** Removes the common indentation of all lines but the first (which starts at the expression). */
function dedent(code: string, firstColumn: number): string {
  const lines = code.split("\n");
  const rest = lines.slice(1).filter((l) => l.trim() !== "");
  const indent = Math.min(firstColumn, ...rest.map((l) => l.length - l.trimStart().length));
  return [lines[0], ...lines.slice(1).map((l) => l.slice(indent))].join("\n");
}

/**
 * Where the project constructs the component: the composition (stacks/) first, then other
 * components, then its own file (a provider class building one per workload).
 */
function findExample(
  component: ts.ClassDeclaration,
  ownFile: string,
  usages: Parsed[],
): ComponentDoc["example"] {
  const className = component.name!.text;
  const ordered = [...usages.filter((u) => u.file !== ownFile), ...usages.filter((u) => u.file === ownFile)];
  for (const { file, source } of ordered) {
    let found: ts.NewExpression | undefined;
    const visit = (n: ts.Node) => {
      if (n === component) return;
      if (!found && ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === className)
        found = n;
      if (!found) ts.forEachChild(n, visit);
    };
    visit(source);
    if (found) {
      const start = found.getStart(source);
      const column = start - source.text.lastIndexOf("\n", start - 1) - 1;
      return { file, code: dedent(source.text.slice(start, found.getEnd()), column) };
    }
  }
  return undefined;
}

export function collectComponents(projectDir: string): ComponentDoc[] {
  const components = parse(projectDir, "components");
  // Examples: the composition first (stacks/), then other components.
  const usages = [...parse(projectDir, "stacks"), ...components];
  const interfaces = new Map<string, { decl: ts.InterfaceDeclaration; source: ts.SourceFile }>();
  for (const { source } of components) {
    for (const s of source.statements)
      if (ts.isInterfaceDeclaration(s)) interfaces.set(s.name.text, { decl: s, source });
  }
  const docs: ComponentDoc[] = [];
  for (const { file, source } of components) {
    for (const node of source.statements) {
      if (
        !ts.isClassDeclaration(node) ||
        !node.name ||
        !isExported(node) ||
        !extendsComponentResource(node, source)
      )
        continue;
      const token = typeToken(node);
      if (!token) continue;
      const ctor = node.members.find(ts.isConstructorDeclaration);
      // The args: a named interface (with what it extends), or a type literal written in the constructor.
      const argsNode = ctor?.parameters[1]?.type;
      const argsType =
        argsNode && ts.isTypeReferenceNode(argsNode) ? argsNode.typeName.getText(source) : undefined;
      const inputs = argsType
        ? inputsOf(argsType, interfaces)
        : argsNode && ts.isTypeLiteralNode(argsNode)
          ? memberInputs(argsNode.members, source)
          : [];
      const outputs = node.members
        .filter((m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m) && isPublic(m))
        .filter((m) => (ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Readonly) !== 0)
        .map((m) => ({
          name: m.name.getText(source),
          type: m.type ? oneLine(m.type.getText(source)) : "unknown",
          description: docText(m),
        }));
      const methods = node.members
        .filter((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && isPublic(m))
        .map((m) => ({
          name: m.name.getText(source),
          type: methodSignature(m, source),
          description: docText(m),
        }));
      const readme = path.posix.join(path.posix.dirname(file), "README.md");
      docs.push({
        className: node.name.text,
        typeToken: token,
        file,
        summary: docText(node) || fileDoc(source),
        argsType,
        inputs,
        outputs,
        methods,
        example: findExample(node, file, usages),
        readme: fs.existsSync(path.join(projectDir, readme)) ? readme : undefined,
      });
    }
  }
  return docs.sort((a, b) => a.typeToken.localeCompare(b.typeToken));
}

const cell = (text: string) => oneLine(text).replace(/\|/g, "\\|");
const code = (text: string) => (text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``);
const anchor = (c: ComponentDoc) => c.className.toLowerCase();

function renderComponent(c: ComponentDoc): string[] {
  const lines = [`## ${c.className}`, ""];
  const links = [
    `[\`${c.file}\`](../${c.file})`,
    ...(c.readme ? [`guide: [\`${c.readme}\`](../${c.readme})`] : []),
  ];
  lines.push(`\`${c.typeToken}\` · ${links.join(" · ")}`, "");
  if (c.summary) lines.push(c.summary, "");
  lines.push(`### Inputs${c.argsType ? ` (\`${c.argsType}\`)` : ""}`, "");
  if (c.inputs.length === 0) {
    lines.push("None.", "");
  } else {
    lines.push("| input | type | required | default | description |", "|---|---|---|---|---|");
    for (const i of c.inputs) {
      lines.push(
        `| \`${i.name}\` | ${cell(code(i.type))} | ${i.required ? "yes" : "no"} | ${i.default ? cell(i.default) : i.required ? "" : "unset"} | ${cell(i.description)} |`,
      );
    }
    lines.push("");
  }
  lines.push("### Outputs", "");
  if (c.outputs.length === 0) {
    lines.push("None beyond the component itself.", "");
  } else {
    lines.push("| output | type | description |", "|---|---|---|");
    for (const o of c.outputs)
      lines.push(`| \`${o.name}\` | ${cell(code(o.type))} | ${cell(o.description)} |`);
    lines.push("");
  }
  if (c.methods.length > 0) {
    lines.push("### Methods", "", "| method | description |", "|---|---|");
    for (const m of c.methods) lines.push(`| ${cell(code(m.type))} | ${cell(m.description)} |`);
    lines.push("");
  }
  if (c.example) {
    lines.push(
      "### Example",
      "",
      `As [\`${c.example.file}\`](../${c.example.file}) constructs it:`,
      "",
      "```ts",
      c.example.code,
      "```",
      "",
    );
  }
  return lines;
}

/** docs/components.md. */
export function renderComponentReference(projectDir: string): string {
  const components = collectComponents(projectDir);
  const lines = [
    "# Component reference",
    "",
    "<!-- Generated by `npm run docs:components` (cli/docs/componentReference.ts) from the args interfaces,",
    "     classes and doc comments in components/. Do not edit: change the doc comments and regenerate.",
    "     test/workflows/docs.test.ts fails when this file is out of date. -->",
    "",
    "Every component is a `pulumi.ComponentResource`: construct it with a name, its args and the usual",
    "resource options (`parent`, `provider`, `dependsOn`). Children are named after the component and",
    "parented to it. Defaults are the ones the doc comments state; `unset` marks an optional input whose",
    "absence is described in its text. Bad args are refused with an error naming the argument before",
    "any resource is registered. The module guides (linked) cover design and decisions.",
    "",
    "| component | type token | file |",
    "|---|---|---|",
    ...components.map((c) => `| [${c.className}](#${anchor(c)}) | \`${c.typeToken}\` | \`${c.file}\` |`),
    "",
  ];
  for (const c of components) lines.push(...renderComponent(c));
  return lines.join("\n").replace(/\n+$/, "\n");
}
