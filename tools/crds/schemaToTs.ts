/**
 * Turns CustomResourceDefinitions into TypeScript: for each served version of each kind, the
 * interfaces of its fields (from the version's OpenAPI v3 schema) and one small class that extends
 * `k8s.apiextensions.CustomResource` with the `apiVersion` and `kind` fixed. Pure: CRD objects in,
 * file texts out (the fetching and writing are `generate.ts`'s).
 *
 * The mapping, following the structural-schema rules of apiextensions.k8s.io/v1:
 * - `properties` → an interface; a field is required when the schema lists it in `required` and
 *   gives it no `default` (the API server fills defaults before it checks `required`);
 * - `enum` → a union of literals; `nullable` → `| null`;
 * - `x-kubernetes-int-or-string` → `number | string`;
 * - `additionalProperties: <schema>` → `{ [key: string]: T }`;
 * - `x-kubernetes-preserve-unknown-fields` → `Record<string, unknown>` (or an index signature of
 *   `unknown` beside the known properties), `unknown` where the schema gives no type at all;
 * - `anyOf`/`oneOf`/`allOf`/`not` only narrow values in a structural schema (the type is always
 *   given outside them), so they add nothing to the type;
 * - every field's value is wrapped in `pulumi.Input<>` (optional ones `Input<T | undefined>`, as the
 *   SDK declares its own), arrays' items too, so outputs of other
 *   resources are accepted wherever a literal is.
 * Identical object types inside one file are emitted once (keyed on their text), so the pod and
 * container schemas that KServe and the Prometheus Operator repeat many times cost one interface.
 */

/** The part of a CRD's OpenAPI v3 schema the generator reads. */
export interface JsonSchema {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  enum?: unknown[];
  nullable?: boolean;
  default?: unknown;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JsonSchema };
}

export interface Crd {
  kind: "CustomResourceDefinition";
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string };
    scope: "Namespaced" | "Cluster";
    versions: CrdVersion[];
  };
}

/** Where a file's CRDs came from, written into its header so staleness can be checked. */
export interface CrdOrigin {
  operator: string;
  version: string;
  /** sha256 (hex) of the CRD file the types were generated from. */
  sha256: string;
}

export interface GeneratedFile {
  /** Path under the generated folder: `<group>/<version>.ts`. */
  path: string;
  text: string;
}

/** The fields every object has, typed by the SDK or fixed by the class. */
const OBJECT_FIELDS = new Set(["apiVersion", "kind", "metadata", "status"]);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function pascal(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w) => w[0].toUpperCase() + w.slice(1)).join("");
  return /^[0-9]/.test(joined) ? `_${joined}` : joined;
}

function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

