/**
 * Reads what `mlstack check` is pointed at into resources for the policy pack: a
 * `pulumi preview --json` document (`steps[].newState`, deletes skipped), `mlstack plan`'s
 * plan.json (same shape), a `pulumi stack export` (`deployment.resources[]`), or Kubernetes
 * manifests (YAML or JSON, multi-document, `kind: List`, or a directory of them).
 *
 * YAML is read as kubectl reads it (`kubectlYaml.ts`: YAML 1.1 scalars, merge keys, last duplicate
 * key wins). Reading fails closed: anything unusable — a missing path, an empty file, malformed
 * JSON or YAML, a document of no known shape, a preview step or resource whose state cannot be
 * read, input nested or aliased beyond `readLimits.ts` — throws an `InputError` naming the file
 * and, where known, the line, the document or the step. Which files a path stands for is decided
 * by `inputFiles.ts` (symlinks, non-regular files, `mlstack plan`'s all.yaml).
 */
import { constants as fsConstants, promises as fs } from "fs";
import * as path from "path";
import type { EvaluationResource } from "../../policies/evaluate";
import type { DocumentDefaults } from "../../policies/packConfig";
import { ENVIRONMENTS, TARGETS } from "../../policies/rule";
import type { Environment, Target } from "../../policies/rule";
import { collectInputFiles, dropRepeatedObjects } from "./inputFiles";
import { jsonNestingBeyondLimit, nestingTooDeep } from "./readLimits";
import { readYamlDocuments, YamlReadError } from "./kubectlYaml";

