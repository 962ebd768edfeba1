import { Mlflow, MlflowArgs } from "../../../components/mlflow/Mlflow";
import { validateMlflowArgs } from "../../../components/mlflow/validation";
import { render } from "../../support/render";
import { databaseGrant, mlflowArgs, s3CompatibleGrant } from "./fixtures";

/** The constructor must refuse before registering anything; the validator is also tested directly. */
async function expectRefusal(args: MlflowArgs, message: RegExp, name = "mlflow"): Promise<void> {
  expect(() => validateMlflowArgs(name, args)).toThrow(message);
  await expect(
    render(() => {
      new Mlflow(name, args);
    }),
  ).rejects.toThrow(message);
}

function withDatabaseEnv(env: MlflowArgs["database"]["env"]): MlflowArgs {
  return { ...mlflowArgs(), database: { ...databaseGrant(), env } };
}

describe("Mlflow refuses", () => {
  it("oauth-proxy on a kubernetes-flavor cluster", async () => {
    const openshift = mlflowArgs({ target: "openshift" });
    const kubernetes = mlflowArgs();
    await expectRefusal(
      { ...openshift, ctx: kubernetes.ctx },
      /config\.auth \(mlstack:mlflow\.auth\) is "oauth-proxy" but the cluster flavor is "kubernetes".*use "basic"/,
    );
  });

  it("auth none outside dev", async () => {
    const dev = mlflowArgs({ mlflow: { auth: "none" } });
    const prod = mlflowArgs({ environment: "prod" });
    await expectRefusal(
      { ...dev, ctx: prod.ctx },
      /config\.auth .* is "none" in prod: .*allowed only in dev/,
    );
  });

  it("a database grant without DATABASE_URL", async () => {
    const env = databaseGrant().env.filter((e) => e.name !== "DATABASE_URL");
    await expectRefusal(
      withDatabaseEnv(env),
      /args\.database has no DATABASE_URL env \(got: PGHOST, .*PGPASSWORD\)/,
    );
  });

  it("a DATABASE_URL handed over as a literal value", async () => {
    const env = databaseGrant().env.map((e) =>
      e.name === "DATABASE_URL"
        ? { name: "DATABASE_URL", value: "postgresql://mlflow:hunter2@postgres-rw/mlflow" }
        : e,
    );
    await expectRefusal(withDatabaseEnv(env), /DATABASE_URL is not a secretKeyRef/);
  });

  it("a DATABASE_URL taken from a ConfigMap", async () => {
    const env = databaseGrant().env.map((e) =>
      e.name === "DATABASE_URL"
        ? { name: "DATABASE_URL", valueFrom: { configMapKeyRef: { name: "db", key: "uri" } } }
        : e,
    );
    await expectRefusal(withDatabaseEnv(env), /DATABASE_URL is not a secretKeyRef/);
  });

  it("a literal password in the database grant", async () => {
    const env = databaseGrant().env.map((e) =>
      e.name === "PGPASSWORD" ? { name: "PGPASSWORD", value: "hunter2" } : e,
    );
    await expectRefusal(withDatabaseEnv(env), /args\.database env PGPASSWORD carries a literal value/);
  });

  it("literal static credentials in the bucket grant", async () => {
    const access = s3CompatibleGrant();
    access.env = access.env.map((e) =>
      e.name === "AWS_SECRET_ACCESS_KEY" ? { name: "AWS_SECRET_ACCESS_KEY", value: "abc" } : e,
    );
    await expectRefusal(
      { ...mlflowArgs(), artifacts: { access, destination: "s3://mlflow-artifacts" } },
      /args\.artifacts\.access env AWS_SECRET_ACCESS_KEY carries a literal value/,
    );
  });

  it("a PEM block as a literal value under any name", async () => {
    const access = s3CompatibleGrant();
    access.env.push({
      name: "AWS_CA_BUNDLE_PEM",
      value: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    });
    await expectRefusal(
      { ...mlflowArgs(), artifacts: { access, destination: "s3://mlflow-artifacts" } },
      /AWS_CA_BUNDLE_PEM carries a literal value/,
    );
  });

  it("an artifact destination that is not a bucket URL", async () => {
    await expectRefusal(
      { ...mlflowArgs(), artifacts: { access: s3CompatibleGrant(), destination: "./mlartifacts" } },
      /args\.artifacts\.destination "\.\/mlartifacts" is not a bucket URL/,
    );
  });

  it("oauth-proxy without the API server CIDRs it must reach, or with a malformed one", async () => {
    const args = mlflowArgs({ target: "openshift" });
    await expectRefusal(
      { ...args, apiServerCidrs: undefined },
      /args\.apiServerCidrs is required with auth oauth-proxy/,
    );
    await expectRefusal({ ...args, apiServerCidrs: [] }, /args\.apiServerCidrs is required/);
    await expectRefusal(
      { ...args, apiServerCidrs: ["10.0.0.1"] },
      /args\.apiServerCidrs entry "10\.0\.0\.1" is not a CIDR/,
    );
  });

  it("proxyUsers without oauth-proxy", async () => {
    await expectRefusal(
      mlflowArgs({}, { proxyUsers: [{ kind: "Group", name: "ml-fraud" }] }),
      /args\.proxyUsers is set but config\.auth is "basic"/,
    );
  });

  it("defaultPermission without basic auth, or one MLflow does not know", async () => {
    await expectRefusal(
      mlflowArgs({ target: "openshift" }, { defaultPermission: "READ" }),
      /args\.defaultPermission applies only with auth "basic"/,
    );
    await expectRefusal(
      mlflowArgs({}, { defaultPermission: "ALL" as never }),
      /args\.defaultPermission "ALL" is not one of READ, USE, EDIT, MANAGE, NO_PERMISSIONS/,
    );
  });

  it("a single replica where the platform runs highly available", async () => {
    const args = mlflowArgs({ environment: "prod" });
    await expectRefusal(
      { ...args, config: { ...args.config, replicas: 1 } },
      /config\.replicas \(mlstack:mlflow\.replicas\) is 1 in prod.*at least 2/,
    );
  });

  it("a worker count outside 1..32", async () => {
    await expectRefusal(mlflowArgs({}, { workers: 0 }), /args\.workers is 0; use an integer from 1 to 32/);
    await expectRefusal(mlflowArgs({}, { workers: 2.5 }), /args\.workers is 2\.5/);
  });

  it("a malformed scratch size", async () => {
    await expectRefusal(
      mlflowArgs({}, { scratchSize: "ten gigs" }),
      /"ten gigs" is not a Kubernetes memory quantity/,
    );
  });

  it("a component name that cannot name a Service", async () => {
    await expectRefusal(
      mlflowArgs(),
      /component name "MLflow_1" names the Service and Deployment, so it must be a DNS-1035 label/,
      "MLflow_1",
    );
    await expectRefusal(mlflowArgs(), /must be a DNS-1035 label/, `m${"x".repeat(63)}`);
  });

  it("the default ServiceAccount", async () => {
    await expectRefusal(
      mlflowArgs({}, { serviceAccountName: "default" }),
      /args\.serviceAccountName "default" must name the workload's own ServiceAccount/,
    );
  });

  it("an ingress peer that selects nothing", async () => {
    await expectRefusal(mlflowArgs({}, { ingressFrom: [{}] }), /args\.ingressFrom\[0\] selects nothing/);
  });

  it("two grants that declare different volumes under one name", async () => {
    const access = s3CompatibleGrant();
    access.volumes = [{ name: "postgres-ca", configMap: { name: "something-else" } }];
    await expectRefusal(
      { ...mlflowArgs(), artifacts: { access, destination: "s3://mlflow-artifacts" } },
      /two grants declare different volumes named postgres-ca/,
    );
  });
});

