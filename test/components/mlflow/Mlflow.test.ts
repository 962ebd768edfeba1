import * as pulumi from "@pulumi/pulumi";
import { isSecretValue } from "../../../cli/mockRuntime";
import { Mlflow, MlflowArgs } from "../../../components/mlflow/Mlflow";
import { render, Rendered } from "../../support/render";
import { validateObjects } from "../../support/schemas";
import {
  awsS3Grant,
  contextFor,
  DATABASE_EGRESS,
  mlflowArgs,
  NAMESPACE,
  OBJECT_STORE_EGRESS,
  ROUTER_PEER,
  teamPeer,
} from "./fixtures";
import { baseConfig } from "../../support/config";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const SECRET = "kubernetes:core/v1:Secret";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";

interface RenderedMlflow {
  rendered: Rendered;
  component: Mlflow;
  deployment: any;
  pod: any;
  container(name: string): any;
  env(container: string): Record<string, any>;
}

async function renderMlflow(args: MlflowArgs, name = "mlflow"): Promise<RenderedMlflow> {
  let component: Mlflow | undefined;
  const rendered = await render(() => {
    component = new Mlflow(name, args);
  });
  const deployment = rendered.inputs(rendered.one(DEPLOYMENT));
  const pod = deployment.spec.template.spec;
  const container = (n: string) => {
    const found = pod.containers.find((c: any) => c.name === n);
    if (!found) throw new Error(`no container ${n}`);
    return found;
  };
  return {
    rendered,
    component: component as Mlflow,
    deployment,
    pod,
    container,
    env: (n: string) => Object.fromEntries(container(n).env.map((e: any) => [e.name, e])),
  };
}

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Every env entry of every container that carries a literal value. */
function literalEnv(pod: any): Array<{ name: string; value: string }> {
  return pod.containers.flatMap((c: any) => (c.env ?? []).filter((e: any) => e.value !== undefined));
}

const SECRET_LIKE = /(PASSWORD|SECRET|TOKEN|(^|_)KEY($|_)|DATABASE_URL)/i;

