/**
 * The Pulumi YAML and Python examples (examples/yaml, examples/python) use mlstack's components as
 * a Pulumi component package. They are checked against the package schema Pulumi's component
 * analyzer generates (docs/package-schema.json, kept equal to the analyzer's output by
 * analyzer.test.ts): resource types, required inputs, unknown inputs, value types and enums, and
 * that an output of another resource only goes where the schema takes an input (not a plain value).
 * The Python program is read with Python's own `ast` module (python3), its keyword arguments and
 * dict keys in snake_case as Pulumi's Python SDK names them.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { Exposure, Mlflow } from "../../components/index";
import { render } from "../support/render";

const ROOT = path.resolve(__dirname, "../..");
const PACKAGE = "mlstack";

interface PropertyDef {
  type?: string;
  $ref?: string;
  plain?: boolean;
  items?: PropertyDef;
  additionalProperties?: PropertyDef;
}
interface ObjectType {
  type: string;
  properties?: Record<string, PropertyDef>;
  required?: string[];
  enum?: Array<{ value: string | number }>;
}
interface Schema {
  resources: Record<
    string,
    {
      inputProperties: Record<string, PropertyDef>;
      requiredInputs: string[];
      properties: Record<string, PropertyDef>;
    }
  >;
  types: Record<string, ObjectType>;
}

const schema: Schema = JSON.parse(fs.readFileSync(path.join(ROOT, "docs", "package-schema.json"), "utf8"));

/** A value of an example program, as far as the schema check needs it. */
type Value =
  | { kind: "literal"; value: string | number | boolean | null }
  | { kind: "list"; items: Value[] }
  | { kind: "map"; entries: Array<[string, Value]> }
  /** An output of a resource of the program (`${mlflow.serviceName}`, `mlflow.service_name`). */
  | { kind: "output"; resource: string; type: string; attribute: string }
  | { kind: "unsupported"; text: string };