export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ""}: ${reason}`);
  }
}

export type DocumentKind = "preview" | "stack-export" | "kubernetes";

/** One input file, read. */
export interface LoadedDocument {
  file: string;
  kind: DocumentKind;
  /** The file's text, kept for previews and stack exports (findings are located by URN in it); "" for manifests. */
  text: string;
  resources: EvaluationResource[];
  outputs?: Record<string, unknown>;
  defaults: DocumentDefaults;
}

/** Preview step operations that remove a resource: nothing to check. */
const DELETE_OPS = new Set([
  "delete",
  "delete-replaced",
  "discard",
  "discard-replaced",
  "remove-pending-replace",
  "read-discard",
]);

type Json = Record<string, unknown>;
const isJsonObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function jsonErrorLine(text: string, message: string): number | undefined {
  const lineCol = /line (\d+) column \d+/.exec(message);
  if (lineCol) return Number(lineCol[1]);
  const position = /position (\d+)/.exec(message);
  return position ? lineAt(text, Number(position[1])) : undefined;
}

function nameFromUrn(urn: string): string {
  const parts = urn.split("::");
  return parts[parts.length - 1] ?? urn;
}

function stringList(value: unknown): string[] | undefined {
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v) as unknown;
    } catch {
      return undefined;
    }
  }
  return Array.isArray(v) && v.every((x) => typeof x === "string") && v.length > 0
    ? (v as string[])
    : undefined;
}

/** Settings from a preview's stack config (`mlstack:target` etc.), then from the resource types. */
function defaultsFrom(config: unknown, resources: EvaluationResource[]): DocumentDefaults {
  const c = isJsonObject(config) ? config : {};
  const read = (key: string) => {
    const v = c[`mlstack:${key}`];
    return isJsonObject(v) && "value" in v ? v.value : v;
  };
  const target = read("target");
  const environment = read("environment");
  return {
    target: (TARGETS as readonly unknown[]).includes(target) ? (target as Target) : inferTarget(resources),
    environment: (ENVIRONMENTS as readonly unknown[]).includes(environment)
      ? (environment as Environment)
      : undefined,
    registries: stringList(read("registries")),
  };
}

/** The target a set of resources implies: OpenShift APIs, else the cloud provider, else none. */
export function inferTarget(resources: EvaluationResource[]): Target | undefined {
  let cloud: Target | undefined;
  for (const r of resources) {
    if (/^kubernetes:(route|security|project|image|apps)\.openshift\.io\//.test(r.type)) return "openshift";
    if (!cloud && r.type.startsWith("aws:")) cloud = "aws";
    if (!cloud && r.type.startsWith("gcp:")) cloud = "gcp";
  }
  return cloud;
}

/** A state (preview `newState`, stack-export resource) read strictly: a field of the wrong type is unusable input. */
function fromState(file: string, where: string, state: Json): EvaluationResource {
  const urn = state.urn;
  const type = state.type;
  const wrong = (field: string, expected: string, value: unknown) =>
    new InputError(
      file,
      `${where}.${field} is ${describe(value)}, expected ${expected}: the resource cannot be checked`,
    );
  if (typeof urn !== "string" || urn === "") throw wrong("urn", "a URN string", urn);
  if (typeof type !== "string" || type === "") throw wrong("type", "a type token", type);
  const at = `${where} (${urn})`;
  const objectOrAbsent = (field: string) => {
    const v = state[field];
    if (v === undefined) return undefined;
    if (!isJsonObject(v))
      throw new InputError(
        file,
        `${at}.${field} is ${describe(v)}, expected an object: the resource cannot be checked`,
      );
    return v;
  };
  const inputs = objectOrAbsent("inputs");
  const outputs = objectOrAbsent("outputs");
  // A custom resource (anything but a component, the stack or a provider) is judged on its
  // inputs: without them every rule would see an empty object and pass it.
  const custom = state.custom !== false && !type.startsWith("pulumi:");
  if (custom && inputs === undefined && outputs === undefined)
    throw new InputError(
      file,
      `${at} has no inputs (${describe(state.inputs)}): a ${type} cannot be checked without them`,
    );
  const stringOrAbsent = (field: string) => {
    const v = state[field];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string")
      throw new InputError(file, `${at}.${field} is ${describe(v)}, expected a string`);
    return v;
  };
  const dependencies = state.dependencies;
  if (
    dependencies !== undefined &&
    dependencies !== null &&
    !(Array.isArray(dependencies) && dependencies.every((d) => typeof d === "string"))
  )
    throw new InputError(file, `${at}.dependencies is ${describe(dependencies)}, expected a list of URNs`);
  const propertyDependencies = objectOrAbsent("propertyDependencies");
  if (propertyDependencies)
    for (const [k, v] of Object.entries(propertyDependencies))
      if (!(Array.isArray(v) && v.every((d) => typeof d === "string")))
        throw new InputError(
          file,
          `${at}.propertyDependencies.${k} is ${describe(v)}, expected a list of URNs`,
        );
  return {
    urn,
    type,
    name: nameFromUrn(urn),
    inputs,
    outputs,
    id: stringOrAbsent("id"),
    parent: stringOrAbsent("parent"),
    protect: state.protect === true,
    retainOnDelete: state.retainOnDelete === true,
    dependencies: Array.isArray(dependencies) ? (dependencies as string[]) : undefined,
    propertyDependencies: propertyDependencies as Record<string, string[]> | undefined,
    provider: stringOrAbsent("provider"),
  };
}

/** How a value of the wrong type is named in a message. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "missing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value === "object" ? "an object" : `a ${typeof value}`}`;
}

function stackOutputsOf(
  resources: EvaluationResource[],
  explicit: unknown,
): Record<string, unknown> | undefined {
  if (isJsonObject(explicit)) return explicit;
  const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  return stack?.outputs;
}