describe("Mlflow with basic auth (kubernetes, dev)", () => {
  it("runs mlflow server through the image entrypoint: PostgreSQL backend, proxied artifacts, host, port, workers, basic-auth app", async () => {
    const { container } = await renderMlflow(mlflowArgs());
    const mlflow = container("mlflow");
    expect(mlflow.image).toBe("ghcr.io/mlstack/mlflow:3.17.2-3");
    expect(mlflow.command).toEqual(["/usr/local/bin/mlflow-entrypoint"]);
    expect(mlflow.args).toEqual([
      "mlflow",
      "server",
      "--host",
      "0.0.0.0",
      "--port",
      "5000",
      "--workers",
      "2",
      "--serve-artifacts",
      "--artifacts-destination",
      "s3://mlflow-artifacts-0a1b2c3d",
      "--app-name",
      "basic-auth",
    ]);
  });

  it("takes the backend store from the database grant's DATABASE_URL reference, never as an argument", async () => {
    const { env, container } = await renderMlflow(mlflowArgs());
    const vars = env("mlflow");
    expect(vars.MLFLOW_BACKEND_STORE_URI).toEqual({
      name: "MLFLOW_BACKEND_STORE_URI",
      valueFrom: { secretKeyRef: { name: "postgres-mlflow", key: "uri" } },
    });
    expect(container("mlflow").args.join(" ")).not.toMatch(/backend-store-uri|postgres/);
  });

  it("passes the grants' environment, CA bundle volume and mount through to the server", async () => {
    const { env, pod, container } = await renderMlflow(mlflowArgs());
    const vars = env("mlflow");
    for (const name of [
      "PGHOST",
      "PGSSLMODE",
      "PGPASSWORD",
      "DATABASE_URL",
      "BUCKET_NAME",
      "AWS_REGION",
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
    ]) {
      expect(vars[name]).toBeDefined();
    }
    expect(pod.volumes.map((v: any) => v.name)).toEqual(["tmp", "postgres-ca"]);
    expect(container("mlflow").volumeMounts).toContainEqual({
      name: "postgres-ca",
      mountPath: "/etc/mlstack/postgres-ca",
      readOnly: true,
    });
  });

  it("points MLflow at the S3-compatible endpoint the bucket grant names", async () => {
    const { env } = await renderMlflow(mlflowArgs());
    expect(env("mlflow").MLFLOW_S3_ENDPOINT_URL).toEqual({
      name: "MLFLOW_S3_ENDPOINT_URL",
      value: "http://rook-ceph-rgw-objectstore.rook-ceph.svc",
    });
  });

  it("generates the admin password and Flask secret key and delivers them only by secretKeyRef", async () => {
    const { rendered, env } = await renderMlflow(mlflowArgs());
    const admin = rendered.inputs(rendered.one(SECRET, "mlflow-admin"));
    expect(admin.type).toBe("kubernetes.io/basic-auth");
    expect(admin.metadata).toMatchObject({ name: "mlflow-admin", namespace: NAMESPACE });
    expect(admin.stringData).toEqual({ username: "admin", password: "mock-mlflow-admin-password" });
    const server = rendered.inputs(rendered.one(SECRET, "mlflow-server"));
    expect(server.stringData).toEqual({ "flask-secret-key": "mock-mlflow-flask-secret-key" });
    expect(rendered.one("random:index/randomPassword:RandomPassword", "admin-password").inputs).toMatchObject(
      { length: 32, special: false },
    );

    const vars = env("mlflow");
    expect(vars.MLSTACK_AUTH_ADMIN_USERNAME.valueFrom).toEqual({
      secretKeyRef: { name: "mlflow-admin", key: "username" },
    });
    expect(vars.MLSTACK_AUTH_ADMIN_PASSWORD.valueFrom).toEqual({
      secretKeyRef: { name: "mlflow-admin", key: "password" },
    });
    expect(vars.MLFLOW_FLASK_SERVER_SECRET_KEY.valueFrom).toEqual({
      secretKeyRef: { name: "mlflow-server", key: "flask-secret-key" },
    });
  });

  it("keeps the generated secrets as Pulumi secrets in the Secret inputs", async () => {
    const { rendered } = await renderMlflow(mlflowArgs());
    expect(
      isSecretValue(rendered.one(SECRET, "mlflow-admin").inputs.stringData) ||
        isSecretValue((rendered.one(SECRET, "mlflow-admin").inputs.stringData as any).password),
    ).toBe(true);
    expect(
      isSecretValue(rendered.one(SECRET, "mlflow-server").inputs.stringData) ||
        isSecretValue((rendered.one(SECRET, "mlflow-server").inputs.stringData as any)["flask-secret-key"]),
    ).toBe(true);
  });

  it("keeps the auth tables in the tracking database (same DATABASE_URL reference), rendered by the entrypoint into /tmp", async () => {
    const { env } = await renderMlflow(mlflowArgs());
    const vars = env("mlflow");
    expect(vars.MLSTACK_AUTH_DATABASE_URI.valueFrom).toEqual({
      secretKeyRef: { name: "postgres-mlflow", key: "uri" },
    });
    expect(vars.MLFLOW_AUTH_CONFIG_PATH.value).toBe("/tmp/mlflow-auth/basic_auth.ini");
    expect(JSON.stringify(vars)).not.toMatch(/sqlite/i);
  });

  it("gives users no permissions on what they were not granted, unless told otherwise", async () => {
    expect((await renderMlflow(mlflowArgs())).env("mlflow").MLSTACK_AUTH_DEFAULT_PERMISSION.value).toBe(
      "NO_PERMISSIONS",
    );
    const read = await renderMlflow(mlflowArgs({}, { defaultPermission: "READ" }));
    expect(read.env("mlflow").MLSTACK_AUTH_DEFAULT_PERMISSION.value).toBe("READ");
  });

  it("puts no secret in the pod spec: no generated value, and every literal env name is harmless", async () => {
    const { deployment, pod } = await renderMlflow(mlflowArgs());
    expect(JSON.stringify(deployment)).not.toContain("mock-");
    for (const entry of literalEnv(pod)) expect(entry.name).not.toMatch(SECRET_LIKE);
    expect(pod.containers[0].args.join(" ")).not.toMatch(/password|secret/i);
  });

  it("migrates the schema before serving and keeps telemetry off", async () => {
    const vars = (await renderMlflow(mlflowArgs())).env("mlflow");
    expect(vars.MLSTACK_MIGRATE_DATABASE.value).toBe("true");
    expect(vars.MLFLOW_DISABLE_TELEMETRY.value).toBe("true");
  });

  it("accepts the in-cluster Service names as Host headers, exactly (no wildcard suffix)", async () => {
    const hosts: string[] = (await renderMlflow(mlflowArgs()))
      .env("mlflow")
      .MLFLOW_SERVER_ALLOWED_HOSTS.value.split(",");
    expect(hosts).toEqual(
      expect.arrayContaining([
        "mlflow:5000",
        "mlflow.ml-test-platform.svc:5000",
        "mlflow.ml-test-platform.svc.cluster.local:5000",
        "localhost:*",
      ]),
    );
    expect(hosts.filter((h) => h.endsWith(".*") || h === "*")).toEqual([]);
  });

  it("accepts the public hostname as Host and as CORS origin when MLflow is exposed", async () => {
    const args = mlflowArgs({
      mlflow: { hostname: "mlflow.ml.example.com" },
      ingress: { clusterIssuer: "letsencrypt" },
    });
    const vars = (await renderMlflow(args)).env("mlflow");
    expect(vars.MLFLOW_SERVER_ALLOWED_HOSTS.value.split(",")).toContain("mlflow.ml.example.com");
    expect(vars.MLFLOW_SERVER_CORS_ALLOWED_ORIGINS.value).toBe("https://mlflow.ml.example.com");
    const internal = (await renderMlflow(mlflowArgs())).env("mlflow");
    expect(internal.MLFLOW_SERVER_CORS_ALLOWED_ORIGINS).toBeUndefined();
  });

  it("probes /health on the http port, with a startup budget for schema migrations", async () => {
    const mlflow = (await renderMlflow(mlflowArgs())).container("mlflow");
    for (const probe of [mlflow.readinessProbe, mlflow.livenessProbe, mlflow.startupProbe]) {
      expect(probe.httpGet).toEqual({ path: "/health", port: "http" });
    }
    expect(mlflow.startupProbe.periodSeconds * mlflow.startupProbe.failureThreshold).toBeGreaterThanOrEqual(
      600,
    );
  });

  it("takes resources from config", async () => {
    const mlflow = (await renderMlflow(mlflowArgs())).container("mlflow");
    expect(mlflow.resources).toEqual({
      requests: { cpu: "250m", memory: "512Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    });
  });

  it("runs restricted with a fixed non-root high UID, read-only root filesystem and /tmp on a bounded emptyDir", async () => {
    const { pod, container } = await renderMlflow(mlflowArgs());
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container("mlflow").securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10001,
    });
    expect(pod.volumes[0]).toEqual({ name: "tmp", emptyDir: { sizeLimit: "10Gi" } });
    expect(container("mlflow").volumeMounts[0]).toEqual({ name: "tmp", mountPath: "/tmp" });
  });

  it("uses its own ServiceAccount without mounting its token, and no service-link variables", async () => {
    const { pod } = await renderMlflow(mlflowArgs());
    expect(pod.serviceAccountName).toBe("mlflow");
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
  });

  it("takes its ServiceAccount's name as an output of the ServiceAccount resource", async () => {
    const { pod } = await renderMlflow({ ...mlflowArgs(), serviceAccountName: pulumi.output("mlflow-sa") });
    expect(pod.serviceAccountName).toBe("mlflow-sa");
  });

  it("dev: one replica, no PodDisruptionBudget, no topology spread", async () => {
    const { rendered, deployment, pod } = await renderMlflow(mlflowArgs());
    expect(deployment.spec.replicas).toBe(1);
    expect(rendered.ofType(PDB)).toHaveLength(0);
    expect(pod.topologySpreadConstraints).toBeUndefined();
  });

  it("serves port 5000 named http and outputs an http tracking URI and the admin Secret", async () => {
    const { rendered, component } = await renderMlflow(mlflowArgs());
    const service = rendered.inputs(rendered.one(SERVICE));
    expect(service.metadata).toMatchObject({ name: "mlflow", namespace: NAMESPACE });
    expect(service.metadata.annotations).toBeUndefined();
    expect(service.spec.ports).toEqual([{ name: "http", port: 5000, targetPort: "http", protocol: "TCP" }]);
    expect(service.spec.selector).toEqual({
      "app.kubernetes.io/name": "mlflow",
      "app.kubernetes.io/part-of": "mlstack",
    });
    expect(component.servicePort).toBe(5000);
    expect(component.backendTls).toBe(false);
    expect(await valueOf(component.serviceName)).toBe("mlflow");
    expect(await valueOf(component.trackingUri)).toBe("http://mlflow.ml-test-platform.svc:5000");
    expect(await valueOf(component.adminSecretName as pulumi.Output<string>)).toBe("mlflow-admin");
  });

  it("labels every object and parents every resource to the component", async () => {
    const { rendered } = await renderMlflow(mlflowArgs());
    const component = rendered.one("mlstack:mlflow:Mlflow");
    const children = rendered.descendants(component);
    expect(children.length).toBe(rendered.resources.length - 2);
    for (const r of children.filter((c) => c.type.startsWith("kubernetes:"))) {
      expect(rendered.inputs(r).metadata.labels).toMatchObject({
        "app.kubernetes.io/name": "mlflow",
        "app.kubernetes.io/component": "tracking-server",
        "mlstack.io/team": "platform",
        "mlstack.io/environment": "dev",
      });
    }
  });

  it("emits objects valid against the Kubernetes schemas", async () => {
    const { rendered } = await renderMlflow(mlflowArgs());
    const objects = rendered.resources
      .filter((r) => r.type.startsWith("kubernetes:"))
      .map((r) => rendered.inputs(r));
    const result = validateObjects(objects);
    expect(result.errors).toEqual([]);
    expect(result.unchecked).toEqual([]);
    expect(result.checked).toBe(objects.length);
  });

  it("derives every name from the component name", async () => {
    const { rendered } = await renderMlflow(mlflowArgs(), "tracking");
    const names = rendered.resources
      .filter((r) => r.type.startsWith("kubernetes:"))
      .map((r) => rendered.inputs(r).metadata.name);
    expect(names.sort()).toEqual(["tracking", "tracking", "tracking", "tracking-admin", "tracking-server"]);
  });
});

describe("Mlflow NetworkPolicy", () => {
  it("selects the MLflow pods and opens only the MLflow port, to the given peers and the monitoring namespace", async () => {
    const { rendered } = await renderMlflow(mlflowArgs());
    const policy = rendered.inputs(rendered.one(NETPOL));
    expect(policy.spec.podSelector).toEqual({
      matchLabels: { "app.kubernetes.io/name": "mlflow", "app.kubernetes.io/part-of": "mlstack" },
    });
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.ingress).toEqual([
      {
        from: [
          teamPeer("ml-test-fraud"),
          teamPeer("ml-test-pricing"),
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
        ],
        ports: [{ protocol: "TCP", port: 5000 }],
      },
    ]);
  });

  it("allows egress to the database, the object store and kube-dns only", async () => {
    const { rendered } = await renderMlflow(mlflowArgs());
    const policy = rendered.inputs(rendered.one(NETPOL));
    expect(policy.spec.egress).toEqual([
      DATABASE_EGRESS,
      OBJECT_STORE_EGRESS,
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
    ]);
  });

  it("emits no ingress rule at all when nobody may connect (an empty 'from' would allow everyone)", async () => {
    const { rendered } = await renderMlflow(
      mlflowArgs({}, { ingressFrom: [], monitoringNamespace: undefined }),
    );
    expect(rendered.inputs(rendered.one(NETPOL)).spec.ingress).toEqual([]);
  });
});

