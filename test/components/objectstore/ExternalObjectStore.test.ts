import * as k8s from "@pulumi/kubernetes";
import { flavorOf, PlatformContext } from "../../../components/context";
import type { WorkloadIdentity } from "../../../components/identity/contract";
import {
  ExternalObjectStore,
  ExternalObjectStoreArgs,
} from "../../../components/objectstore/ExternalObjectStore";
import { parseConfig, PlatformConfig } from "../../../stacks/config";
import { baseRawConfig } from "../../support/config";
import { render } from "../../support/render";

/** Resolved manifest fragments, asserted on field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** An external endpoint with one key-pair Secret per bucket, platform buckets declared explicitly. */
function externalConfig(overrides: Record<string, unknown> = {}): PlatformConfig {
  const raw = baseRawConfig();
  raw.objectStore = {
    provider: "external",
    endpoint: "https://s3.storage.example.com:9443",
    region: "eu-central-1",
    buckets: [
      { name: "fraud-models", owner: "fraud", credentialsSecret: "fraud-models-s3" },
      { name: "pricing-models", owner: "pricing", credentialsSecret: "pricing-models-s3" },
      { name: "mlflow-artifacts", owner: "platform", credentialsSecret: "mlflow-artifacts-s3" },
    ],
  };
  raw.network = { objectStoreCidrs: ["10.20.0.0/24", "10.20.1.0/24"] };
  return parseConfig({ ...raw, ...overrides }, { project: "mlstack", stack: "test" });
}

function argsFor(
  config: PlatformConfig,
  extra: Partial<ExternalObjectStoreArgs> = {},
): ExternalObjectStoreArgs {
  const ctx: PlatformContext = {
    environment: config.environment,
    target: config.target,
    flavor: flavorOf(config.target),
    protect: config.protect,
    highAvailability: config.highAvailability,
    project: config.project,
    stack: config.stack,
  };
  const namespaces = {
    platform: config.platformNamespace,
    ...Object.fromEntries(config.teams.map((t) => [t.name, t.namespace])),
  };
  return { ctx, config: config.objectStore, network: config.network, namespaces, ...extra };
}

function identity(name: string, team: string, namespace: string): WorkloadIdentity {
  return {
    workload: { name, team, namespace, serviceAccountName: name },
    serviceAccountAnnotations: {},
    dependencies: [],
  };
}

async function grantOf(
  config: PlatformConfig,
  bucket: string,
  who: WorkloadIdentity,
  extra: Partial<ExternalObjectStoreArgs> = {},
) {
  const r = await render(() => {
    const store = new ExternalObjectStore("objectstore", argsFor(config, extra));
    const access = store.bucket(bucket).grantAccess(who, "readwrite", { parent: store });
    return {
      env: access.env,
      volumes: access.volumes,
      volumeMounts: access.volumeMounts,
      egress: access.egress,
      dependsOn: access.dependsOn.length,
    };
  });
  return r.outputs as {
    env: Json[];
    volumes: Json[];
    volumeMounts: Json[];
    egress: Json[];
    dependsOn: number;
  };
}

const fraudDetector = identity("fraud-detector", "fraud", "ml-dev-fraud");

