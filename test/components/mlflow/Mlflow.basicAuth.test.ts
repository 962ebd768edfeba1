import * as pulumi from "@pulumi/pulumi";
import { isSecretValue } from "../../../cli/mockRuntime";
import { validateObjects } from "../../support/schemas";
import { mlflowArgs, NAMESPACE } from "./fixtures";
import { SERVICE, SECRET, PDB, renderMlflow, valueOf, literalEnv, SECRET_LIKE } from "./mlflowRender";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */

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

  it("turns MLflow's server-side job execution off (a Huey runner per replica, periodic tasks on each)", async () => {
    const vars = (await renderMlflow(mlflowArgs())).env("mlflow");
    expect(vars.MLFLOW_SERVER_ENABLE_JOB_EXECUTION.value).toBe("false");
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