describe("Mlflow with auth none", () => {
  it("dev only: runs without the auth app and without generated secrets", async () => {
    const { rendered, container, env, component } = await renderMlflow(
      mlflowArgs({ mlflow: { auth: "none" } }),
    );
    expect(container("mlflow").args).not.toContain("--app-name");
    expect(env("mlflow").MLFLOW_AUTH_CONFIG_PATH).toBeUndefined();
    expect(rendered.ofType(SECRET)).toHaveLength(0);
    expect(rendered.ofType("random:index/randomPassword:RandomPassword")).toHaveLength(0);
    expect(component.adminSecretName).toBeUndefined();
  });
});

describe("Mlflow on EKS / GKE (kubernetes flavor, cloud grants)", () => {
  it("runs unchanged on EKS with an IRSA bucket grant: no S3 endpoint override, no token mount, the s3:// destination as given", async () => {
    const config = baseConfig({ environment: "staging" });
    const args: MlflowArgs = {
      ...mlflowArgs({ environment: "staging" }),
      ctx: { ...contextFor(config), target: "aws" },
      artifacts: { access: awsS3Grant(), destination: "s3://mlstack-test-mlflow-artifacts" },
    };
    const { env, pod, container } = await renderMlflow(args);
    expect(env("mlflow").MLFLOW_S3_ENDPOINT_URL).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container("mlflow").args).toContain("s3://mlstack-test-mlflow-artifacts");
    expect(pod.securityContext.runAsUser).toBe(10001);
  });

  it("runs unchanged on GKE with a Workload Identity bucket grant and a gs:// destination", async () => {
    const config = baseConfig({ environment: "staging" });
    const gcsGrant = {
      ...awsS3Grant(),
      env: [{ name: "BUCKET_NAME", value: "mlstack-test-mlflow-artifacts" }],
    };
    const args: MlflowArgs = {
      ...mlflowArgs({ environment: "staging" }),
      ctx: { ...contextFor(config), target: "gcp" },
      artifacts: { access: gcsGrant, destination: "gs://mlstack-test-mlflow-artifacts/tracking" },
    };
    const { env, container } = await renderMlflow(args);
    expect(container("mlflow").args).toContain("gs://mlstack-test-mlflow-artifacts/tracking");
    expect(env("mlflow").MLFLOW_S3_ENDPOINT_URL).toBeUndefined();
    expect(env("mlflow").MLFLOW_BACKEND_STORE_URI.valueFrom).toEqual({
      secretKeyRef: { name: "postgres-mlflow", key: "uri" },
    });
  });
});

