/**
 * The dev object store for real: SeaweedFS built from its Go module and started with exactly the
 * command line and S3 identities file `SeaweedFsObjectStore` renders (the test substitutes only the
 * data folder, the config path and loopback ports), then exercised with boto3 from the MLflow
 * image's environment using the keys of the per-bucket Secrets the component delivers. Each
 * bucket's read/write key reads and writes its bucket and is refused on every other team's bucket;
 * the read-only key reads but cannot write; unsigned requests are refused.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { SeaweedFsObjectStore } from "../../components/objectstore/SeaweedFsObjectStore";
import { objectStoreArgs, platformContext } from "../../stacks/componentArgs";
import { parseConfig } from "../../stacks/config";
import { baseRawConfig } from "../support/config";
import { render } from "../support/render";
import { mlflowImageEnv } from "./support/mlflowImageEnv";
import { ensureWeed, startSeaweedFs, type SeaweedFsServer } from "./support/seaweedfs";

jest.setTimeout(100 * 60_000);

interface Keys {
  accessKey: string;
  secretKey: string;
}
interface Check {
  label: string;
  accessKey: string | null;
  secretKey?: string;
  bucket: string;
  op: "put" | "get" | "list" | "delete";
  key?: string;
  body?: string;
}
interface Result {
  label: string;
  ok: boolean;
  code: string | null;
  body: unknown;
}

const CLIENT = path.join(__dirname, "support", "seaweedfs_client.py");

/** What the component renders for the test config: the server's args, its s3.json, each bucket's keys. */
async function rendered() {
  const raw = baseRawConfig();
  raw.objectStore.provider = "seaweedfs";
  const config = parseConfig(raw, { project: "mlstack", stack: "test" });
  const r = await render(() => {
    new SeaweedFsObjectStore(
      "objectstore",
      objectStoreArgs(config, platformContext(config), {
        platformNamespace: config.platformNamespace,
        teamNamespaces: Object.fromEntries(config.teams.map((t) => [t.name, t.namespace])),
        workloadNamespaces: {},
        dependsOn: [],
      }),
    );
  });
  const deployment = r.inputs(r.one("kubernetes:apps/v1:Deployment"));
  const secrets = r.ofType("kubernetes:core/v1:Secret").map((s) => r.inputs(s));
  const s3Config = secrets.find((s) => s.metadata.name === "objectstore-seaweedfs-s3-config")?.stringData[
    "s3.json"
  ] as string;
  const keysOf = (secretName: string): Keys => {
    const data = secrets.find((s) => s.metadata.name === secretName)?.stringData;
    if (!data) throw new Error(`no Secret ${secretName} rendered`);
    return { accessKey: data.AWS_ACCESS_KEY_ID, secretKey: data.AWS_SECRET_ACCESS_KEY };
  };
  return { args: deployment.spec.template.spec.containers[0].args as string[], s3Config, keysOf };
}

