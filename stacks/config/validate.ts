/**
 * Validates raw `mlstack:*` values against the TypeBox schema with ajv and turns every ajv error
 * into a config problem in mlstack's own words: `mlstack:<key path>: <value> <what is allowed>`.
 * All errors are collected (allErrors), so one run reports everything wrong.
 *
 * The values the section parsers then read are *sanitized*: a value the schema refused is
 * dropped, so the parser falls back to its default, exactly as if the key were absent, and the
 * semantic checks still run on the rest (one run still reports everything).
 */
import Ajv from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import type { TSchema } from "@sinclair/typebox";
import { Reader, keyPath } from "./reader";
import { FORMATS } from "./schemaKinds";

type Json = Record<string, unknown>;
interface SchemaNode {
  type?: string | string[];
  format?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  minimum?: number;
  minItems?: number;
  maxItems?: number;
  maximum?: number;
  enum?: unknown[];
  patternErrorMessage?: string;
  errorMessage?: string;
  description?: string;
}

function createAjv(): Ajv {
  // ajv 8.20.0: strict mode on (unknown keywords are mistakes), union types allowed for quantities.
  // No check of the schema against the JSON Schema meta-schema on every run (compiling the
  // meta-schema is ~15 ms of each plan's CPU): the schema is fixed, and test/config/validate.test.ts
  // checks it once; strict mode still refuses unknown keywords here.
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    allowUnionTypes: true,
    validateSchema: false,
  });
  // Annotations for people and editors (yaml-language-server, VS Code), not checks.
  ajv.addKeyword({ keyword: "patternErrorMessage", schemaType: "string" });
  ajv.addKeyword({ keyword: "errorMessage", schemaType: "string" });
  for (const [name, format] of Object.entries(FORMATS)) ajv.addFormat(name, format.check);
  return ajv;
}

/** One ajv per process; compiling is most of validation's cost (the checks themselves take ~1 ms). */
let shared: Ajv | undefined;
/** Per schema, its validators by the keys the data gives (see `usedPart`), each compiled once per process. */
const compiled = new WeakMap<object, Map<string, ValidateFunction>>();

/**
 * The validator for `schema` as far as `data` uses it, compiled once per process. Compiling the whole
 * `mlstack:*` schema (every target's sections) costs ~170 ms of CPU, most of it for sections a stack
 * does not set (a Kubernetes stack sets no `aws` or `gcp`); only the top-level keys present are
 * compiled (~30 ms for the bench's 100-model stack).
 */
function compile(schema: TSchema, data: unknown): ValidateFunction {
  shared ??= createAjv();
  const part = usedPart(schema as SchemaNode, data);
  let byKeys = compiled.get(schema);
  if (!byKeys) {
    byKeys = new Map();
    compiled.set(schema, byKeys);
  }
  let validate = byKeys.get(part.key);
  if (!validate) {
    validate = shared.compile(part.schema);
    byKeys.set(part.key, validate);
  }
  return validate;
}

/**
 * A map schema with only the keys `data` sets (and the required ones) kept whole: a key that is absent
 * is never checked, so its schema becomes `{}`, and it stays declared, so `additionalProperties: false`
 * still refuses misspelt keys and its message lists the same known keys in the same order. The checks,
 * their order and so the errors are those of the whole schema.
 */
function usedPart(schema: SchemaNode, data: unknown): { key: string; schema: SchemaNode } {
  const properties = schema.properties;
  if (!properties || data === null || typeof data !== "object" || Array.isArray(data))
    return { key: "*", schema };
  const required = new Set((schema as { required?: string[] }).required ?? []);
  const used = Object.keys(properties).filter((k) => required.has(k) || Object.hasOwn(data, k));
  const kept = new Set(used);
  return {
    key: used.join("/"),
    schema: {
      ...schema,
      properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, kept.has(k) ? v : {}])),
    },
  };
}

/**
 * Checks `raw` against `schema`, records each problem on `r` (paths under `base`, e.g. "" for the
 * top level) and returns a sanitized copy shaped as the schema says (required keys may be missing).
 */
export function validateSection<T>(schema: TSchema, raw: unknown, r: Reader, base = ""): T {
  const data = coerce(schema as SchemaNode, copy(raw));
  const validate = compile(schema, data);
  if (validate(data)) return data as T;
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== "propertyNames" && e.keyword !== "if");
  for (const error of errors) {
    const problem = describe(error, data, base);
    if (problem) r.fail(problem.path, problem.value, problem.allowed);
  }
  return sanitize(data, errors) as T;
}

/** A copy of plain config data (maps, lists, scalars), so coercing and dropping never touch the caller's. */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)]));
  return value;
}

/**
 * What the engine and YAML hand over, read as the schema's types: "3" as 3 and "true" as true
 * (the engine passes scalar config as strings), quantities given as numbers as text, and a key
 * set to null as absent.
 */
