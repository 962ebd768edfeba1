import * as pulumi from "@pulumi/pulumi";
import { isSecretValue } from "../../../cli/mockRuntime";
import type { PlatformContext } from "../../../components/context";
import type { WorkloadAccess } from "../../../components/identity/contract";
import { ArgumentRefusal, problemsOf } from "../../../components/argumentProblem";
import { PREFECT_IMAGE } from "../../../components/orchestrator/image";
import { Orchestrator, OrchestratorArgs } from "../../../components/orchestrator/Orchestrator";
import type { OrchestratorConfig } from "../../../components/orchestrator/settings";
import { validateOrchestratorArgs } from "../../../components/orchestrator/validation";
import { obcBucketGrant, OBJECT_STORE_EGRESS } from "../../support/grants";
import { render, Rendered } from "../../support/render";
import { validateObjects } from "../../support/schemas";
import { DATABASE_EGRESS, databaseGrant } from "../mlflow/fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRET = "kubernetes:core/v1:Secret";
/** The worker's folder: the work pool template and prefect.toml. */
function workerFiles(rendered: Rendered): Record<string, string> {
  return rendered.inputs(rendered.one(SECRET, "worker-config")).stringData;
}
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const PLATFORM_NS = "ml-test-platform";
const TEAM_NS = "ml-test-fraud";
const RESOURCES = { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } };

function context(overrides: Partial<PlatformContext> = {}): PlatformContext {
  return {
    environment: "dev",
    target: "kubernetes",
    flavor: "kubernetes",
    protect: false,
    highAvailability: false,
    project: "mlstack",
    stack: "test",
    ...overrides,
  };
}

function config(overrides: Partial<OrchestratorConfig> = {}): OrchestratorConfig {
  return {
    image: PREFECT_IMAGE,
    workerImage: `${PREFECT_IMAGE}-kubernetes`,
    runImage: PREFECT_IMAGE,
    database: "orchestrator",
    resources: RESOURCES,
    pipelines: [
      {
        name: "fraud-retrain",
        team: "fraud",
        buckets: ["fraud-models"],
        readTopics: [],
        writeTopics: [],
        runResources: RESOURCES,
      },
    ],
    ...overrides,
  };
}

function orchestratorArgs(overrides: Partial<OrchestratorArgs> = {}): OrchestratorArgs {
  const cfg = overrides.config ?? config();
  return {
    ctx: context(),
    config: cfg,
    namespace: PLATFORM_NS,
    serviceAccountName: "orchestrator",
    database: databaseGrant(),
    mlflowTrackingUri: "http://mlflow.ml-test-platform.svc:5000",
    pipelines: cfg.pipelines.map((p) => ({
      name: p.name,
      namespace: TEAM_NS,
      workerServiceAccountName: `${p.name}-worker`,
      runServiceAccountName: p.name,
      access: obcBucketGrant("fraud-models", "fraud-models-0a1b2c3d"),
    })),
    apiServerCidrs: ["10.0.0.1/32"],
    ingressFrom: [],
    ...overrides,
  };
}

async function renderOrchestrator(args: OrchestratorArgs): Promise<Rendered> {
  return render(() => {
    new Orchestrator("orchestrator", args);
  });
}

function deployment(rendered: Rendered, name: string): any {
  return rendered.inputs(rendered.one(DEPLOYMENT, name));
}

function envOf(container: any): Record<string, any> {
  return Object.fromEntries(container.env.map((e: any) => [e.name, e]));
}

function refusalOf(args: OrchestratorArgs): { arg: string; allowed: string } {
  const problems = problemsOf(() => validateOrchestratorArgs("orchestrator", args));
  expect(problems).toHaveLength(1);
  return problems[0];
}

