/**
 * Reads what `mlstack check` is pointed at into resources for the policy pack: a
 * `pulumi preview --json` document (`steps[].newState`, deletes skipped), `mlstack plan`'s
 * plan.json (same shape), a `pulumi stack export` (`deployment.resources[]`), or Kubernetes
 * manifests (YAML or JSON, multi-document, `kind: List`, or a directory of them).
 *
 * Anything unusable — a missing path, an empty file, malformed JSON or YAML, a document of no
 * known shape — throws an `InputError` naming the file and, where known, the line.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { isMap, isSeq, LineCounter, parseAllDocuments } from "yaml";
import type { EvaluationResource } from "../../policies/evaluate";
import type { DocumentDefaults } from "../../policies/packConfig";
import { ENVIRONMENTS, TARGETS } from "../../policies/rule";
import type { Environment, Target } from "../../policies/rule";

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
  text: string;
  resources: EvaluationResource[];
  outputs?: Record<string, unknown>;
  defaults: DocumentDefaults;
}

const MANIFEST_EXTENSIONS = [".yaml", ".yml", ".json"];
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

function fromState(state: Json): EvaluationResource | undefined {
  const urn = state.urn;
  const type = state.type;
  if (typeof urn !== "string" || typeof type !== "string") return undefined;
  return {
    urn,
    type,
    name: nameFromUrn(urn),
    inputs: isJsonObject(state.inputs) ? state.inputs : undefined,
    outputs: isJsonObject(state.outputs) ? state.outputs : undefined,
    id: typeof state.id === "string" && state.id !== "" ? state.id : undefined,
    parent: typeof state.parent === "string" ? state.parent : undefined,
    protect: state.protect === true,
    retainOnDelete: state.retainOnDelete === true,
    dependencies: Array.isArray(state.dependencies) ? (state.dependencies as string[]) : undefined,
    propertyDependencies: isJsonObject(state.propertyDependencies)
      ? (state.propertyDependencies as Record<string, string[]>)
      : undefined,
    provider: typeof state.provider === "string" ? state.provider : undefined,
  };
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
    if (!isJsonObject(step)) throw new InputError(file, `steps[${i}] is not an object`);
    if (typeof step.op === "string" && DELETE_OPS.has(step.op)) return;
    if (!isJsonObject(step.newState)) return;
    const r = fromState(step.newState);
    if (!r) throw new InputError(file, `steps[${i}].newState has no urn or type`);
    resources.push(r);
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
    if (!isJsonObject(state)) throw new InputError(file, `deployment.resources[${i}] is not an object`);
    if (state.delete === true) return;
    const r = fromState(state);
    if (!r) throw new InputError(file, `deployment.resources[${i}] has no urn or type`);
    resources.push(r);
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
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const resources: EvaluationResource[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const pos = lineCounter.linePos(error.pos[0]);
      throw new InputError(
        file,
        `malformed YAML: ${error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`,
        pos.line,
      );
    }
    if (doc.contents === null) continue;
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    const start = doc.contents.range?.[0] ?? 0;
    const { line, col } = lineCounter.linePos(start);
    const itemPositions: Array<[number | undefined, number | undefined]> = [];
    if (isMap(doc.contents)) {
      const items = doc.contents.get("items", true);
      if (isSeq(items)) {
        for (const item of items.items) {
          const r = (item as { range?: [number, number, number] }).range;
          const p = r ? lineCounter.linePos(r[0]) : undefined;
          itemPositions.push([p?.line, p?.col]);
        }
      }
    }
    resources.push(...manifestObjects(file, value, line, col, itemPositions));
  }
  if (resources.length === 0)
    throw new InputError(file, "no Kubernetes objects in the file (only empty documents)");
  return { file, kind: "kubernetes", text, resources, defaults: { target: inferTarget(resources) } };
}

function readJson(file: string, text: string): LoadedDocument {
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
    return { file, kind: "kubernetes", text, resources, defaults: { target: inferTarget(resources) } };
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
    if (c !== " " && c !== "\n" && c !== "\r" && c !== "\t" && c !== "\ufeff") return c;
  }
  return undefined;
}

/** Reads one file, detecting its format from its content. */
export async function readDocument(file: string, display: string = file): Promise<LoadedDocument> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      display,
      code === "ENOENT" ? "no such file or directory" : `cannot read: ${(err as Error).message}`,
    );
  }
  const first = firstNonSpace(text);
  if (first === undefined) throw new InputError(display, "empty file");
  return first === "{" || first === "[" ? readJson(display, text) : readYaml(display, text);
}

async function manifestFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await fs.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await manifestFiles(full)));
    else if (MANIFEST_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) out.push(full);
  }
  return out;
}

/** Reads a file, or every manifest (`.yaml`, `.yml`, `.json`) under a directory. Paths in reports are relative to `cwd`. */
export async function readInput(target: string, cwd: string = process.cwd()): Promise<LoadedDocument[]> {
  const absolute = path.resolve(cwd, target);
  const display = (p: string) => path.relative(cwd, p).split(path.sep).join("/") || path.basename(p);
  let stat;
  try {
    stat = await fs.stat(absolute);
  } catch {
    throw new InputError(target, "no such file or directory");
  }
  if (!stat.isDirectory()) return [await readDocument(absolute, display(absolute))];
  const files = await manifestFiles(absolute);
  if (files.length === 0) throw new InputError(target, "the directory holds no .yaml, .yml or .json files");
  const docs: LoadedDocument[] = [];
  for (const f of files) docs.push(await readDocument(f, display(f)));
  return docs;
}
