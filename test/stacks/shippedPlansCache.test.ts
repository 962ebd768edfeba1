/**
 * The shared plans of the shipped stacks (test/support/shippedPlans.ts) cannot go stale: their key
 * follows the contents of what a plan reads, and a cached plan comes back as the same plain data.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import * as v8 from "v8";
import { fromCache, inputsHash } from "../support/shippedPlans";

describe("the shipped plans' cache key", () => {
  let root: string;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "shipped-plans-key-"));
    write("Pulumi.yaml", "name: mlstack\n");
    write("Pulumi.dev.yaml", "config: {}\n");
    write("Pulumi.prod.yaml", "config: {}\n");
    write("components/kafka/StrimziKafka.ts", "export const replicas = 3;\n");
    write("index.ts", "export {};\n");
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("changes when a program file's contents change, not when only its mtime does", () => {
    const before = inputsHash(root, "dev", {});
    const file = path.join(root, "components/kafka/StrimziKafka.ts");
    fs.utimesSync(file, new Date(2030, 0, 1), new Date(2030, 0, 1));
    expect(inputsHash(root, "dev", {})).toBe(before);
    write("components/kafka/StrimziKafka.ts", "export const replicas = 1;\n");
    expect(inputsHash(root, "dev", {})).not.toBe(before);
  });

  it("changes when a file is added to a program folder", () => {
    const before = inputsHash(root, "dev", {});
    write("stacks/aws/index.ts", "export {};\n");
    expect(inputsHash(root, "dev", {})).not.toBe(before);
  });

  it("follows the stack's own file and ESC override, not another stack's file", () => {
    const before = inputsHash(root, "dev", {});
    write("Pulumi.prod.yaml", "config: { mlstack:target: aws }\n");
    expect(inputsHash(root, "dev", {})).toBe(before);
    write("Pulumi.dev.env.yaml", "values: {}\n");
    const withOverride = inputsHash(root, "dev", {});
    expect(withOverride).not.toBe(before);
    write("Pulumi.dev.yaml", "config: { mlstack:target: openshift }\n");
    expect(inputsHash(root, "dev", {})).not.toBe(withOverride);
  });

  it("follows the ESC values given in the environment", () => {
    expect(inputsHash(root, "dev", { MLSTACK_ESC_CONFIG: '{"a":1}' })).not.toBe(inputsHash(root, "dev", {}));
  });
});

describe("a plan read back from the cache", () => {
  it("is the same plain data, built with this test's Array, Object and Map", () => {
    const plan = {
      result: { resources: [{ urn: "u1", inputs: { replicas: 3, tls: undefined, tags: ["a"] } }] },
      dependencies: new Map([["u1", ["u0"]]]),
    };
    const back = fromCache(v8.serialize(plan));
    expect(back.dependencies).toBeInstanceOf(Map);
    expect(back.result.resources).toBeInstanceOf(Array);
    expect(isDeepStrictEqual(back, plan)).toBe(true);
    // v8.deserialize alone builds them with Node's own constructors, which the tests' realm tells apart.
    expect(isDeepStrictEqual(v8.deserialize(v8.serialize(plan)), plan)).toBe(false);
  });

  it("refuses a value that is not plain data, naming where it is", () => {
    expect(() => fromCache(v8.serialize({ result: { created: new Date(0) } }))).toThrow(
      "plan.result.created: a Date is not plain data and cannot be cached",
    );
  });
});