/** camelCase → snake_case, as Pulumi's Python SDK generator names properties. */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/** Checks one value against a schema property; `name` maps a schema property name to the program's. */
function checkValue(where: string, value: Value, def: PropertyDef, name: (p: string) => string): string[] {
  if (value.kind === "unsupported")
    return [`${where}: ${value.text} is neither a literal nor a resource output`];
  if (value.kind === "output") {
    if (def.plain)
      return [`${where}: takes a plain value, not the output ${value.resource}.${value.attribute}`];
    return checkOutputAttribute(where, value, name);
  }
  if (def.$ref === "pulumi.json#/Any") return [];
  if (def.$ref) {
    const typeName = def.$ref.replace(/^#\/types\//, "");
    const type = schema.types[typeName];
    if (!type) return [`${where}: the schema has no type ${typeName}`];
    if (type.enum) {
      const allowed = type.enum.map((e) => e.value);
      return value.kind === "literal" && allowed.includes(value.value as string)
        ? []
        : [`${where}: ${show(value)} is not one of ${allowed.join(", ")}`];
    }
    if (value.kind !== "map") return [`${where}: ${show(value)} is not an object (${typeName})`];
    return checkObject(where, value, type.properties ?? {}, type.required ?? [], name);
  }
  switch (def.type) {
    case "string":
    case "number":
    case "integer":
    case "boolean": {
      const jsType = def.type === "integer" ? "number" : def.type;
      if (value.kind === "literal" && typeof value.value === jsType) return [];
      return [`${where}: ${show(value)} is not a ${def.type}`];
    }
    case "array":
      if (value.kind !== "list") return [`${where}: ${show(value)} is not a list`];
      return value.items.flatMap((item, i) =>
        checkValue(`${where}[${i}]`, item, def.items as PropertyDef, name),
      );
    case "object":
      if (value.kind !== "map") return [`${where}: ${show(value)} is not a map`];
      return value.entries.flatMap(([key, v]) =>
        checkValue(`${where}.${key}`, v, def.additionalProperties ?? { $ref: "pulumi.json#/Any" }, name),
      );
    default:
      return [`${where}: the schema property has no type`];
  }
}

function checkObject(
  where: string,
  value: { entries: Array<[string, Value]> },
  properties: Record<string, PropertyDef>,
  required: string[],
  name: (p: string) => string,
): string[] {
  const byProgramName = new Map(Object.entries(properties).map(([p, def]) => [name(p), { p, def }]));
  const given = new Set(value.entries.map(([key]) => key));
  const problems = required.filter((p) => !given.has(name(p))).map((p) => `${where}: ${name(p)} is required`);
  for (const [key, v] of value.entries) {
    const property = byProgramName.get(key);
    if (!property)
      problems.push(`${where}: ${key} is not an input (inputs: ${[...byProgramName.keys()].join(", ")})`);
    else problems.push(...checkValue(`${where}.${key}`, v, property.def, name));
  }
  return problems;
}

/** An output of one of the package's resources must be one the schema declares. */
function checkOutputAttribute(
  where: string,
  value: Extract<Value, { kind: "output" }>,
  name: (p: string) => string,
) {
  const resource = schema.resources[value.type];
  if (!resource) return []; // another package's resource (kubernetes): not this schema's business
  const outputs = Object.keys(resource.properties).map(name);
  const first = value.attribute.split(".")[0];
  return outputs.includes(first)
    ? []
    : [`${where}: ${value.resource} (${value.type}) has no output ${first}`];
}

function show(value: Value): string {
  if (value.kind === "literal") return JSON.stringify(value.value);
  if (value.kind === "output") return `${value.resource}.${value.attribute}`;
  return value.kind;
}

/** A resource of the package the example declares: its type token and its inputs as given. */
interface Declared {
  where: string;
  type: string;
  inputs: { entries: Array<[string, Value]> };
}

function checkDeclared(declared: Declared[], name: (p: string) => string): string[] {
  return declared.flatMap((d) => {
    const resource = schema.resources[d.type];
    if (!resource)
      return [
        `${d.where}: the package has no resource ${d.type} (has ${Object.keys(schema.resources).join(", ")})`,
      ];
    return checkObject(d.where, d.inputs, resource.inputProperties, resource.requiredInputs, name);
  });
}

// --- Pulumi YAML ------------------------------------------------------------------------------

interface YamlProgram {
  packages?: Record<string, unknown>;
  variables?: Record<string, unknown>;
  resources: Record<string, { type: string; properties?: Record<string, unknown> }>;
}

function yamlValue(program: YamlProgram, raw: unknown): Value {
  if (typeof raw === "string") {
    const whole = /^\$\{([^}]+)\}$/.exec(raw);
    if (whole) {
      const [root, ...rest] = whole[1].split(".");
      if (program.variables && root in program.variables && rest.length === 0) {
        return yamlValue(program, program.variables[root]);
      }
      const resource = program.resources[root];
      if (resource) return { kind: "output", resource: root, type: resource.type, attribute: rest.join(".") };
      return { kind: "unsupported", text: raw };
    }
    if (raw.includes("${")) return { kind: "unsupported", text: raw };
    return { kind: "literal", value: raw };
  }
  if (raw === null || typeof raw === "number" || typeof raw === "boolean")
    return { kind: "literal", value: raw };
  if (Array.isArray(raw)) return { kind: "list", items: raw.map((item) => yamlValue(program, item)) };
  if (typeof raw === "object") {
    return { kind: "map", entries: Object.entries(raw).map(([k, v]) => [k, yamlValue(program, v)]) };
  }
  return { kind: "unsupported", text: String(raw) };
}

function yamlDeclared(program: YamlProgram): Array<Declared & { id: string }> {
  return Object.entries(program.resources)
    .filter(([, r]) => r.type.startsWith(`${PACKAGE}:`))
    .map(([id, r]) => {
      const inputs = yamlValue(program, r.properties ?? {});
      return { id, where: `resources.${id}`, type: r.type, inputs: inputs as Declared["inputs"] };
    });
}

// --- Python -------------------------------------------------------------------------------------

/** Python's own parser, its tree as JSON: every node is `{_type, ...fields}`. */
const PY_AST_DUMP = `
import ast, json, sys
def conv(n):
    if isinstance(n, ast.AST):
        d = {"_type": type(n).__name__, "lineno": getattr(n, "lineno", None)}
        for field, value in ast.iter_fields(n):
            d[field] = conv(value)
        return d
    if isinstance(n, list):
        return [conv(x) for x in n]
    if n is None or isinstance(n, (str, int, float, bool)):
        return n
    return repr(n)
print(json.dumps(conv(ast.parse(open(sys.argv[1]).read(), sys.argv[1]))))
`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Python's AST as JSON, walked by field name
type PyNode = any;

function pythonTree(file: string): PyNode {
  return JSON.parse(execFileSync("python3", ["-c", PY_AST_DUMP, file], { encoding: "utf8" }));
}

interface PythonProgram {
  /** The name the program imports pulumi_mlstack as. */
  alias: string;
  /** Module-level assignments: name → expression. */
  assigned: Map<string, PyNode>;
  calls: Array<{ node: PyNode; variable?: string }>;
}