function coerce(schema: SchemaNode | undefined, value: unknown): unknown {
  if (!schema) return value;
  if (schema.type === "integer" && typeof value === "string" && /^-?[0-9]+$/.test(value))
    return Number(value);
  if (schema.type === "boolean" && (value === "true" || value === "false")) return value === "true";
  // A number where text is allowed too (quantities, project numbers, arguments) is read as its text.
  if (Array.isArray(schema.type) && schema.type.includes("string") && typeof value === "number")
    return String(value);
  if (Array.isArray(value)) return schema.items ? value.map((item) => coerce(schema.items, item)) : value;
  if (value !== null && typeof value === "object") {
    const obj = value as Json;
    for (const key of Object.keys(obj)) {
      if (obj[key] === null) {
        delete obj[key];
        continue;
      }
      const sub =
        schema.properties?.[key] ??
        (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
      obj[key] = coerce(sub, obj[key]);
    }
  }
  return value;
}

function segments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** `/teams/0/name` → `teams[0].name`, reading the data to tell list indexes from keys. */
function displayPath(pointer: string, data: unknown, base: string): string {
  let path = base;
  let node = data;
  for (const segment of segments(pointer)) {
    if (Array.isArray(node)) {
      path = `${path}[${segment}]`;
      node = node[Number(segment)];
    } else {
      path = keyPath(path, segment);
      node = node !== null && typeof node === "object" ? (node as Json)[segment] : undefined;
    }
  }
  return path;
}

function typeWords(schema: SchemaNode): string {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (schema.patternErrorMessage) return `is not ${schema.patternErrorMessage}`;
  if (types.length > 1) {
    const words: Record<string, string> = {
      string: "a string",
      number: "a number",
      boolean: "true or false",
      object: "a map",
    };
    return `is not ${types.map((t) => words[t ?? ""] ?? t).join(" or ")}`;
  }
  if (types.includes("integer")) return `is not a whole number from ${schema.minimum} to ${schema.maximum}`;
  if (types.includes("boolean")) return "is not true or false";
  if (types.includes("array")) return "is not a list";
  if (types.includes("object")) return "is not an object (expected a map of keys)";
  if (types.includes("string")) return "is not a non-empty string";
  return `is not of type ${types.join(" or ")}`;
}

function describe(
  error: ErrorObject,
  data: unknown,
  base: string,
): { path: string; value: unknown; allowed: string } | undefined {
  const schema = (error.parentSchema ?? {}) as SchemaNode;
  const path = displayPath(error.instancePath, data, base);
  if (error.propertyName !== undefined)
    return {
      path,
      value: error.propertyName,
      allowed: `has a key that is not ${schema.patternErrorMessage}`,
    };
  switch (error.keyword) {
    case "additionalProperties": {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys(schema.properties ?? {});
      return {
        path: keyPath(path, key),
        value: (error.data as Json)[key],
        allowed: `is not a known key (known: ${known.join(", ")})`,
      };
    }
    case "required": {
      const key = (error.params as { missingProperty: string }).missingProperty;
      const hint = schema.properties?.[key]?.description;
      return {
        path: keyPath(path, key),
        value: undefined,
        allowed: hint ? `is required (${hint})` : "is required",
      };
    }
    case "enum":
      return { path, value: error.data, allowed: `is not one of: ${(schema.enum ?? []).join(", ")}` };
    case "maxItems":
      return {
        path,
        value: error.data,
        allowed: schema.errorMessage ?? `lists more than ${schema.maxItems} items`,
      };
    case "minItems":
      return {
        path,
        value: error.data,
        allowed: schema.errorMessage ?? `must list at least ${schema.minItems} item(s)`,
      };
    case "uniqueItems": {
      const { i, j } = error.params as { i: number; j: number };
      const later = Math.max(i, j);
      return {
        path: `${path}[${later}]`,
        value: (error.data as unknown[])[later],
        allowed: "is listed twice",
      };
    }
    case "pattern":
    case "format":
      return { path, value: error.data, allowed: `is not ${schema.patternErrorMessage ?? error.message}` };
    default:
      return { path, value: error.data, allowed: typeWords(schema) };
  }
}

/** Keywords whose failure makes the value itself unusable (dropped), as opposed to its container. */
const VALUE_KEYWORDS = new Set([
  "type",
  "pattern",
  "format",
  "enum",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
]);

/** Drops every refused value so the parsers see absent keys (their defaults) instead. */
function sanitize(data: unknown, errors: ErrorObject[]): unknown {
  const drops: string[][] = [];
  const objectItems = new Set<string>();
  for (const error of errors) {
    if (error.keyword === "type" && (error.parentSchema as SchemaNode).type === "object")
      objectItems.add(segments(error.instancePath).join("/"));
    if (error.propertyName !== undefined) drops.push([...segments(error.instancePath), error.propertyName]);
    else if (error.keyword === "additionalProperties")
      drops.push([
        ...segments(error.instancePath),
        (error.params as { additionalProperty: string }).additionalProperty,
      ]);
    else if (VALUE_KEYWORDS.has(error.keyword)) drops.push(segments(error.instancePath));
  }
  if (drops.some((p) => p.length === 0)) return undefined;
  // Deepest and last list items first, so a list keeps the indexes of the items not yet visited.
  drops.sort((a, b) => b.length - a.length || Number(b[b.length - 1]) - Number(a[a.length - 1]) || 0);
  for (const pointer of drops) {
    let parent: unknown = data;
    for (const segment of pointer.slice(0, -1))
      parent = parent !== null && typeof parent === "object" ? (parent as Json)[segment] : undefined;
    const last = pointer[pointer.length - 1];
    if (Array.isArray(parent)) {
      // A list of maps keeps a refused item as {}, so the items after it keep their index in messages.
      if (objectItems.has(pointer.join("/"))) parent[Number(last)] = {};
      else if (Number(last) in parent) parent.splice(Number(last), 1);
    } else if (parent !== null && typeof parent === "object") delete (parent as Json)[last];
  }
  return data;
}
