/**
 * docs/stack-config.schema.json: the JSON Schema editors read (yaml-language-server modeline) to
 * complete and check `Pulumi.<stack>.yaml`. It is generated from the schemas the program validates
 * with, so it must be current, accept every stack file this repository ships and refuse a bad one.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import type { ErrorObject } from "ajv";
import { parse } from "yaml";
import { STACK_CONFIG_SCHEMA_FILE, stackFileSchema } from "../../cli/schema/stackConfigSchema";
import { FORMATS } from "../../stacks/config/schemaKinds";

const ROOT = path.resolve(__dirname, "../..");
const MODELINE = "# yaml-language-server: $schema=./docs/stack-config.schema.json";

/** Stack files: Pulumi.<stack>.yaml in the repository root and anywhere under examples/. */
function stackFiles(): string[] {
  const isStackFile = (name: string) => /^Pulumi\.[^.]+\.ya?ml$/.test(name);
  const found = fs.readdirSync(ROOT).filter(isStackFile);
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== "node_modules") walk(rel);
      else if (entry.isFile() && isStackFile(entry.name)) found.push(rel);
    }
  };
  walk("examples");
  return found.sort();
}

function validator() {
  // strict off: the schema carries editor annotations (patternErrorMessage, errorMessage) ajv does not know.
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const [name, format] of Object.entries(FORMATS)) ajv.addFormat(name, format.check);
  return ajv.compile(JSON.parse(fs.readFileSync(STACK_CONFIG_SCHEMA_FILE, "utf8")));
}

function errorsOf(document: unknown): ErrorObject[] {
  const validate = validator();
  return validate(document) ? [] : (validate.errors ?? []);
}

describe("docs/stack-config.schema.json", () => {
  it("is what npm run schema:config generates from the config schemas (run it after changing them)", () => {
    // Compared as JSON: Prettier (which formats the file) cannot load inside Jest's VM; `npm run lint`
    // checks the formatting and `npm run schema:config -- --check` the exact text.
    const committed: unknown = JSON.parse(fs.readFileSync(STACK_CONFIG_SCHEMA_FILE, "utf8"));
    expect(committed).toEqual(stackFileSchema());
  });

  const files = stackFiles();
  it("finds the shipped stack files", () => {
    expect(files).toEqual(expect.arrayContaining(["Pulumi.dev.yaml", "Pulumi.prod.yaml"]));
  });

  it.each(files)("accepts %s, which names the schema on its first line", (file) => {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    expect(text.split("\n")[0]).toBe(MODELINE);
    expect(errorsOf(parse(text)).map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
  });

  it("passes other namespaces' keys and ESC environment imports through", () => {
    const doc = {
      environment: ["ml/shared"],
      config: {
        "mlstack:target": "aws",
        "aws:region": "eu-west-1",
        "gcp:project": "ml-prod",
        "kubernetes:context": "kind-ml",
      },
    };
    expect(errorsOf(doc)).toEqual([]);
  });

  it("refuses a misspelt key, a bad value and a wrong type, naming where each is", () => {
    const dev = parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    dev.config["mlstack:tems"] = [];
    (dev.config["mlstack:teams"] as Array<{ name: string }>)[0].name = "Payments_Risk";
    dev.config["mlstack:kafka"] = { brokers: "three" };
    dev.config["mlstack:environment"] = "qa";
    const errors = errorsOf(dev).map((e) => ({ at: e.instancePath, keyword: e.keyword }));
    expect(errors).toEqual(
      expect.arrayContaining([
        { at: "/config", keyword: "additionalProperties" },
        { at: "/config/mlstack:teams/0/name", keyword: "pattern" },
        { at: "/config/mlstack:kafka/brokers", keyword: "type" },
        { at: "/config/mlstack:environment", keyword: "enum" },
      ]),
    );
  });

  it("accepts an encrypted kubeconfig (pulumi config set --secret --path) where credentials may go", () => {
    const prodAws = parse(fs.readFileSync(path.join(ROOT, "Pulumi.prod-aws.yaml"), "utf8")) as {
      config: { "mlstack:aws": { cluster: Record<string, unknown> } };
    };
    const cluster = prodAws.config["mlstack:aws"].cluster;
    for (const mode of ["context", "kubeconfig", "stackReference"]) delete cluster[mode];
    cluster.kubeconfig = { secure: "v1:abc" };
    expect(errorsOf(prodAws)).toEqual([]);
    cluster.nodeSecurityGroupId = "sg-x";
    expect(errorsOf(prodAws).map((e) => e.instancePath)).toContain(
      "/config/mlstack:aws/cluster/nodeSecurityGroupId",
    );
  });

  it("refuses a top-level key Pulumi does not read", () => {
    expect(errorsOf({ config: {}, confg: {} }).map((e) => e.keyword)).toEqual(["additionalProperties"]);
  });
});