function pythonProgram(tree: PyNode): PythonProgram {
  let alias = "";
  const assigned = new Map<string, PyNode>();
  const calls: PythonProgram["calls"] = [];
  for (const stmt of tree.body) {
    if (stmt._type === "Import") {
      for (const n of stmt.names) if (n.name === `pulumi_${PACKAGE}`) alias = n.asname ?? n.name;
    } else if (stmt._type === "Assign" && stmt.targets.length === 1 && stmt.targets[0]._type === "Name") {
      assigned.set(stmt.targets[0].id, stmt.value);
      if (stmt.value._type === "Call") calls.push({ node: stmt.value, variable: stmt.targets[0].id });
    } else if (stmt._type === "Expr" && stmt.value._type === "Call") {
      calls.push({ node: stmt.value });
    }
  }
  return { alias, assigned, calls };
}

/** `mlstack.Mlflow(...)` → `mlstack:index:Mlflow`; anything else → undefined. */
function packageResourceType(program: PythonProgram, call: PyNode): string | undefined {
  const f = call.func;
  if (f?._type === "Attribute" && f.value?._type === "Name" && f.value.id === program.alias) {
    return `${PACKAGE}:index:${f.attr}`;
  }
  return undefined;
}

/** The token of the resource a module-level variable holds, for `variable.output` references. */
function resourceTypeOf(program: PythonProgram, variable: string): string | undefined {
  const value = program.assigned.get(variable);
  if (value?._type !== "Call") return undefined;
  return packageResourceType(program, value) ?? "other:resource";
}

function pythonValue(program: PythonProgram, node: PyNode): Value {
  switch (node._type) {
    case "Constant":
      return { kind: "literal", value: node.value };
    case "List":
    case "Tuple":
      return { kind: "list", items: node.elts.map((e: PyNode) => pythonValue(program, e)) };
    case "Dict": {
      const entries: Array<[string, Value]> = [];
      node.keys.forEach((k: PyNode, i: number) => {
        if (k?._type !== "Constant" || typeof k.value !== "string") {
          entries.push([
            `<key ${i}>`,
            { kind: "unsupported", text: "a dict key that is not a string literal" },
          ]);
        } else entries.push([k.value, pythonValue(program, node.values[i])]);
      });
      return { kind: "map", entries };
    }
    case "Name": {
      const value = program.assigned.get(node.id);
      if (value && value._type !== "Call") return pythonValue(program, value);
      return { kind: "unsupported", text: `the name ${node.id} (line ${node.lineno})` };
    }
    case "Attribute": {
      const chain: string[] = [];
      let n = node;
      while (n._type === "Attribute") {
        chain.unshift(n.attr);
        n = n.value;
      }
      const type = n._type === "Name" ? resourceTypeOf(program, n.id) : undefined;
      if (type) return { kind: "output", resource: n.id, type, attribute: chain.join(".") };
      return { kind: "unsupported", text: `an attribute (line ${node.lineno})` };
    }
    default:
      return { kind: "unsupported", text: `a ${node._type} expression (line ${node.lineno})` };
  }
}

function pythonDeclared(program: PythonProgram): Array<Declared & { id: string }> {
  return program.calls.flatMap(({ node, variable }) => {
    const type = packageResourceType(program, node);
    if (!type) return [];
    const entries: Array<[string, Value]> = node.keywords
      .filter((k: PyNode) => k.arg !== "opts" && k.arg !== "resource_name")
      .map((k: PyNode) => [k.arg ?? "**", pythonValue(program, k.value)]);
    const id = variable ?? `line ${node.lineno}`;
    return [{ id, where: `${id} (line ${node.lineno})`, type, inputs: { entries } }];
  });
}

// --- the examples through the real components --------------------------------------------------

/**
 * What the plugin's `construct` hands a component: the program's inputs with schema names, and
 * another resource's output as a `pulumi.Output`. Outputs of the package's own resources come from
 * the component instances built before; outputs of other resources (kubernetes) are the values the
 * program gave them at that path (`${namespace.metadata.name}` is the name it set).
 */