function readPreview(file: string, text: string, doc: Json): LoadedDocument {
  const steps = doc.steps;
  if (!Array.isArray(steps))
    throw new InputError(file, "`steps` is not a list: not a `pulumi preview --json` document");
  const resources: EvaluationResource[] = [];
  steps.forEach((step, i) => {
    if (!isJsonObject(step))
      throw new InputError(file, `steps[${i}] is ${describe(step)}, expected an object`);
    if (typeof step.op === "string" && DELETE_OPS.has(step.op)) return;
    const urn = typeof step.urn === "string" ? ` (${step.urn})` : "";
    if (typeof step.op !== "string")
      throw new InputError(file, `steps[${i}]${urn}.op is ${describe(step.op)}, expected a step operation`);
    // Every step but a delete says what the resource will be; without it there is nothing to judge.
    if (!isJsonObject(step.newState))
      throw new InputError(
        file,
        `steps[${i}]${urn} (op ${step.op}) has newState ${describe(step.newState)}: the resource cannot be checked`,
      );
    resources.push(fromState(file, `steps[${i}].newState`, step.newState));
  });
  return {
    file,
    kind: "preview",
    text,
    resources,
    outputs: stackOutputsOf(resources, doc.outputs),
    defaults: defaultsFrom(doc.config, resources),
  };
}

function readStackExport(file: string, text: string, deployment: Json): LoadedDocument {
  const list = deployment.resources ?? [];
  if (!Array.isArray(list)) throw new InputError(file, "`deployment.resources` is not a list");
  const resources: EvaluationResource[] = [];
  list.forEach((state, i) => {
    if (!isJsonObject(state))
      throw new InputError(file, `deployment.resources[${i}] is ${describe(state)}, expected an object`);
    if (state.delete === true) return;
    resources.push(fromState(file, `deployment.resources[${i}]`, state));
  });
  return {
    file,
    kind: "stack-export",
    text,
    resources,
    outputs: stackOutputsOf(resources, undefined),
    defaults: defaultsFrom({}, resources),
  };
}

/** `kubernetes:<group>/<version>:<Kind>` for a manifest's apiVersion and kind (core group: `core/v1`). */
export function typeToken(apiVersion: string, kind: string): string {
  return `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`;
}

function manifestResource(
  file: string,
  object: Json,
  line: number | undefined,
  column: number | undefined,
): EvaluationResource {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== "string" || typeof kind !== "string" || apiVersion === "" || kind === "") {
    throw new InputError(
      file,
      "a document without apiVersion and kind: not a Kubernetes manifest, preview, plan or stack export",
      line,
    );
  }
  const metadata = isJsonObject(object.metadata) ? object.metadata : {};
  const name =
    typeof metadata.name === "string"
      ? metadata.name
      : typeof metadata.generateName === "string"
        ? metadata.generateName
        : "(unnamed)";
  const namespace = typeof metadata.namespace === "string" ? metadata.namespace : undefined;
  const where = namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
  return {
    urn: `${file}#${where}`,
    type: typeToken(apiVersion, kind),
    name,
    inputs: object,
    location: { file, line, column },
  };
}

/** The objects of one parsed manifest (a `kind: List` expands to its items). */
function manifestObjects(
  file: string,
  value: unknown,
  line: number | undefined,
  column: number | undefined,
  itemPositions: Array<[number | undefined, number | undefined]>,
): EvaluationResource[] {
  if (!isJsonObject(value))
    throw new InputError(file, "a document that is not an object: not a Kubernetes manifest", line);
  if (typeof value.kind === "string" && value.kind.endsWith("List") && Array.isArray(value.items)) {
    return value.items.map((item, i) => {
      if (!isJsonObject(item))
        throw new InputError(file, `items[${i}] is not an object`, itemPositions[i]?.[0] ?? line);
      const [l, c] = itemPositions[i] ?? [line, column];
      return manifestResource(file, item, l, c);
    });
  }
  return [manifestResource(file, value, line, column)];
}

function readYaml(file: string, text: string): LoadedDocument {
  const resources: EvaluationResource[] = [];
  try {
    for (const doc of readYamlDocuments(text)) {
      const at = doc.index > 0 ? `document ${doc.index + 1}: ` : "";
      try {
        // One by one: spreading a List of a few hundred thousand items would overflow the stack.
        for (const r of manifestObjects(file, doc.value, doc.line, doc.column, doc.items ?? []))
          resources.push(r);
      } catch (err) {
        if (err instanceof InputError) throw new InputError(file, `${at}${err.reason}`, err.line);
        throw err;
      }
    }
  } catch (err) {
    if (!(err instanceof YamlReadError)) throw err;
    // "document N" only where the file has several (counted from 1, as `---` separates them).
    const at = err.documentIndex ? `document ${err.documentIndex + 1}: ` : "";
    throw new InputError(file, `${at}${err.message}`, err.line);
  }
  if (resources.length === 0)
    throw new InputError(file, "no Kubernetes objects in the file (only empty documents)");
  return { file, kind: "kubernetes", text: "", resources, defaults: { target: inferTarget(resources) } };
}

