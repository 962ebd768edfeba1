import * as pulumi from "@pulumi/pulumi";
import { flavorOf, PlatformContext } from "../../../components/context";
import type { WorkloadAccess, WorkloadIdentity } from "../../../components/identity/contract";
import {
  ObcObjectStore,
  ObcObjectStoreArgs,
  rookLifecycle,
} from "../../../components/objectstore/ObcObjectStore";
import type { PlatformConfig } from "../../../stacks/config";
import { baseConfig, baseRawConfig } from "../../support/config";
import { render } from "../../support/render";

/** Resolved manifest fragments, asserted on field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const OBC = "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim";

function contextFor(config: PlatformConfig): PlatformContext {
  return {
    environment: config.environment,
    target: config.target,
    flavor: flavorOf(config.target),
    protect: config.protect,
    highAvailability: config.highAvailability,
    project: config.project,
    stack: config.stack,
  };
}

function namespacesFor(config: PlatformConfig): Record<string, string> {
  return {
    platform: config.platformNamespace,
    ...Object.fromEntries(config.teams.map((t) => [t.name, t.namespace])),
  };
}

function argsFor(config: PlatformConfig, extra: Partial<ObcObjectStoreArgs> = {}): ObcObjectStoreArgs {
  return {
    ctx: contextFor(config),
    config: config.objectStore,
    network: config.network,
    namespaces: namespacesFor(config),
    ...extra,
  };
}

function identity(name: string, team: string, namespace: string): WorkloadIdentity {
  return {
    workload: { name, team, namespace, serviceAccountName: name },
    serviceAccountAnnotations: {},
    dependencies: [],
  };
}

/** Renders a store and grants one workload one bucket; returns the grant with its Outputs resolved. */
async function grantOf(
  config: PlatformConfig,
  bucket: string,
  who: WorkloadIdentity,
  extra: Partial<ObcObjectStoreArgs> = {},
) {
  let access: WorkloadAccess | undefined;
  const r = await render(() => {
    const store = new ObcObjectStore("objectstore", argsFor(config, extra));
    access = store.bucket(bucket).grantAccess(who, "readwrite", { parent: store });
    return {
      env: access.env,
      volumes: access.volumes,
      volumeMounts: access.volumeMounts,
      egress: access.egress,
    };
  });
  const resolved = r.outputs as unknown as {
    env: Json[];
    volumes: Json[];
    volumeMounts: Json[];
    egress: Json[];
  };
  return { r, access: access as WorkloadAccess, ...resolved };
}

const envValue = (env: Array<Record<string, unknown>>, name: string) => env.find((e) => e.name === name);