describe("ExternalObjectStore", () => {
  it("creates nothing in the cluster: the buckets and their key pairs exist already", async () => {
    const r = await render(() => {
      new ExternalObjectStore("objectstore", argsFor(externalConfig()));
    });
    expect(r.resources.filter((x) => x.custom)).toEqual([]);
    expect(r.ofType("mlstack:objectstore:ExternalObjectStore")).toHaveLength(1);
  });

  it("hands the bucket's own credentials Secret by reference, in the owner's namespace", async () => {
    const { env, dependsOn } = await grantOf(externalConfig(), "fraud-models", fraudDetector);
    expect(env).toEqual([
      { name: "BUCKET_NAME", value: "mlstack-test-fraud-models" },
      { name: "AWS_ENDPOINT_URL", value: "https://s3.storage.example.com:9443" },
      { name: "AWS_REGION", value: "eu-central-1" },
      { name: "AWS_DEFAULT_REGION", value: "eu-central-1" },
      {
        name: "AWS_ACCESS_KEY_ID",
        valueFrom: { secretKeyRef: { name: "fraud-models-s3", key: "AWS_ACCESS_KEY_ID" } },
      },
      {
        name: "AWS_SECRET_ACCESS_KEY",
        valueFrom: { secretKeyRef: { name: "fraud-models-s3", key: "AWS_SECRET_ACCESS_KEY" } },
      },
    ]);
    expect(dependsOn).toBe(0);
  });

  it("makes granted pods wait for whatever produces the credentials Secrets", async () => {
    const r = await render(() => {
      const producer = new k8s.core.v1.Secret("fraud-models-s3", {
        metadata: { name: "fraud-models-s3", namespace: "ml-dev-fraud" },
      });
      const store = new ExternalObjectStore(
        "objectstore",
        argsFor(externalConfig(), { dependsOn: [producer] }),
      );
      const access = store.bucket("fraud-models").grantAccess(fraudDetector, "readwrite", { parent: store });
      expect(access.dependsOn).toEqual([producer]);
    });
    expect(r.ofType("kubernetes:core/v1:Secret")).toHaveLength(1);
  });

  it("opens egress to the endpoint's CIDRs on the endpoint port only", async () => {
    const { egress } = await grantOf(externalConfig(), "fraud-models", fraudDetector);
    expect(egress).toEqual([
      {
        to: [{ ipBlock: { cidr: "10.20.0.0/24" } }, { ipBlock: { cidr: "10.20.1.0/24" } }],
        ports: [{ protocol: "TCP", port: 9443 }],
      },
    ]);
  });

  it("maps buckets to their existing physical names when told", async () => {
    const { env } = await grantOf(externalConfig(), "fraud-models", fraudDetector, {
      bucketNames: { "fraud-models": "corp-fraud-models" },
    });
    expect(env.find((e) => e.name === "BUCKET_NAME")?.value).toBe("corp-fraud-models");
  });

  it("mounts a private endpoint CA when one is given", async () => {
    const { env, volumes, volumeMounts } = await grantOf(externalConfig(), "fraud-models", fraudDetector, {
      endpointCa: { configMapName: "corp-root-ca", key: "ca.pem" },
    });
    expect(volumes).toEqual([
      {
        name: "s3-ca-fraud-models",
        configMap: { name: "corp-root-ca", items: [{ key: "ca.pem", path: "ca.pem" }] },
      },
    ]);
    expect(volumeMounts[0].mountPath).toBe("/etc/mlstack/object-store-ca/fraud-models");
    expect(env.find((e) => e.name === "AWS_CA_BUNDLE")?.value).toBe(
      "/etc/mlstack/object-store-ca/fraud-models/ca.pem",
    );
  });

  it("refuses a grant across namespaces: the credentials Secret lives in the owner's", async () => {
    await expect(grantOf(externalConfig(), "pricing-models", fraudDetector)).rejects.toThrow(
      /bucket access cannot cross namespaces/,
    );
  });

  it("refuses a bucket without its credentialsSecret", () => {
    const config = externalConfig();
    const buckets = config.objectStore.buckets.map((b) =>
      b.name === "fraud-models" ? { ...b, credentialsSecret: undefined } : b,
    );
    expect(
      () =>
        new ExternalObjectStore(
          "objectstore",
          argsFor(config, { config: { ...config.objectStore, buckets } }),
        ),
    ).toThrow(
      'config.buckets[0].credentialsSecret undefined is required: name the Secret in namespace "ml-dev-fraud"',
    );
  });

  it("refuses a plain-http endpoint outside dev", () => {
    const config = externalConfig({ environment: "staging", postgres: { backup: { enabled: false } } });
    expect(
      () =>
        new ExternalObjectStore(
          "objectstore",
          argsFor(config, { config: { ...config.objectStore, endpoint: "http://s3.storage.example.com" } }),
        ),
    ).toThrow("is plain http, which staging does not allow");
  });

  it("refuses the obc provider's config", () => {
    const config = externalConfig();
    expect(
      () =>
        new ExternalObjectStore(
          "objectstore",
          argsFor(config, { config: { ...config.objectStore, provider: "obc" } }),
        ),
    ).toThrow('config.provider "obc" is not "external"');
  });

  it("refuses a physical name for an undeclared bucket, or one S3 would reject", () => {
    const config = externalConfig();
    expect(
      () => new ExternalObjectStore("objectstore", argsFor(config, { bucketNames: { nope: "x-bucket" } })),
    ).toThrow('bucketNames.nope "nope" is not a declared bucket');
    expect(
      () =>
        new ExternalObjectStore(
          "objectstore",
          argsFor(config, { bucketNames: { "fraud-models": "Fraud_Models" } }),
        ),
    ).toThrow('(physical bucket name) "Fraud_Models" must be 3 to 63 lowercase letters');
  });
});