/** First sentence of a description, on one line, safe inside a block comment. */
function summary(description: string | undefined): string | undefined {
  if (!description) return undefined;
  const line = description.replace(/\s+/g, " ").trim();
  const sentence = line.match(/^.*?[.!?](\s|$)/)?.[0].trim() ?? line;
  const short = sentence.length > 200 ? `${sentence.slice(0, 197)}...` : sentence;
  return short.replace(/\*\//g, "*\\/");
}

function literal(value: unknown): string | undefined {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
    return JSON.stringify(value);
  return undefined;
}

/**
 * The interfaces of one output file, deduplicated on their text. An interface is referred to by a
 * token while the file is built; once every kind is in, each gets the shortest of the names its
 * uses asked for (`KafkaNodePoolSpecResources` rather than the first path that met the same
 * shape), and `resolve` swaps the tokens for the names.
 */
class InterfaceTable {
  private readonly byBody = new Map<string, number>();
  private readonly entries: { wanted: string[]; lines: string[] }[] = [];
  private names?: string[];

  constructor(private readonly reserved: Iterable<string>) {}

  /** A token standing for the interface with these members (declared on first use). */
  declare(
    wanted: string,
    members: { key: string; doc?: string; optional: boolean; type: string }[],
    index?: string,
  ): string {
    const body =
      members.map((m) => `${m.key}${m.optional ? "?" : ""}: ${m.type};`).join("\n") + (index ?? "");
    let id = this.byBody.get(body);
    if (id === undefined) {
      id = this.entries.length;
      this.byBody.set(body, id);
      const lines = members.map((m) => {
        const doc = m.doc ? `  /** ${m.doc} */\n` : "";
        return `${doc}  ${m.key}${m.optional ? "?" : ""}: ${m.type};`;
      });
      if (index) lines.push(`  ${index}`);
      this.entries.push({ wanted: [], lines });
    }
    this.entries[id].wanted.push(wanted);
    return `\u0000${id}\u0000`;
  }

  private assignNames(): string[] {
    const taken = new Set(this.reserved);
    return this.entries.map(({ wanted }) => {
      const [best] = [...wanted].sort((a, b) => a.length - b.length || a.localeCompare(b));
      let name = best;
      for (let n = 2; taken.has(name); n++) name = `${best}${n}`;
      taken.add(name);
      return name;
    });
  }

  /** The text with every token replaced by its interface's name (once every kind is declared). */
  resolve(text: string): string {
    this.names ??= this.assignNames();
    const names = this.names;
    return text.replace(/\u0000(\d+)\u0000/g, (_, id: string) => names[Number(id)]);
  }

  declarations(): string[] {
    return this.entries.map((e, id) =>
      this.resolve(`export interface \u0000${id}\u0000 {\n${e.lines.join("\n")}\n}`),
    );
  }
}

/** The TypeScript type (not wrapped in Input) of a schema node; `name` names its interface. */
function typeOf(schema: JsonSchema, name: string, table: InterfaceTable): string {
  const nullable = schema.nullable ? " | null" : "";
  if (schema["x-kubernetes-int-or-string"]) return `number | string${nullable}`;
  if (schema.enum && schema.enum.length > 0) {
    const literals = schema.enum.map(literal).filter((l): l is string => l !== undefined);
    const withNull = schema.enum.includes(null) ? " | null" : nullable;
    if (literals.length > 0) return `${[...new Set(literals)].join(" | ")}${withNull}`;
  }
  switch (schema.type) {
    case "string":
      return `string${nullable}`;
    case "integer":
    case "number":
      return `number${nullable}`;
    case "boolean":
      return `boolean${nullable}`;
    case "array": {
      const item = schema.items ? typeOf(schema.items, name, table) : "unknown";
      return `Input<${item}>[]${nullable}`;
    }
    case "object":
      return `${objectType(schema, name, table)}${nullable}`;
    default:
      if (schema.properties) return `${objectType(schema, name, table)}${nullable}`;
      return "unknown";
  }
}

/**
 * A field's declared type. Optional fields are `Input<T | undefined>`, as in @pulumi/kubernetes's
 * own input types, so the SDK's typed values (a `SecurityContext`, an `Affinity`) fit them.
 */
function fieldType(type: string, optional: boolean): string {
  return optional ? `Input<${type} | undefined>` : `Input<${type}>`;
}

function objectType(schema: JsonSchema, name: string, table: InterfaceTable): string {
  const properties = schema.properties ?? {};
  const keys = Object.keys(properties).sort();
  const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true;
  const extra = schema.additionalProperties;
  let valueType: string | undefined;
  if (extra === true || (typeof extra === "object" && Object.keys(extra).length === 0)) valueType = "unknown";
  else if (typeof extra === "object") valueType = `Input<${typeOf(extra, `${name}Value`, table)}>`;
  else if (preserve) valueType = "unknown";
  if (keys.length === 0) return valueType ? `{ [key: string]: ${valueType} }` : "Record<string, unknown>";
  const required = new Set(schema.required ?? []);
  const members = keys.map((key) => {
    const child = properties[key];
    const optional = !required.has(key) || child.default !== undefined;
    return {
      key: propertyKey(key),
      doc: summary(child.description),
      optional,
      type: fieldType(typeOf(child, `${name}${pascal(key)}`, table), optional),
    };
  });
  // A known property's type must fit the index signature's, so extra keys of an open object
  // are `unknown` whatever the declared additionalProperties say.
  const index = valueType ? "[key: string]: unknown;" : undefined;
  return table.declare(name, members, index);
}

/** The class, args and field interfaces of one kind at one version. */
function kindSource(crd: Crd, version: CrdVersion, table: InterfaceTable): string {
  const kind = crd.spec.names.kind;
  const apiVersion = `${crd.spec.group}/${version.name}`;
  const root = version.schema?.openAPIV3Schema ?? {};
  const fields = Object.keys(root.properties ?? {})
    .filter((key) => !OBJECT_FIELDS.has(key))
    .sort();
  const required = new Set(root.required ?? []);
  const members = fields.map((key) => {
    const child = (root.properties ?? {})[key];
    const type = typeOf(child, `${kind}${pascal(key)}`, table);
    const doc = summary(child.description);
    const optional = !required.has(key) || child.default !== undefined;
    return `${doc ? `  /** ${doc} */\n` : ""}  ${propertyKey(key)}${optional ? "?" : ""}: ${fieldType(type, optional)};`;
  });
  const open = fields.length === 0 || root["x-kubernetes-preserve-unknown-fields"] === true;
  if (open) members.push("  [key: string]: unknown;");
  const doc = summary(root.description) ?? `${kind} (${apiVersion}).`;
  return [
    `/** The fields of a ${kind} (${apiVersion}) besides apiVersion, kind and status. */`,
    `export interface ${kind}Args {`,
    "  metadata?: Input<k8s.types.input.meta.v1.ObjectMeta>;",
    ...members,
    "}",
    "",
    `/** ${doc} */`,
    `export class ${kind} extends k8s.apiextensions.CustomResource {`,
    `  static readonly apiVersion = ${JSON.stringify(apiVersion)};`,
    `  static readonly kind = ${JSON.stringify(kind)};`,
    "",
    `  constructor(name: string, args: ${kind}Args, opts?: pulumi.CustomResourceOptions) {`,
    `    super(name, { apiVersion: ${kind}.apiVersion, kind: ${kind}.kind, ...args }, opts);`,
    "  }",
    "}",
  ].join("\n");
}

function header(origin: CrdOrigin, apiVersion: string): string {
  return [
    `// Generated by tools/crds/generate.ts (npm run generate:crds) from the CRDs of ${origin.operator} ${origin.version}. Do not edit.`,
    `// crds: ${origin.operator} ${origin.version} sha256:${origin.sha256}`,
    `// ${apiVersion}`,
    'import * as k8s from "@pulumi/kubernetes";',
    'import * as pulumi from "@pulumi/pulumi";',
    "",
    "type Input<T> = pulumi.Input<T>;",
    "",
  ].join("\n");
}

/** One file per group/version: every served kind of that version. */
export function generateFiles(
  crds: Crd[],
  origin: CrdOrigin,
  kinds?: (kind: string) => boolean,
): GeneratedFile[] {
  const byGroupVersion = new Map<string, { crd: Crd; version: CrdVersion }[]>();
  for (const crd of crds) {
    if (kinds && !kinds(crd.spec.names.kind)) continue;
    for (const version of crd.spec.versions) {
      if (!version.served) continue;
      const key = `${crd.spec.group}/${version.name}`;
      byGroupVersion.set(key, [...(byGroupVersion.get(key) ?? []), { crd, version }]);
    }
  }
  const files: GeneratedFile[] = [];
  for (const [apiVersion, entries] of [...byGroupVersion.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    entries.sort((a, b) => a.crd.spec.names.kind.localeCompare(b.crd.spec.names.kind));
    const reserved = entries.flatMap(({ crd }) => [
      crd.spec.names.kind,
      `${crd.spec.names.kind}Args`,
      "Input",
    ]);
    const table = new InterfaceTable(reserved);
    const kindsText = entries
      .map(({ crd, version }) => kindSource(crd, version, table))
      .map((t) => table.resolve(t));
    const text = `${header(origin, apiVersion)}\n${kindsText.join("\n\n")}\n\n${table.declarations().join("\n\n")}\n`;
    files.push({ path: `${apiVersion}.ts`, text });
  }
  return files;
}

/** The origin recorded in a generated file's header, if it has one. */
export function recordedOrigin(text: string): CrdOrigin | undefined {
  const match = text.match(/^\/\/ crds: (\S+) (\S+) sha256:([0-9a-f]{64})$/m);
  return match ? { operator: match[1], version: match[2], sha256: match[3] } : undefined;
}