describe("Mlflow with oauth-proxy (openshift, prod)", () => {
  const openshiftProd = () =>
    mlflowArgs({ target: "openshift", environment: "prod", mlflow: { hostname: "mlflow.apps.example.com" } });

  it("runs MLflow on 127.0.0.1 without the basic-auth app, behind an oauth-proxy sidecar", async () => {
    const { pod, container, env } = await renderMlflow(openshiftProd());
    expect(pod.containers.map((c: any) => c.name)).toEqual(["mlflow", "oauth-proxy"]);
    const args: string[] = container("mlflow").args;
    expect(args.slice(args.indexOf("--host"), args.indexOf("--host") + 2)).toEqual(["--host", "127.0.0.1"]);
    expect(args).not.toContain("--app-name");
    expect(container("mlflow").ports).toEqual([]);
    expect(env("mlflow").MLFLOW_AUTH_CONFIG_PATH).toBeUndefined();
    expect(container("oauth-proxy").image).toBe("registry.redhat.io/openshift4/ose-oauth-proxy-rhel9:v4.18");
  });

  it("authenticates through OpenShift and lets through only who may get the MLflow Service", async () => {
    const proxyArgs: string[] = (await renderMlflow(openshiftProd())).container("oauth-proxy").args;
    expect(proxyArgs).toEqual(
      expect.arrayContaining([
        "--provider=openshift",
        "--https-address=:8443",
        "--http-address=",
        "--upstream=http://127.0.0.1:5000",
        "--openshift-service-account=mlflow",
        '--openshift-sar={"namespace":"ml-test-platform","resource":"services","resourceName":"mlflow","verb":"get"}',
        '--openshift-delegate-urls={"/":{"namespace":"ml-test-platform","resource":"services","name":"mlflow","verb":"get"}}',
        "--tls-cert=/etc/tls/private/tls.crt",
        "--tls-key=/etc/tls/private/tls.key",
        "--cookie-secret-file=/etc/oauth-proxy/cookie-secret",
        "--skip-auth-regex=^/health$",
        "--redeem-url=https://oauth-openshift.openshift-authentication.svc/oauth/token",
      ]),
    );
    expect(proxyArgs.filter((a) => a.startsWith("--skip-auth-regex"))).toEqual([
      "--skip-auth-regex=^/health$",
    ]);
  });

  it("generates the cookie secret and mounts it from a Secret, as it mounts the service-CA certificate", async () => {
    const { rendered, pod, deployment } = await renderMlflow(openshiftProd());
    const cookie = rendered.inputs(rendered.one(SECRET, "oauth-proxy"));
    expect(cookie.stringData).toEqual({ "cookie-secret": "mock-mlflow-cookie-secret" });
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: "oauth-proxy-tls", secret: { secretName: "mlflow-tls", defaultMode: 0o440 } },
        { name: "oauth-proxy-cookie", secret: { secretName: "mlflow-oauth-proxy", defaultMode: 0o440 } },
      ]),
    );
    expect(JSON.stringify(deployment)).not.toContain("mock-");
    for (const entry of literalEnv(pod)) expect(entry.name).not.toMatch(SECRET_LIKE);
  });

  it("serves HTTPS from the service CA: annotated Service, port https 8443, backendTls, https tracking URI", async () => {
    const { rendered, component } = await renderMlflow(openshiftProd());
    const service = rendered.inputs(rendered.one(SERVICE));
    expect(service.metadata.annotations).toEqual({
      "service.beta.openshift.io/serving-cert-secret-name": "mlflow-tls",
    });
    expect(service.spec.ports).toEqual([{ name: "https", port: 8443, targetPort: "https", protocol: "TCP" }]);
    expect(component.backendTls).toBe(true);
    expect(component.servicePort).toBe(8443);
    expect(await valueOf(component.trackingUri)).toBe("https://mlflow.ml-test-platform.svc:8443");
    expect(component.adminSecretName).toBeUndefined();
  });

  it("mounts the ServiceAccount token with the documented opt-out and binds system:auth-delegator", async () => {
    const { rendered, pod, deployment } = await renderMlflow(openshiftProd());
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(deployment.spec.template.metadata.annotations["mlstack.io/needs-api-access"]).toMatch(
      /oauth-proxy/,
    );
    expect(deployment.metadata.annotations["mlstack.io/needs-api-access"]).toMatch(/oauth-proxy/);
    const binding = rendered.inputs(rendered.one(CRB));
    expect(binding.metadata.name).toBe("ml-test-platform-mlflow-auth-delegator");
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "system:auth-delegator",
    });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "mlflow", namespace: NAMESPACE }]);
  });

  it("probes MLflow from inside the pod (it listens on loopback) and the proxy over HTTPS", async () => {
    const { container } = await renderMlflow(openshiftProd());
    const mlflow = container("mlflow");
    expect(mlflow.readinessProbe.exec.command.join(" ")).toContain("http://127.0.0.1:5000/health");
    expect(mlflow.livenessProbe.exec).toBeDefined();
    expect(mlflow.startupProbe.exec).toBeDefined();
    const proxy = container("oauth-proxy");
    expect(proxy.readinessProbe.httpGet).toEqual({ path: "/health", port: "https", scheme: "HTTPS" });
    expect(proxy.livenessProbe.httpGet).toEqual({ path: "/oauth/healthz", port: "https", scheme: "HTTPS" });
  });

  it("leaves UID, GID and fsGroup to the restricted-v2 SCC on every container", async () => {
    const { pod } = await renderMlflow(openshiftProd());
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    for (const c of pod.containers) {
      expect(c.securityContext.runAsUser).toBeUndefined();
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        readOnlyRootFilesystem: true,
      });
      expect(c.resources.requests).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
    }
  });

  it("prod: replicas from config, a PodDisruptionBudget keeping one pod, spread across nodes and zones", async () => {
    const { rendered, deployment, pod } = await renderMlflow(openshiftProd());
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    const pdb = rendered.inputs(rendered.one(PDB));
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector).toEqual({ matchLabels: deployment.spec.selector.matchLabels });
    expect(pod.topologySpreadConstraints.map((t: any) => [t.topologyKey, t.whenUnsatisfiable])).toEqual([
      ["kubernetes.io/hostname", "DoNotSchedule"],
      ["topology.kubernetes.io/zone", "ScheduleAnyway"],
    ]);
    const three = await renderMlflow(
      mlflowArgs({ target: "openshift", environment: "prod", mlflow: { replicas: 3 } }),
    );
    expect(three.deployment.spec.replicas).toBe(3);
  });

  it("opens the proxy port only, and egress to the API server, the OAuth server and OpenShift DNS besides the grants", async () => {
    const { rendered } = await renderMlflow(openshiftProd());
    const spec = rendered.inputs(rendered.one(NETPOL)).spec;
    expect(spec.ingress).toEqual([
      {
        from: [
          teamPeer("ml-test-fraud"),
          ROUTER_PEER,
          {
            namespaceSelector: {
              matchLabels: { "kubernetes.io/metadata.name": "openshift-user-workload-monitoring" },
            },
          },
        ],
        ports: [{ protocol: "TCP", port: 8443 }],
      },
    ]);
    expect(spec.egress).toEqual([
      DATABASE_EGRESS,
      OBJECT_STORE_EGRESS,
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-dns" } },
            podSelector: { matchLabels: { "dns.operator.openshift.io/daemonset-dns": "default" } },
          },
        ],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
          { protocol: "UDP", port: 5353 },
          { protocol: "TCP", port: 5353 },
        ],
      },
      {
        to: [{ ipBlock: { cidr: "10.0.0.1/32" } }, { ipBlock: { cidr: "192.168.10.0/24" } }],
        ports: [
          { protocol: "TCP", port: 443 },
          { protocol: "TCP", port: 6443 },
        ],
      },
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-authentication" } },
            podSelector: { matchLabels: { app: "oauth-openshift" } },
          },
        ],
        ports: [{ protocol: "TCP", port: 6443 }],
      },
    ]);
  });

  it("binds proxyUsers to a Role that grants get on the MLflow Service and nothing else", async () => {
    const subjects = [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "ml-fraud" }];
    const { rendered } = await renderMlflow({ ...openshiftProd(), proxyUsers: subjects });
    const role = rendered.inputs(rendered.one(ROLE));
    expect(role.rules).toEqual([
      { apiGroups: [""], resources: ["services"], resourceNames: ["mlflow"], verbs: ["get"] },
    ]);
    const binding = rendered.inputs(rendered.one(ROLE_BINDING));
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "mlflow-users",
    });
    expect(binding.subjects).toEqual(subjects);
    const without = await renderMlflow(openshiftProd());
    expect(without.rendered.ofType(ROLE)).toHaveLength(0);
  });

  it("emits objects valid against the Kubernetes schemas", async () => {
    const { rendered } = await renderMlflow({
      ...openshiftProd(),
      proxyUsers: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "ml-fraud" }],
    });
    const objects = rendered.resources
      .filter((r) => r.type.startsWith("kubernetes:"))
      .map((r) => rendered.inputs(r));
    const result = validateObjects(objects);
    expect(result.errors).toEqual([]);
    expect(result.checked).toBe(objects.length);
  });
});