describe("Mlflow refuses grants that collide with the pod's own volumes", () => {
  it("a volume named like the scratch or proxy volumes", async () => {
    const access = s3CompatibleGrant();
    access.volumes = [{ name: "tmp", emptyDir: {} }];
    await expectRefusal(
      { ...mlflowArgs(), artifacts: { access, destination: "s3://mlflow-artifacts" } },
      /a grant declares a volume named "tmp"/,
    );
  });

  it("a mount at /tmp", async () => {
    const access = s3CompatibleGrant();
    access.volumes = [{ name: "cache", emptyDir: {} }];
    access.volumeMounts = [{ name: "cache", mountPath: "/tmp" }];
    await expectRefusal(
      { ...mlflowArgs(), artifacts: { access, destination: "s3://mlflow-artifacts" } },
      /a grant mounts a volume at \/tmp/,
    );
  });
});

describe("Mlflow accepts", () => {
  it("two grants that share an identical CA bundle volume, mounting it once", async () => {
    const access = s3CompatibleGrant();
    access.volumes = databaseGrant().volumes;
    access.volumeMounts = databaseGrant().volumeMounts;
    const rendered = await render(() => {
      new Mlflow("mlflow", { ...mlflowArgs(), artifacts: { access, destination: "s3://mlflow-artifacts" } });
    });
    const pod = rendered.inputs(rendered.one("kubernetes:apps/v1:Deployment")).spec.template.spec;
    expect(pod.volumes.filter((v: { name: string }) => v.name === "postgres-ca")).toHaveLength(1);
    expect(
      pod.containers[0].volumeMounts.filter((m: { name: string }) => m.name === "postgres-ca"),
    ).toHaveLength(1);
  });
});