describe("Orchestrator (Prefect)", () => {
  it("on Cilium, lets each pipeline's worker reach the kube-apiserver entity, which its ipBlock rule cannot match there", async () => {
    const rendered = await renderOrchestrator(orchestratorArgs({ network: { cni: "cilium" } }));
    const [policy] = rendered
      .ofType("kubernetes:cilium.io/v2:CiliumNetworkPolicy")
      .map((p) => rendered.inputs(p));
    expect(policy.metadata.namespace).toBe(TEAM_NS);
    expect(policy.spec.endpointSelector.matchLabels["app.kubernetes.io/name"]).toMatch(/-worker$/);
    expect(policy.spec.egress[0].toEntities).toEqual(["kube-apiserver"]);
  });

  it("runs the API server on the orchestrator's own database, over verified TLS, credentials by reference only", async () => {
    const rendered = await renderOrchestrator(orchestratorArgs());
    const server = deployment(rendered, "orchestrator-server").spec.template.spec.containers[0];
    expect(server.args).toEqual(["prefect", "server", "start", "--host", "0.0.0.0", "--port", "4200"]);
    const env = envOf(server);
    expect(env.PREFECT_SERVER_DATABASE_DRIVER.value).toBe("postgresql+asyncpg");
    expect(env.PREFECT_SERVER_DATABASE_HOST.value).toBe("$(PGHOST)");
    expect(env.PREFECT_SERVER_DATABASE_NAME.value).toBe("$(PGDATABASE)");
    expect(env.PREFECT_SERVER_DATABASE_PASSWORD.valueFrom).toEqual({
      secretKeyRef: { name: "postgres-mlflow", key: "password" },
    });
    expect(env.PREFECT_SERVER_DATABASE_SQLALCHEMY_CONNECT_ARGS_TLS_ENABLED.value).toBe("true");
    expect(env.PREFECT_SERVER_DATABASE_SQLALCHEMY_CONNECT_ARGS_TLS_CA_FILE.value).toBe("$(PGSSLROOTCERT)");
    expect(env.PREFECT_SERVER_DATABASE_SQLALCHEMY_CONNECT_ARGS_TLS_CHECK_HOSTNAME.value).toBe("true");
    expect(env.PREFECT_SERVER_DATABASE_MIGRATE_ON_START.value).toBe("false");
    expect(env.PREFECT_SERVER_API_AUTH_STRING.valueFrom.secretKeyRef.key).toBe("auth-string");
    // $(VAR) expands only from entries listed earlier.
    const names = server.env.map((e: any) => e.name);
    expect(names.indexOf("PGHOST")).toBeLessThan(names.indexOf("PREFECT_SERVER_DATABASE_HOST"));
    for (const entry of server.env) {
      if (/PASSWORD|AUTH_STRING|DATABASE_URL/.test(entry.name)) expect(entry.value).toBeUndefined();
    }
    expect(server.volumeMounts).toContainEqual({
      name: "postgres-ca",
      mountPath: "/etc/mlstack/postgres-ca",
      readOnly: true,
    });
  });

  it("keeps the generated credential in Secrets only: platform namespace and each pipeline's namespace", async () => {
    const rendered = await renderOrchestrator(orchestratorArgs());
    const secrets = rendered
      .ofType(SECRET)
      .filter((s) => !s.name.includes("worker-config"))
      .map((s) => rendered.inputs(s));
    expect(secrets.map((s) => s.metadata.namespace).sort()).toEqual([TEAM_NS, PLATFORM_NS].sort());
    const password = rendered.inputs(rendered.one("random:index/randomPassword:RandomPassword"));
    expect(password).toMatchObject({ length: 32, special: false });
    for (const secret of secrets)
      expect(secret.stringData["auth-string"]).toMatch(/^admin:mock-orchestrator-admin-password$/);
    for (const s of rendered.ofType(SECRET).filter((r) => !r.name.includes("worker-config"))) {
      const data = (s.inputs as any).stringData;
      expect(isSecretValue(data) || isSecretValue(data["auth-string"])).toBe(true);
    }
    expect(secrets[0].stringData["auth-string"]).toBe(secrets[1].stringData["auth-string"]);
  });

  it("takes its namespace and ServiceAccount as outputs of the resources that create them", async () => {
    const rendered = await renderOrchestrator(
      orchestratorArgs({
        namespace: pulumi.output("ml-pipelines"),
        serviceAccountName: pulumi.output("prefect"),
      }),
    );
    const server = deployment(rendered, "orchestrator-server");
    expect(server.metadata.namespace).toBe("ml-pipelines");
    expect(server.spec.template.spec.serviceAccountName).toBe("prefect");
  });

  it("runs one server pod (API, UI, services) that migrates first, never two at once", async () => {
    const rendered = await renderOrchestrator(orchestratorArgs({ ctx: context({ highAvailability: true }) }));
    const server = deployment(rendered, "orchestrator-server");
    expect(server.spec.replicas).toBe(1);
    expect(server.spec.strategy).toEqual({ type: "Recreate" });
    expect(server.spec.template.spec.initContainers[0].args).toEqual([
      "prefect",
      "server",
      "database",
      "upgrade",
      "-y",
    ]);
    expect(server.spec.template.spec.containers[0].args).not.toContain("--no-services");
    expect(
      envOf(server.spec.template.spec.containers[0]).PREFECT_SERVER_DATABASE_MIGRATE_ON_START.value,
    ).toBe("false");
  });

  it("meets the restricted pod security profile in every pod and the job template, with no fixed UID on OpenShift", async () => {
    for (const flavor of ["kubernetes", "openshift"] as const) {
      const rendered = await renderOrchestrator(
        orchestratorArgs({
          ctx: context({ flavor, target: flavor === "openshift" ? "openshift" : "kubernetes" }),
        }),
      );
      const template = JSON.parse(workerFiles(rendered)["base-job-template.json"]);
      const pods = [
        ...rendered.ofType(DEPLOYMENT).map((d) => rendered.inputs(d).spec.template.spec),
        template.job_configuration.job_manifest.spec.template.spec,
      ];
      expect(pods).toHaveLength(3);
      for (const pod of pods) {
        expect(pod.securityContext).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect("runAsUser" in pod.securityContext).toBe(flavor === "kubernetes");
        expect("fsGroup" in pod.securityContext).toBe(flavor === "kubernetes");
        for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
          expect(c.securityContext).toMatchObject({
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
          });
          expect("runAsUser" in c.securityContext).toBe(flavor === "kubernetes");
          expect(c.resources.limits.memory).toBeDefined();
        }
      }
    }
  });

  it("runs each pipeline's flow runs as Jobs in the team namespace, as the pipeline's own ServiceAccount, with its grants and MLflow", async () => {
    const rendered = await renderOrchestrator(orchestratorArgs());
    const template = JSON.parse(workerFiles(rendered)["base-job-template.json"]);
    const job = template.job_configuration.job_manifest;
    expect(template.job_configuration.namespace).toBe(TEAM_NS);
    expect(job.metadata.namespace).toBe(TEAM_NS);
    expect(job.spec.template.spec.serviceAccountName).toBe("fraud-retrain");
    expect(job.spec.template.spec.automountServiceAccountToken).toBe(false);
    // What a deployment may not override is not a variable.
    expect(Object.keys(template.variables.properties)).not.toContain("namespace");
    expect(Object.keys(template.variables.properties)).not.toContain("service_account_name");
    const container = job.spec.template.spec.containers[0];
    expect(container.resources).toEqual(RESOURCES);
    const env = envOf(container);
    expect(env.MLFLOW_TRACKING_URI.value).toBe("http://mlflow.ml-test-platform.svc:5000");
    expect(env.PREFECT_API_URL.value).toBe("http://orchestrator.ml-test-platform.svc:4200/api");
    expect(env.PREFECT_API_AUTH_STRING.valueFrom.secretKeyRef).toEqual({
      name: "orchestrator-auth",
      key: "auth-string",
    });
    expect(env.AWS_SECRET_ACCESS_KEY.valueFrom.secretKeyRef).toBeDefined();
    expect(env.BUCKET_NAME.value).toBe("fraud-models-0a1b2c3d");
    expect(job.spec.template.metadata.labels["app.kubernetes.io/name"]).toBe("fraud-retrain-run");
  });

  it("mounts the flow runs' ServiceAccount token only for MLflow behind oauth-proxy", async () => {
    for (const tokens of [false, true]) {
      const rendered = await renderOrchestrator(
        orchestratorArgs({ mlflowAcceptsServiceAccountTokens: tokens }),
      );
      const template = JSON.parse(workerFiles(rendered)["base-job-template.json"]);
      expect(template.job_configuration.job_manifest.spec.template.spec.automountServiceAccountToken).toBe(
        tokens,
      );
    }
  });

  it("lets the worker manage Jobs in its own namespace only, and creates the pool with the platform's template", async () => {
    const rendered = await renderOrchestrator(orchestratorArgs());
    const role = rendered.inputs(rendered.one(ROLE));
    expect(role.metadata.namespace).toBe(TEAM_NS);
    expect(rendered.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")).toHaveLength(0);
    expect(rendered.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")).toHaveLength(0);
    const verbs = role.rules.flatMap((r: any) =>
      r.resources.map((res: string) => `${res}:${r.verbs.join(",")}`),
    );
    expect(verbs).toContain("jobs:get,list,watch,create,delete");
    expect(verbs.join(" ")).not.toMatch(/secrets|\*/);
    const worker = deployment(rendered, "fraud-retrain-worker");
    expect(worker.metadata.namespace).toBe(TEAM_NS);
    expect(worker.spec.template.spec.serviceAccountName).toBe("fraud-retrain-worker");
    expect(worker.spec.template.spec.initContainers[0].args).toEqual([
      "prefect",
      "work-pool",
      "create",
      "fraud-retrain",
      "--type",
      "kubernetes",
      "--base-job-template",
      "/etc/prefect/base-job-template.json",
      "--overwrite",
    ]);
    // The worker hands the credential to Jobs by reference (prefect.toml in its working directory).
    const container = worker.spec.template.spec.containers[0];
    expect(container.workingDir).toBe("/etc/prefect");
    expect(workerFiles(rendered)["prefect.toml"]).toBe(
      '[integrations.kubernetes.worker]\napi_auth_string_secret_name = "orchestrator-auth"\napi_auth_string_secret_key = "auth-string"\n',
    );
    expect(container.readinessProbe.httpGet).toEqual({ path: "/health", port: "health" });
    expect(worker.spec.template.spec.containers[0].args).toEqual([
      "prefect",
      "worker",
      "start",
      "--pool",
      "fraud-retrain",
      "--type",
      "kubernetes",
      "--name",
      "fraud-retrain-worker",
      "--with-healthcheck",
    ]);
  });

  it("opens the network only where needed: server from pipeline namespaces, runs to Prefect and their grants", async () => {
    const rendered = await renderOrchestrator(orchestratorArgs());
    const policies = rendered.ofType(NETPOL).map((p) => rendered.inputs(p));
    const byName = Object.fromEntries(policies.map((p) => [p.metadata.name, p.spec]));
    expect(byName["orchestrator-server"].ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": TEAM_NS } } }],
        ports: [{ protocol: "TCP", port: 4200 }],
      },
    ]);
    expect(byName["orchestrator-server"].egress).toEqual([DATABASE_EGRESS]);
    expect(byName["fraud-retrain-run"].ingress).toEqual([]);
    expect(byName["fraud-retrain-run"].egress).toContainEqual(OBJECT_STORE_EGRESS);
    expect(byName["fraud-retrain-worker"].egress[1].to).toEqual([{ ipBlock: { cidr: "10.0.0.1/32" } }]);
  });

  it("runs two workers with a PodDisruptionBudget only when highly available", async () => {
    const dev = await renderOrchestrator(orchestratorArgs());
    expect(dev.ofType(PDB)).toHaveLength(0);
    expect(deployment(dev, "fraud-retrain-worker").spec.replicas).toBe(1);
    const prod = await renderOrchestrator(orchestratorArgs({ ctx: context({ highAvailability: true }) }));
    expect(prod.inputs(prod.one(PDB)).spec).toMatchObject({ minAvailable: 1 });
    expect(prod.inputs(prod.one(PDB)).metadata.namespace).toBe(TEAM_NS);
    expect(deployment(prod, "fraud-retrain-worker").spec.replicas).toBe(2);
  });

  it("emits objects valid against the Kubernetes schemas", async () => {
    const rendered = await renderOrchestrator(orchestratorArgs());
    const objects = rendered.resources
      .filter((r) => r.type.startsWith("kubernetes:"))
      .map((r) => rendered.inputs(r));
    const result = validateObjects(objects);
    expect(result.errors).toEqual([]);
    expect(result.checked).toBe(objects.length);
  });
});

