import { Mlflow, MlflowArgs } from "../../../components/mlflow/Mlflow";
import {
  awsS3Grant,
  contextFor,
  DATABASE_EGRESS,
  mlflowArgs,
  OBJECT_STORE_EGRESS,
  teamPeer,
} from "./fixtures";
import { baseConfig } from "../../support/config";
import { SECRET, NETPOL, renderMlflow } from "./mlflowRender";

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