describe("SeaweedFS with the identities SeaweedFsObjectStore renders", () => {
  let server: SeaweedFsServer;
  let keysOf: (secretName: string) => Keys;
  let python: string;

  beforeAll(async () => {
    const built = ensureWeed();
    if (built.buildSeconds !== undefined)
      console.log(`built weed ${built.version} in ${built.buildSeconds} s`);
    python = mlflowImageEnv().python;
    const r = await rendered();
    keysOf = r.keysOf;
    server = await startSeaweedFs({ args: r.args, s3Config: r.s3Config });
  });
  afterAll(async () => {
    await server?.stop();
  });

  function run(checks: Check[]): Record<string, Result> {
    const result = spawnSync(
      python,
      [CLIENT, JSON.stringify({ endpoint: server.endpoint, region: "us-east-1", checks })],
      { encoding: "utf8", env: { PATH: process.env.PATH, HOME: "/tmp" } },
    );
    if (result.status !== 0) throw new Error(`seaweedfs_client.py failed:\n${result.stderr}`);
    return Object.fromEntries((JSON.parse(result.stdout) as Result[]).map((r) => [r.label, r]));
  }
  const as = (keys: Keys) => ({ accessKey: keys.accessKey, secretKey: keys.secretKey });

  it("lets each bucket's read/write key write, read and list its own bucket", () => {
    const fraud = as(keysOf("objectstore-fraud-models"));
    const results = run([
      { label: "put", ...fraud, bucket: "mlstack-test-fraud-models", op: "put", key: "m/1", body: "weights" },
      { label: "get", ...fraud, bucket: "mlstack-test-fraud-models", op: "get", key: "m/1" },
      { label: "list", ...fraud, bucket: "mlstack-test-fraud-models", op: "list" },
    ]);
    expect(results.put).toMatchObject({ ok: true });
    expect(results.get).toMatchObject({ ok: true, body: "weights" });
    expect(results.list).toMatchObject({ ok: true, body: ["m/1"] });
  });

  it("refuses a team's key on another team's bucket and on the platform's bucket (AccessDenied)", () => {
    const pricing = as(keysOf("objectstore-pricing-models"));
    run([
      {
        label: "seed",
        ...as(keysOf("objectstore-fraud-models")),
        bucket: "mlstack-test-fraud-models",
        op: "put",
        key: "s",
      },
    ]);
    const results = run([
      { label: "put", ...pricing, bucket: "mlstack-test-fraud-models", op: "put", key: "stolen" },
      { label: "get", ...pricing, bucket: "mlstack-test-fraud-models", op: "get", key: "s" },
      { label: "list", ...pricing, bucket: "mlstack-test-fraud-models", op: "list" },
      { label: "platform", ...pricing, bucket: "mlstack-test-mlflow-artifacts", op: "list" },
      { label: "own", ...pricing, bucket: "mlstack-test-pricing-models", op: "put", key: "q/12" },
    ]);
    for (const label of ["put", "get", "list", "platform"])
      expect(results[label]).toMatchObject({ ok: false, code: "AccessDenied" });
    expect(results.own).toMatchObject({ ok: true });
  });

  it("lets the read-only key read and list its bucket but not write or delete", () => {
    run([
      {
        label: "seed",
        ...as(keysOf("objectstore-fraud-models")),
        bucket: "mlstack-test-fraud-models",
        op: "put",
        key: "r",
        body: "v",
      },
    ]);
    const read = as(keysOf("objectstore-fraud-models-read"));
    const results = run([
      { label: "get", ...read, bucket: "mlstack-test-fraud-models", op: "get", key: "r" },
      { label: "list", ...read, bucket: "mlstack-test-fraud-models", op: "list" },
      { label: "put", ...read, bucket: "mlstack-test-fraud-models", op: "put", key: "w" },
      { label: "delete", ...read, bucket: "mlstack-test-fraud-models", op: "delete", key: "r" },
      { label: "other", ...read, bucket: "mlstack-test-pricing-models", op: "list" },
    ]);
    expect(results.get).toMatchObject({ ok: true, body: "v" });
    expect(results.list).toMatchObject({ ok: true });
    for (const label of ["put", "delete", "other"])
      expect(results[label]).toMatchObject({ ok: false, code: "AccessDenied" });
  });

  it("refuses unsigned requests and a key with the wrong secret", () => {
    const fraud = keysOf("objectstore-fraud-models");
    const results = run([
      { label: "anon-list", accessKey: null, bucket: "mlstack-test-fraud-models", op: "list" },
      { label: "anon-get", accessKey: null, bucket: "mlstack-test-fraud-models", op: "get", key: "m/1" },
      { label: "anon-put", accessKey: null, bucket: "mlstack-test-fraud-models", op: "put", key: "a" },
      {
        label: "forged",
        accessKey: fraud.accessKey,
        secretKey: `${fraud.secretKey.slice(0, -1)}x`,
        bucket: "mlstack-test-fraud-models",
        op: "list",
      },
    ]);
    for (const label of ["anon-list", "anon-get", "anon-put"])
      expect(results[label]).toMatchObject({ ok: false, code: "AccessDenied" });
    expect(results.forged).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
  });
});