describe("Mlflow.serviceAccountAnnotations", () => {
  it("oauth-proxy: a redirect reference to the exposing Route and the public redirect URI", () => {
    const { ctx, config } = mlflowArgs({
      target: "openshift",
      environment: "prod",
      mlflow: { hostname: "mlflow.apps.example.com" },
    });
    const annotations = Mlflow.serviceAccountAnnotations(ctx, config, "mlflow");
    expect(JSON.parse(annotations["serviceaccounts.openshift.io/oauth-redirectreference.mlflow"])).toEqual({
      kind: "OAuthRedirectReference",
      apiVersion: "v1",
      reference: { kind: "Route", name: "mlflow" },
    });
    expect(annotations["serviceaccounts.openshift.io/oauth-redirecturi.mlflow"]).toBe(
      "https://mlflow.apps.example.com",
    );
  });

  it("oauth-proxy without a hostname: the redirect reference only", () => {
    const { ctx, config } = mlflowArgs({ target: "openshift" });
    expect(Object.keys(Mlflow.serviceAccountAnnotations(ctx, config, "mlflow"))).toEqual([
      "serviceaccounts.openshift.io/oauth-redirectreference.mlflow",
    ]);
  });

  it("basic auth: nothing", () => {
    const { ctx, config } = mlflowArgs();
    expect(Mlflow.serviceAccountAnnotations(ctx, config, "mlflow")).toEqual({});
  });

  it("refuses oauth-proxy on a kubernetes-flavor cluster", () => {
    const { config } = mlflowArgs({ target: "openshift" });
    const { ctx } = mlflowArgs();
    expect(() => Mlflow.serviceAccountAnnotations(ctx, config, "mlflow")).toThrow(/oauth-proxy.*kubernetes/);
  });
});

describe("Mlflow.clientEgress", () => {
  const M = Mlflow;
  const cfg = baseConfig;
  it("opens only the tracking server's pods on the MLflow port for basic auth", () => {
    expect(M.clientEgress(cfg().mlflow, "ml-dev-platform", "mlflow")).toEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ml-dev-platform" } },
          podSelector: {
            matchLabels: { "app.kubernetes.io/name": "mlflow", "app.kubernetes.io/part-of": "mlstack" },
          },
        },
      ],
      ports: [{ protocol: "TCP", port: 5000 }],
    });
  });
  it("opens the oauth-proxy's port when MLflow sits behind it", () => {
    const config = cfg({ target: "openshift" }).mlflow;
    expect(M.clientEgress(config, "ml-dev-platform", "mlflow").ports).toEqual([
      { protocol: "TCP", port: 8443 },
    ]);
  });
});