function toArgs(
  value: Value,
  def: PropertyDef,
  name: (p: string) => string,
  resolve: (output: Extract<Value, { kind: "output" }>) => unknown,
): unknown {
  if (value.kind === "literal") return value.value;
  if (value.kind === "output") return pulumi.output(resolve(value));
  if (value.kind === "list") return value.items.map((item) => toArgs(item, def.items ?? {}, name, resolve));
  if (value.kind !== "map") throw new Error(`cannot hand ${show(value)} to a component`);
  const type = def.$ref ? schema.types[def.$ref.replace(/^#\/types\//, "")] : undefined;
  const properties = type?.properties;
  const out: Record<string, unknown> = {};
  for (const [key, v] of value.entries) {
    const schemaName = properties ? Object.keys(properties).find((p) => name(p) === key) : key;
    if (schemaName === undefined) throw new Error(`no input ${key}`);
    const propertyDef = properties ? properties[schemaName] : (def.additionalProperties ?? {});
    out[schemaName] = toArgs(v, propertyDef, name, resolve);
  }
  return out;
}

const COMPONENTS: Record<string, new (name: string, args: never) => pulumi.ComponentResource> = {
  "mlstack:index:Mlflow": Mlflow,
  "mlstack:index:Exposure": Exposure,
};

/** Builds each declared component, in program order, with the inputs the example gives it. */
function construct(
  declared: Array<Declared & { id: string }>,
  name: (p: string) => string,
  programValue: (resource: string, path: string[]) => unknown,
): void {
  const built = new Map<string, pulumi.ComponentResource>();
  const resolve = (output: Extract<Value, { kind: "output" }>): unknown => {
    const component = built.get(output.resource);
    const path = output.attribute.split(".");
    if (!component) return programValue(output.resource, path);
    const outputs = schema.resources[output.type].properties;
    const property = Object.keys(outputs).find((p) => name(p) === path[0]) as string;
    return (component as unknown as Record<string, unknown>)[property];
  };
  for (const d of declared) {
    const resource = schema.resources[d.type];
    const inputs = Object.fromEntries(
      d.inputs.entries.map(([key, v]) => {
        const schemaName = Object.keys(resource.inputProperties).find((p) => name(p) === key) as string;
        return [schemaName, toArgs(v, resource.inputProperties[schemaName], name, resolve)];
      }),
    );
    built.set(d.id, new COMPONENTS[d.type](d.id, inputs as never));
  }
}

function valueAt(value: Value | undefined, path: string[]): unknown {
  if (value === undefined) return undefined;
  if (path.length === 0) return value.kind === "literal" ? value.value : undefined;
  if (value.kind !== "map") return undefined;
  return valueAt(value.entries.find(([k]) => k === path[0])?.[1], path.slice(1));
}

// --- the examples ------------------------------------------------------------------------------

const yamlProgram: YamlProgram = parse(
  fs.readFileSync(path.join(ROOT, "examples", "yaml", "Pulumi.yaml"), "utf8"),
);
const pyFile = path.join(ROOT, "examples", "python", "__main__.py");

describe("the Pulumi YAML example (examples/yaml)", () => {
  const declared = yamlDeclared(yamlProgram);

  it("adds the package from this repository and uses MLflow behind an Exposure", () => {
    expect(yamlProgram.packages).toEqual({ [PACKAGE]: "../.." });
    expect(declared.map((d) => d.type).sort()).toEqual(["mlstack:index:Exposure", "mlstack:index:Mlflow"]);
  });

  it("matches the package schema: types, required and known inputs, value types, plain values", () => {
    expect(checkDeclared(declared, (p) => p)).toEqual([]);
  });

  it("is accepted by the components themselves: its inputs render MLflow and an HTTPS Ingress to it", async () => {
    const r = await render(() =>
      construct(
        declared,
        (p) => p,
        (id, path) => valueAt(yamlValue(yamlProgram, yamlProgram.resources[id].properties), path),
      ),
    );
    expect(r.inputs(r.one("kubernetes:apps/v1:Deployment")).metadata).toMatchObject({
      name: "mlflow",
      namespace: "ml-tracking",
    });
    const ingress = r.inputs(r.one("kubernetes:networking.k8s.io/v1:Ingress"));
    expect(ingress.spec.rules[0].host).toBe("mlflow.ml.example.com");
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({
      name: "mlflow",
      port: { number: 5000 },
    });
  });

  it("wires MLflow's Service into the Exposure through outputs", () => {
    const exposure = declared.find((d) => d.type === "mlstack:index:Exposure") as Declared;
    const inputs = Object.fromEntries(exposure.inputs.entries);
    expect(inputs.serviceName).toMatchObject({
      kind: "output",
      resource: "mlflow",
      attribute: "serviceName",
    });
    expect(inputs.servicePort).toMatchObject({
      kind: "output",
      resource: "mlflow",
      attribute: "servicePort",
    });
    const mlflow = declared.find((d) => d.type === "mlstack:index:Mlflow") as Declared;
    expect(Object.fromEntries(mlflow.inputs.entries).serviceAccountName).toMatchObject({
      kind: "output",
      resource: "serviceAccount",
      attribute: "metadata.name",
    });
  });
});

describe("the Python example (examples/python), read with Python's ast module", () => {
  const program = pythonProgram(pythonTree(pyFile));
  const declared = pythonDeclared(program);

  it("imports the generated SDK and uses MLflow behind an Exposure", () => {
    expect(program.alias).toBe(PACKAGE);
    expect(declared.map((d) => d.type).sort()).toEqual(["mlstack:index:Exposure", "mlstack:index:Mlflow"]);
  });

  it("matches the package schema in snake_case: types, required and known inputs, value types, plain values", () => {
    expect(checkDeclared(declared, snakeCase)).toEqual([]);
  });

  it("is accepted by the components themselves: its inputs render MLflow and an HTTPS Ingress to it", async () => {
    const kwargs = (variable: string): Value => {
      const call = program.assigned.get(variable);
      return {
        kind: "map",
        entries: call.keywords.map((k: PyNode) => [k.arg, pythonValue(program, k.value)]),
      };
    };
    const r = await render(() => construct(declared, snakeCase, (id, path) => valueAt(kwargs(id), path)));
    expect(r.inputs(r.one("kubernetes:apps/v1:Deployment")).metadata).toMatchObject({
      name: "mlflow",
      namespace: "ml-tracking",
    });
    const ingress = r.inputs(r.one("kubernetes:networking.k8s.io/v1:Ingress"));
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({
      name: "mlflow",
      port: { number: 5000 },
    });
  });
});

describe("the schema check itself", () => {
  const mlflow = yamlDeclared(yamlProgram).find((d) => d.type === "mlstack:index:Mlflow") as Declared;
  const withInput = (key: string, value: Value): Declared => ({
    ...mlflow,
    inputs: { entries: [...mlflow.inputs.entries.filter(([k]) => k !== key), [key, value]] },
  });

  it("names a missing required input", () => {
    const missing = { ...mlflow, inputs: { entries: mlflow.inputs.entries.filter(([k]) => k !== "ctx") } };
    expect(checkDeclared([missing], (p) => p)).toEqual(["resources.mlflow: ctx is required"]);
  });

  it("names an input the component does not have, and a resource type the package does not have", () => {
    expect(checkDeclared([withInput("replica", { kind: "literal", value: 2 })], (p) => p)[0]).toMatch(
      /^resources.mlflow: replica is not an input/,
    );
    expect(checkDeclared([{ ...mlflow, type: "mlstack:index:Mlflowx" }], (p) => p)[0]).toMatch(
      /has no resource mlstack:index:Mlflowx/,
    );
  });

  it("refuses a value of the wrong type, a value outside an enum, and an output where a plain value is needed", () => {
    expect(checkDeclared([withInput("workers", { kind: "literal", value: "4" })], (p) => p)).toEqual([
      'resources.mlflow.workers: "4" is not a number',
    ]);
    const ctx = Object.fromEntries(mlflow.inputs.entries).ctx as Extract<Value, { kind: "map" }>;
    const badCtx: Value = {
      kind: "map",
      entries: ctx.entries.map(([k, v]) => [k, k === "environment" ? { kind: "literal", value: "qa" } : v]),
    };
    expect(checkDeclared([withInput("ctx", badCtx)], (p) => p)).toEqual([
      'resources.mlflow.ctx.environment: "qa" is not one of dev, staging, prod',
    ]);
    const output: Value = {
      kind: "output",
      resource: "sa",
      type: "kubernetes:core/v1:ServiceAccount",
      attribute: "x",
    };
    expect(checkDeclared([withInput("scratchSize", output)], (p) => p)).toEqual([
      "resources.mlflow.scratchSize: takes a plain value, not the output sa.x",
    ]);
  });

  it("refuses an output the component does not declare", () => {
    const output: Value = {
      kind: "output",
      resource: "mlflow",
      type: "mlstack:index:Mlflow",
      attribute: "url",
    };
    expect(checkDeclared([withInput("namespace", output)], (p) => p)).toEqual([
      "resources.mlflow.namespace: mlflow (mlstack:index:Mlflow) has no output url",
    ]);
  });

  it("names properties the way Pulumi's Python SDK does", () => {
    expect(snakeCase("highAvailability")).toBe("high_availability");
    expect(snakeCase("apiServerCidrs")).toBe("api_server_cidrs");
    expect(snakeCase("ipBlock")).toBe("ip_block");
    expect(snakeCase("ctx")).toBe("ctx");
  });
});