function readJson(file: string, text: string): LoadedDocument {
  const tooDeep = jsonNestingBeyondLimit(text);
  if (tooDeep !== undefined) throw new InputError(file, nestingTooDeep().message, lineAt(text, tooDeep));
  let doc: unknown;
  try {
    doc = JSON.parse(text) as unknown;
  } catch (err) {
    const message = (err as Error).message;
    throw new InputError(
      file,
      `malformed JSON: ${message.replace(/ in JSON at position \d+.*$/, "").replace(/ \(line \d+ column \d+\)$/, "")}`,
      jsonErrorLine(text, message),
    );
  }
  if (isJsonObject(doc) && Array.isArray(doc.steps)) return readPreview(file, text, doc);
  if (isJsonObject(doc) && isJsonObject(doc.deployment)) return readStackExport(file, text, doc.deployment);
  if (isJsonObject(doc) && typeof doc.apiVersion === "string" && typeof doc.kind === "string") {
    const resources = manifestObjects(file, doc, 1, 1, []);
    return { file, kind: "kubernetes", text: "", resources, defaults: { target: inferTarget(resources) } };
  }
  throw new InputError(
    file,
    "unknown document shape: expected a `pulumi preview --json` document (steps), an `mlstack plan` plan.json, a `pulumi stack export` (deployment.resources) or a Kubernetes manifest",
    1,
  );
}

/** The first character that is not whitespace (without copying a document of many megabytes). */
function firstNonSpace(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== " " && c !== "\n" && c !== "\r" && c !== "\t") return c;
  }
  return undefined;
}

/**
 * Reads one file, detecting its format from its content. The file is checked to be a regular file
 * before it is opened (a FIFO named x.yaml would block the read forever), and opened non-blocking
 * so one swapped in between cannot block either.
 */
export async function readDocument(file: string, display: string = file): Promise<LoadedDocument> {
  let text: string;
  try {
    const before = await fs.stat(file);
    if (!before.isFile()) throw new InputError(display, `${fileKind(before)}, not a regular file: refused`);
    const handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    try {
      const opened = await handle.stat();
      if (!opened.isFile()) throw new InputError(display, `${fileKind(opened)}, not a regular file: refused`);
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      display,
      code === "ENOENT" ? "no such file or directory" : `cannot read: ${(err as Error).message}`,
    );
  }
  // A UTF-8 byte-order mark is allowed (editors on Windows write one); it is not content.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = firstNonSpace(text);
  if (first === undefined) throw new InputError(display, "empty file");
  return first === "{" || first === "[" ? readJson(display, text) : readYaml(display, text);
}

/** What a non-regular file is, for messages. */
export function fileKind(stat: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isDirectory(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (stat.isFIFO()) return "a FIFO (named pipe)";
  if (stat.isSocket()) return "a socket";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isDirectory()) return "a directory";
  return "a special file";
}

/**
 * Reads a file, or every manifest (`.yaml`, `.yml`, `.json`) under a directory (see
 * `inputFiles.ts` for which). Paths in reports are relative to `cwd`.
 */
export async function readInput(target: string, cwd: string = process.cwd()): Promise<LoadedDocument[]> {
  const absolute = path.resolve(cwd, target);
  const display = (p: string) => path.relative(cwd, p).split(path.sep).join("/") || path.basename(p);
  const files = await collectInputFiles(target, absolute);
  const docs: LoadedDocument[] = [];
  for (const f of files) docs.push(await readDocument(f, display(f)));
  return files.length > 1 ? dropRepeatedObjects(docs) : docs;
}
