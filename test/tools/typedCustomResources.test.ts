/**
 * Issue 11's "no untyped object literal for a custom resource kind that has a generated type":
 * every object literal under components/ that names an `apiVersion` and a `kind` for which
 * components/crds/ has a class is refused; such resources are built with the class. (Kinds with no
 * generated type, e.g. OpenShift AI's DataScienceCluster, are listed so the gap stays visible.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { GENERATED_ROOT } from "../../tools/crds/sources";

const COMPONENTS = path.resolve(__dirname, "..", "..", "components");
/** `apiVersion: "<group>/<version>", kind: "<Kind>"` with anything but another key between them. */
const LITERAL = /apiVersion:\s*"([a-z0-9.-]+\.[a-z]+\/v[0-9a-z]+)",\s*kind:\s*"([A-Za-z]+)"/g;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return full === GENERATED_ROOT ? [] : sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

function generatedClass(apiVersion: string, kind: string): boolean {
  const file = path.join(GENERATED_ROOT, `${apiVersion}.ts`);
  return fs.existsSync(file) && fs.readFileSync(file, "utf8").includes(`export class ${kind} extends`);
}

const literals = sourceFiles(COMPONENTS).flatMap((file) =>
  [...fs.readFileSync(file, "utf8").matchAll(LITERAL)].map(([, apiVersion, kind]) => ({
    file: path.relative(COMPONENTS, file),
    apiVersion,
    kind,
  })),
);

it("recognizes an untyped custom resource literal as the code wrote them", () => {
  const before = `new k8s.apiextensions.CustomResource(\`\${name}-cluster\`, {\n  apiVersion: "postgresql.cnpg.io/v1",\n  kind: "Cluster",\n  metadata: {},\n});`;
  expect([...before.matchAll(LITERAL)].map(([, apiVersion, kind]) => [apiVersion, kind])).toEqual([
    ["postgresql.cnpg.io/v1", "Cluster"],
  ]);
  expect(generatedClass("postgresql.cnpg.io/v1", "Cluster")).toBe(true);
});

it("builds every custom resource that has a generated type with its class, never an untyped literal", () => {
  expect(literals.filter((l) => generatedClass(l.apiVersion, l.kind))).toEqual([]);
});

it("lists the custom resources that still have no generated type", () => {
  const untyped = literals.filter((l) => !generatedClass(l.apiVersion, l.kind));
  expect([...new Set(untyped.map((l) => `${l.apiVersion} ${l.kind}`))].sort()).toEqual([
    "datasciencecluster.opendatahub.io/v1 DataScienceCluster",
    "dscinitialization.opendatahub.io/v1 DSCInitialization",
  ]);
});
