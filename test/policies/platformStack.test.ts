import * as fs from "fs";
import * as path from "path";
import { AWS_TAGGABLE_TYPES, GCP_LABEL_PATHS } from "../../policies/platformLabels";
import { check, kube, LABELS, messages, resource, UNKNOWN } from "./helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SECRET = (value: unknown) => ({
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  value,
});

describe("platform-required-labels", () => {
  it("accepts Kubernetes objects with the platform labels", () => {
    expect(messages([kube("v1", "ConfigMap", "c", { data: {} })], "platform-required-labels")).toEqual([]);
  });
  it("flags a Kubernetes object missing team and environment", () => {
    const cm = kube("v1", "ConfigMap", "c", { data: {} }, { labels: { "app.kubernetes.io/component": "x" } });
    expect(messages([cm], "platform-required-labels")).toEqual([
      "ConfigMap c lacks mlstack.io/environment, mlstack.io/team in metadata.labels",
    ]);
  });
  it("accepts AWS tags, directly or as the provider's default tags", () => {
    const tags = {
      "mlstack:environment": "prod",
      "mlstack:team": "platform",
      "mlstack:component": "postgres",
    };
    const provider = resource("pulumi:providers:aws", "aws", {
      region: "eu-west-1",
      defaultTags: JSON.stringify({ tags }),
    });
    const viaProvider = resource(
      "aws:kms/key:Key",
      "k",
      { enableKeyRotation: true },
      { provider: `${provider.urn}::id-1` },
    );
    expect(
      messages(
        [resource("aws:rds/instance:Instance", "db", { tags }), provider, viaProvider],
        "platform-required-labels",
      ),
    ).toEqual([]);
  });
  it("flags an AWS resource without tags and a GCP resource without labels", () => {
    expect(
      messages(
        [
          resource("aws:s3/bucket:Bucket", "b", {}),
          resource("gcp:sql/databaseInstance:DatabaseInstance", "pg", {
            settings: { userLabels: { "mlstack-team": "x" } },
          }),
        ],
        "platform-required-labels",
      ),
    ).toEqual([
      "aws:s3/bucket:Bucket b lacks mlstack:component, mlstack:environment, mlstack:team in tags",
      "gcp:sql/databaseInstance:DatabaseInstance pg lacks mlstack-component, mlstack-environment in settings.userLabels",
    ]);
  });
  it("ignores types without labels (components, providers, IAM attachments)", () => {
    expect(
      messages(
        [
          resource("mlstack:kafka:StrimziKafka", "kafka", {}),
          resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", {}),
        ],
        "platform-required-labels",
      ),
    ).toEqual([]);
  });
  it("lists only AWS types whose SDK arguments accept tags, and GCP types with their label field", () => {
    for (const type of AWS_TAGGABLE_TYPES) {
      const [, module, member] = /^aws:([^/]+)\/([^:]+):/.exec(type)!;
      const dts = fs.readFileSync(
        path.join(require.resolve("@pulumi/aws/package.json"), "..", module, `${member}.d.ts`),
        "utf8",
      );
      expect({ type, tags: /export interface \w+Args \{[\s\S]*?\n    tags\?:/.test(dts) }).toEqual({
        type,
        tags: true,
      });
    }
    for (const [type, field] of Object.entries(GCP_LABEL_PATHS)) {
      const [, module, member] = /^gcp:([^/]+)\/([^:]+):/.exec(type)!;
      // A nested field (Cloud SQL's settings.userLabels) is declared in the SDK's input types.
      const file = field.includes(".")
        ? path.join("types", "input.d.ts")
        : path.join(module, `${member}.d.ts`);
      const dts = fs.readFileSync(path.join(require.resolve("@pulumi/gcp/package.json"), "..", file), "utf8");
      expect({ type, field: dts.includes(`${field.split(".").pop()}?:`) }).toEqual({ type, field: true });
    }
  });
});

describe("platform-protect-stateful", () => {
  const STATEFUL: Array<[string, Json]> = [
    ["aws:s3/bucket:Bucket", {}],
    ["aws:s3/bucketV2:BucketV2", {}],
    ["aws:rds/instance:Instance", {}],
    ["aws:msk/cluster:Cluster", {}],
    ["aws:kms/key:Key", {}],
    ["gcp:storage/bucket:Bucket", {}],
    ["gcp:sql/databaseInstance:DatabaseInstance", {}],
    ["gcp:managedkafka/cluster:Cluster", {}],
    ["gcp:kms/cryptoKey:CryptoKey", {}],
    ["kubernetes:kafka.strimzi.io/v1:Kafka", { metadata: { name: "kafka", namespace: "ml-prod-platform" } }],
    [
      "kubernetes:kafka.strimzi.io/v1beta2:Kafka",
      { metadata: { name: "kafka", namespace: "ml-prod-platform" } },
    ],
    ["kubernetes:postgresql.cnpg.io/v1:Cluster", { metadata: { name: "pg", namespace: "ml-prod-platform" } }],
    [
      "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim",
      { metadata: { name: "b", namespace: "ml-prod-fraud" } },
    ],
  ];
  describe("on plain Kubernetes YAML (no Pulumi options)", () => {
    const manifest = (annotations: Record<string, string> = {}) => ({
      ...resource("kubernetes:postgresql.cnpg.io/v1:Cluster", "pg", {
        metadata: { name: "pg", namespace: "ml-prod-platform", annotations },
      }),
      urn: "manifests/pg.yaml#Cluster/ml-prod-platform/pg",
    });
    it("is satisfiable with a retention annotation", () => {
      const annotations: Array<Record<string, string>> = [
        { "helm.sh/resource-policy": "keep" },
        { "argocd.argoproj.io/sync-options": "Prune=false, Delete=false" },
        { "kustomize.toolkit.fluxcd.io/prune": "disabled" },
      ];
      for (const a of annotations)
        expect(messages([manifest(a)], "platform-protect-stateful", { environment: "prod" })).toEqual([]);
    });
    it("names the annotations when none is there", () => {
      expect(messages([manifest()], "platform-protect-stateful", { environment: "prod" })).toEqual([
        expect.stringContaining("annotate it with one of helm.sh/resource-policy: keep"),
      ]);
    });
  });
  it.each(STATEFUL)(
    "flags an unprotected %s in prod and accepts protect (not retainOnDelete alone, which the engine cannot see)",
    (type, inputs) => {
      expect(
        messages([resource(type, "state", inputs)], "platform-protect-stateful", { environment: "prod" }),
      ).toHaveLength(1);
      expect(
        messages([resource(type, "state", inputs, { protect: true })], "platform-protect-stateful", {
          environment: "prod",
        }),
      ).toEqual([]);
      expect(
        messages([resource(type, "state", inputs, { retainOnDelete: true })], "platform-protect-stateful", {
          environment: "prod",
        }),
      ).toHaveLength(1);
    },
  );
  it("does not apply outside prod, taking the environment from the resource's tags", () => {
    expect(
      messages(
        [resource("aws:rds/instance:Instance", "db", { tags: { "mlstack:environment": "dev" } })],
        "platform-protect-stateful",
      ),
    ).toEqual([]);
    expect(
      messages(
        [resource("aws:rds/instance:Instance", "db", { tags: { "mlstack:environment": "prod" } })],
        "platform-protect-stateful",
      ),
    ).toHaveLength(1);
  });
  it("ignores stateless resources", () => {
    expect(
      messages([kube("apps/v1", "Deployment", "d", { spec: {} })], "platform-protect-stateful", {
        environment: "prod",
      }),
    ).toEqual([]);
  });
});

describe("platform-no-plaintext-secret-outputs", () => {
  const stack = resource("pulumi:pulumi:Stack", "mlstack-prod", {});
  it("flags a credential output that is not secret", () => {
    expect(
      messages(
        [stack],
        "platform-no-plaintext-secret-outputs",
        {},
        { mlflowAdminPassword: "hunter2", endpoint: "https://mlflow" },
      ),
    ).toEqual(["stack output mlflowAdminPassword is named like a credential and is not secret"]);
  });
  it("flags secret material inside a plain output, at any depth", () => {
    expect(
      messages(
        [stack],
        "platform-no-plaintext-secret-outputs",
        {},
        { db: { url: "postgresql://app:hunter2@db/app" } },
      ),
    ).toEqual([expect.stringContaining("db.url holds a URL with an embedded password")]);
  });
  it("reads a reference to a Secret's key as a name, not a credential, and still judges its content", () => {
    const refs = {
      teams: {
        fraud: {
          env: { PGPASSWORD: { secretKeyRef: { secretName: "fraud-db", key: "password" } } },
          k8s: { DB_TOKEN: { secretKeyRef: { name: "fraud-db", key: "token" } } },
          files: { PGSSLROOTCERT: { configMapName: "db-ca", key: "ca.crt" } },
        },
      },
    };
    expect(messages([stack], "platform-no-plaintext-secret-outputs", {}, refs)).toEqual([]);
    const leaked = {
      env: { PGPASSWORD: { secretKeyRef: { secretName: "db", key: "postgresql://a:hunter2@db/a" } } },
    };
    expect(messages([stack], "platform-no-plaintext-secret-outputs", {}, leaked)).toEqual([
      expect.stringContaining("env.PGPASSWORD.secretKeyRef.key holds a URL with an embedded password"),
    ]);
    const notOnlyAReference = { env: { db: { secretName: "db", key: "k", password: "hunter2" } } };
    expect(messages([stack], "platform-no-plaintext-secret-outputs", {}, notOnlyAReference)).toEqual([
      "stack output env.db.key is named like a credential and is not secret",
      "stack output env.db.password is named like a credential and is not secret",
    ]);
  });
  it("accepts the same outputs marked secret (wrapped or redacted)", () => {
    expect(
      messages(
        [stack],
        "platform-no-plaintext-secret-outputs",
        {},
        { mlflowAdminPassword: SECRET("hunter2"), tlsKey: "[secret]", endpoint: "https://mlflow" },
      ),
    ).toEqual([]);
  });
  it("accepts a plain output whose credential parts are secret", () => {
    expect(
      messages(
        [stack],
        "platform-no-plaintext-secret-outputs",
        {},
        { db: { host: "db", password: SECRET("hunter2") } },
      ),
    ).toEqual([]);
  });
  it("flags a ConfigMap holding a value the program marked secret", () => {
    const cm = kube("v1", "ConfigMap", "settings", {
      data: { url: SECRET("postgresql://db/app"), mode: "a" },
    });
    expect(messages([cm], "platform-no-plaintext-secret-outputs")).toEqual([
      expect.stringContaining("data.url holds a value the program marked secret"),
    ]);
  });
  it("flags a ConfigMap value redacted as a secret in a preview", () => {
    expect(
      messages(
        [kube("v1", "ConfigMap", "settings", { data: { token: "[secret]" } })],
        "platform-no-plaintext-secret-outputs",
      ),
    ).toHaveLength(1);
  });
  it("reports unknown outputs as not checked", () => {
    expect(
      check([stack], "platform-no-plaintext-secret-outputs", {}, { apiToken: UNKNOWN }).violations,
    ).toEqual([expect.objectContaining({ notChecked: true, enforcementLevel: "mandatory" })]);
  });
});

it("the label keys are those components/kube/labels.ts writes", () => {
  expect(Object.keys(LABELS)).toEqual(
    expect.arrayContaining(["app.kubernetes.io/component", "mlstack.io/environment", "mlstack.io/team"]),
  );
  // Kept in step with the components' source of truth (the pack is self-contained, so it repeats them).
  const labels = fs.readFileSync(path.join(__dirname, "../../components/kube/labels.ts"), "utf8");
  for (const key of [
    '"mlstack.io/environment"',
    '"mlstack.io/team"',
    '"app.kubernetes.io/component"',
    '"mlstack:environment"',
    '"mlstack-team"',
  ])
    expect(labels).toContain(key);
});