describe("validateOrchestratorArgs", () => {
  it("accepts the secure defaults", () => {
    expect(() => validateOrchestratorArgs("orchestrator", orchestratorArgs())).not.toThrow();
  });

  it("refuses an orchestrator with no database, naming config.database", () => {
    const problem = refusalOf(orchestratorArgs({ config: config({ database: "" }) }));
    expect(problem.arg).toBe("config.database");
    expect(problem.allowed).toMatch(/own PostgreSQL database/);
  });

  it("refuses the constructor the same way, before anything registers", () => {
    expect(
      () => new Orchestrator("orchestrator", orchestratorArgs({ config: config({ database: "" }) })),
    ).toThrow(ArgumentRefusal);
  });

  it("refuses a database grant Prefect cannot use: no password (IAM tokens), no CA", () => {
    for (const missing of ["PGPASSWORD", "PGSSLROOTCERT"]) {
      const grant: WorkloadAccess = {
        ...databaseGrant(),
        env: databaseGrant().env.filter((e) => e.name !== missing),
      };
      const problem = refusalOf(orchestratorArgs({ database: grant }));
      expect(problem.arg).toBe("database.env");
      expect(problem.allowed).toContain(`has no ${missing}`);
    }
  });

  it("refuses a literal password in the database grant", () => {
    const env = databaseGrant().env.map((e) =>
      e.name === "PGPASSWORD" ? { name: "PGPASSWORD", value: "hunter2" } : e,
    );
    expect(refusalOf(orchestratorArgs({ database: { ...databaseGrant(), env } })).arg).toBe(
      "database.env.PGPASSWORD",
    );
  });

  it("refuses a literal secret in a pipeline's grant", () => {
    const args = orchestratorArgs();
    args.pipelines[0].access = {
      ...args.pipelines[0].access,
      env: [{ name: "AWS_SECRET_ACCESS_KEY", value: "x" }],
    };
    expect(refusalOf(args).arg).toBe("pipelines[0].access.env[0]");
  });

  it("refuses pipelines without API server CIDRs (the worker needs the API server)", () => {
    expect(refusalOf(orchestratorArgs({ apiServerCidrs: [] })).arg).toBe("apiServerCidrs");
    expect(refusalOf(orchestratorArgs({ apiServerCidrs: ["10.0.0.300/32"] })).arg).toBe("apiServerCidrs[0]");
  });

  it("refuses bad, duplicate and unwired pipeline names", () => {
    const pipeline = config().pipelines[0];
    expect(
      refusalOf(orchestratorArgs({ config: config({ pipelines: [{ ...pipeline, name: "Fraud_Retrain" }] }) }))
        .arg,
    ).toBe("config.pipelines[0].name");
    const twice = config({ pipelines: [pipeline, pipeline] });
    expect(refusalOf(orchestratorArgs({ config: twice, pipelines: orchestratorArgs().pipelines })).arg).toBe(
      "config.pipelines[1].name",
    );
    expect(refusalOf(orchestratorArgs({ pipelines: [] })).arg).toBe("pipelines");
  });

  it("refuses a worker sharing the flow runs' ServiceAccount, or the default one", () => {
    const shared = orchestratorArgs();
    shared.pipelines[0].workerServiceAccountName = shared.pipelines[0].runServiceAccountName;
    expect(refusalOf(shared).arg).toBe("pipelines[0].workerServiceAccountName");
    const byDefault = orchestratorArgs();
    byDefault.pipelines[0].runServiceAccountName = "default";
    expect(refusalOf(byDefault).arg).toBe("pipelines[0] ServiceAccount");
  });

  it("refuses read topics without a consumer group", () => {
    const pipeline = { ...config().pipelines[0], readTopics: ["card-transactions"] };
    expect(refusalOf(orchestratorArgs({ config: config({ pipelines: [pipeline] }) })).arg).toBe(
      "config.pipelines[0].consumerGroup",
    );
  });
});