describe("ObcObjectStore", () => {
  // The store warns about what claims cannot enforce on every run; tests that care read the calls.
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
  });
  afterEach(() => warn.mockRestore());

  it("claims one bucket per configured bucket, in its owner's namespace, from the configured storage class", async () => {
    const config = baseConfig();
    const r = await render(() => {
      new ObcObjectStore("objectstore", argsFor(config));
    });
    const claims = r.ofType(OBC).map((c) => r.inputs(c));
    expect(claims.map((c) => [c.metadata.name, c.metadata.namespace]).sort()).toEqual([
      ["objectstore-fraud-models", "ml-dev-fraud"],
      ["objectstore-mlflow-artifacts", "ml-dev-platform"],
      ["objectstore-pricing-models", "ml-dev-pricing"],
    ]);
    for (const claim of claims) expect(claim.spec.storageClassName).toBe("rook-ceph-bucket");
  });

  it("names each bucket deterministically from project, stack and logical name", async () => {
    const config = baseConfig();
    let names: Record<string, string> = {};
    const r = await render(() => {
      names = new ObcObjectStore("objectstore", argsFor(config)).bucketNames;
    });
    expect(names).toEqual({
      "fraud-models": "mlstack-test-fraud-models",
      "pricing-models": "mlstack-test-pricing-models",
      "mlflow-artifacts": "mlstack-test-mlflow-artifacts",
    });
    const claim = r.inputs(r.one(OBC, "fraud-models"));
    expect(claim.spec.bucketName).toBe("mlstack-test-fraud-models");
    expect(claim.spec.generateBucketName).toBeUndefined();
  });

  it("claims from the NooBaa storage class on OpenShift", async () => {
    const config = baseConfig({ target: "openshift" });
    const r = await render(() => {
      new ObcObjectStore("objectstore", argsFor(config));
    });
    for (const claim of r.ofType(OBC))
      expect(r.inputs(claim).spec.storageClassName).toBe("openshift-storage.noobaa.io");
  });

  it("protects claims and keeps them on delete when the stack protects state", async () => {
    const config = baseConfig({ environment: "prod" });
    const r = await render(() => {
      new ObcObjectStore("objectstore", argsFor(config));
    });
    for (const claim of r.ofType(OBC)) {
      expect(claim.protect).toBe(true);
      expect(claim.retainOnDelete).toBe(true);
    }
    const dev = await render(() => {
      new ObcObjectStore("objectstore", argsFor(baseConfig()));
    });
    for (const claim of dev.ofType(OBC)) expect(claim.protect).toBe(false);
  });

  it("parents every claim to the store", async () => {
    const r = await render(() => {
      new ObcObjectStore("objectstore", argsFor(baseConfig()));
    });
    const store = r.one("mlstack:objectstore:ObcObjectStore");
    for (const claim of r.ofType(OBC)) expect(claim.parent).toBe(store.urn);
  });

  it("grants the bucket's name, endpoint and region, and its key pair only by reference to the claim's Secret", async () => {
    const { env } = await grantOf(
      baseConfig(),
      "fraud-models",
      identity("fraud-detector", "fraud", "ml-dev-fraud"),
    );
    expect(envValue(env, "BUCKET_NAME")?.value).toBe("mlstack-test-fraud-models");
    expect(envValue(env, "AWS_ENDPOINT_URL")?.value).toBe("http://rook-ceph-rgw-objectstore.rook-ceph.svc");
    expect(envValue(env, "AWS_REGION")?.value).toBe("us-east-1");
    expect(envValue(env, "AWS_ACCESS_KEY_ID")).toEqual({
      name: "AWS_ACCESS_KEY_ID",
      valueFrom: { secretKeyRef: { name: "objectstore-fraud-models", key: "AWS_ACCESS_KEY_ID" } },
    });
    expect(envValue(env, "AWS_SECRET_ACCESS_KEY")).toEqual({
      name: "AWS_SECRET_ACCESS_KEY",
      valueFrom: { secretKeyRef: { name: "objectstore-fraud-models", key: "AWS_SECRET_ACCESS_KEY" } },
    });
    for (const e of env.filter((v) => /KEY/.test(String(v.name)))) expect(e.value).toBeUndefined();
  });

  it("opens egress to the object store namespace on the Service port and the RGW pod port", async () => {
    const { egress } = await grantOf(
      baseConfig(),
      "fraud-models",
      identity("fraud-detector", "fraud", "ml-dev-fraud"),
    );
    expect(egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "rook-ceph" } } }],
        ports: [
          { protocol: "TCP", port: 80 },
          { protocol: "TCP", port: 8080 },
        ],
      },
    ]);
  });

  it("on OpenShift trusts the service CA for NooBaa's https endpoint and opens its pod port", async () => {
    const config = baseConfig({ target: "openshift" });
    const { env, volumes, volumeMounts, egress } = await grantOf(
      config,
      "pricing-models",
      identity("price-quoter", "pricing", "ml-dev-pricing"),
    );
    expect(volumes).toEqual([
      {
        name: "s3-ca-pricing-models",
        configMap: {
          name: "openshift-service-ca.crt",
          items: [{ key: "service-ca.crt", path: "service-ca.crt" }],
        },
      },
    ]);
    expect(volumeMounts).toEqual([
      {
        name: "s3-ca-pricing-models",
        mountPath: "/etc/mlstack/object-store-ca/pricing-models",
        readOnly: true,
      },
    ]);
    expect(envValue(env, "AWS_CA_BUNDLE")?.value).toBe(
      "/etc/mlstack/object-store-ca/pricing-models/service-ca.crt",
    );
    expect(egress[0].to).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-storage" } } },
    ]);
    expect(egress[0].ports).toEqual([
      { protocol: "TCP", port: 443 },
      { protocol: "TCP", port: 6443 },
    ]);
  });

  it("on OpenShift trusts no CA with noEndpointCa, and refuses it together with endpointCa", async () => {
    const config = baseConfig({ target: "openshift" });
    const who = identity("price-quoter", "pricing", "ml-dev-pricing");
    const { volumes, env } = await grantOf(config, "pricing-models", who, { noEndpointCa: true });
    expect(volumes).toEqual([]);
    expect(envValue(env, "AWS_CA_BUNDLE")).toBeUndefined();
    const both = { noEndpointCa: true, endpointCa: { configMapName: "corp-root-ca", key: "ca.pem" } };
    expect(() => new ObcObjectStore("objectstore", argsFor(config, both))).toThrow(
      "noEndpointCa true cannot be combined with endpointCa: set endpointCa to trust that CA, or noEndpointCa to trust none",
    );
  });

  it("mounts no CA for a plain-http in-cluster endpoint", async () => {
    const { volumes, env } = await grantOf(
      baseConfig(),
      "fraud-models",
      identity("fraud-detector", "fraud", "ml-dev-fraud"),
    );
    expect(volumes).toEqual([]);
    expect(envValue(env, "AWS_CA_BUNDLE")).toBeUndefined();
  });

  it("makes granted pods wait for the claim", async () => {
    const { r, access } = await grantOf(
      baseConfig(),
      "fraud-models",
      identity("fraud-detector", "fraud", "ml-dev-fraud"),
    );
    expect(access.dependsOn).toHaveLength(1);
    const urn = await new Promise<string>((resolve) =>
      (access.dependsOn[0] as pulumi.CustomResource).urn.apply(resolve),
    );
    expect(urn).toBe(r.one(OBC, "fraud-models").urn);
  });

  it("refuses a grant to a workload in another namespace: OBC credentials cannot cross namespaces", async () => {
    await expect(
      grantOf(baseConfig(), "pricing-models", identity("fraud-detector", "fraud", "ml-dev-fraud")),
    ).rejects.toThrow(
      /workload "fraud-detector" runs in namespace "ml-dev-fraud" but bucket "pricing-models" belongs to "pricing" in namespace "ml-dev-pricing".*cannot cross namespaces/,
    );
  });

  it("refuses a grant to a workload of another team even in the same namespace", async () => {
    await expect(
      grantOf(baseConfig(), "fraud-models", identity("intruder", "pricing", "ml-dev-fraud")),
    ).rejects.toThrow(
      'bucket "fraud-models" belongs to "fraud", not to workload "intruder"\'s team "pricing"',
    );
  });

  it("warns that a read grant still carries the read/write key pair", async () => {
    const config = baseConfig();
    await render(() => {
      const store = new ObcObjectStore("objectstore", argsFor(config));
      store
        .bucket("fraud-models")
        .grantAccess(identity("fraud-detector", "fraud", "ml-dev-fraud"), "read", { parent: store });
    });
    expect(warn.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(
      /asked for read-only access to bucket "fraud-models" but receives the bucket's read\/write key pair/,
    );
  });

  it("warns once that versioning and lifecycle are not enforced by the claims", async () => {
    const r = await render(() => {
      new ObcObjectStore("objectstore", argsFor(baseConfig()));
    });
    const messages = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("cannot enforce"));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      /versioning \(requested for fraud-models, pricing-models, mlflow-artifacts\)/,
    );
    expect(messages[0]).toMatch(/lifecycle expiration/);
    for (const claim of r.ofType(OBC)) expect(r.inputs(claim).spec.additionalConfig).toBeUndefined();
  });

  it("puts the lifecycle into Rook's bucketLifecycle when the operator allows it", async () => {
    const raw = baseRawConfig();
    raw.objectStore.buckets[0].lifecycle = { expirationDays: 90, noncurrentVersionExpirationDays: 14 };
    const config = baseConfig({ objectStore: raw.objectStore });
    const r = await render(() => {
      new ObcObjectStore("objectstore", argsFor(config, { lifecycleInClaim: true }));
    });
    const lifecycle = JSON.parse(r.inputs(r.one(OBC, "fraud-models")).spec.additionalConfig.bucketLifecycle);
    expect(lifecycle.Rules.map((rule: { ID: string }) => rule.ID)).toEqual([
      "abort-incomplete-uploads",
      "expire-current-objects",
      "expire-noncurrent-versions",
    ]);
    expect(lifecycle.Rules[1].Expiration).toEqual({ Days: 90 });
    expect(lifecycle.Rules[2].NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 14 });
  });

  it("leaves out rules a bucket does not ask for", () => {
    const rules = JSON.parse(
      rookLifecycle({
        name: "b",
        owner: "platform",
        versioning: false,
        lifecycle: { expirationDays: 0, noncurrentVersionExpirationDays: 30 },
      }),
    ).Rules;
    expect(rules.map((rule: { ID: string }) => rule.ID)).toEqual(["abort-incomplete-uploads"]);
  });

  it("refuses a lifecycle claim on NooBaa, which has no such field", () => {
    const config = baseConfig({ target: "openshift" });
    expect(() => new ObcObjectStore("objectstore", argsFor(config, { lifecycleInClaim: true }))).toThrow(
      "lifecycleInClaim true is not possible with provisioner noobaa: it has no lifecycle claim field",
    );
  });

  it("refuses the external provider's config", () => {
    const config = baseConfig();
    expect(
      () =>
        new ObcObjectStore(
          "objectstore",
          argsFor(config, { config: { ...config.objectStore, provider: "external" } }),
        ),
    ).toThrow('config.provider "external" is not "obc"');
  });

  it("refuses a bucket whose owner has no namespace", () => {
    const config = baseConfig();
    expect(
      () =>
        new ObcObjectStore(
          "objectstore",
          argsFor(config, { namespaces: { platform: "ml-dev-platform", fraud: "ml-dev-fraud" } }),
        ),
    ).toThrow('config.buckets[1].owner "pricing" has no namespace in args.namespaces');
  });

  it("refuses ports outside the TCP range", () => {
    expect(() => new ObcObjectStore("objectstore", argsFor(baseConfig(), { endpointPorts: [0] }))).toThrow(
      "endpointPorts [0] must list TCP ports",
    );
  });

  it("uses the ports it is given instead of the provisioner defaults", async () => {
    const { egress } = await grantOf(
      baseConfig(),
      "fraud-models",
      identity("fraud-detector", "fraud", "ml-dev-fraud"),
      { endpointPorts: [7480] },
    );
    expect(egress[0].ports).toEqual([{ protocol: "TCP", port: 7480 }]);
  });

  it("refuses an undeclared bucket, naming the declared ones", async () => {
    await expect(
      render(() => {
        new ObcObjectStore("objectstore", argsFor(baseConfig())).bucket("nope");
      }),
    ).rejects.toThrow(
      'bucket "nope" is not declared in mlstack:objectStore.buckets (declared: fraud-models, pricing-models, mlflow-artifacts)',
    );
  });

  it("addresses objects as s3://<bucket>/<path>", async () => {
    const r = await render(() => {
      const bucket = new ObcObjectStore("objectstore", argsFor(baseConfig())).bucket("fraud-models");
      return { url: bucket.url("fraud-detector/3"), root: bucket.url(), leading: bucket.url("/x") };
    });
    expect(r.outputs).toEqual({
      url: "s3://mlstack-test-fraud-models/fraud-detector/3",
      root: "s3://mlstack-test-fraud-models/",
      leading: "s3://mlstack-test-fraud-models/x",
    });
  });
});
