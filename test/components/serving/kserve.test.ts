/**
 * Engine `kserve`: a RawDeployment InferenceService whose predictor is hardened like a pod
 * (the policy pack's kserve-pod-hardening rule checks it as one).
 */
import { NON_ROOT_UID } from "../../../components/kube/podSecurity";
import { ModelServing } from "../../../components/serving/ModelServing";
import { render } from "../../support/render";
import {
  configWithModel,
  envOf,
  INGRESS_PEER,
  MODEL_URI,
  NAMESPACE,
  servingArgs,
  teamPeer,
} from "./fixtures";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService";

async function renderKserve(
  model: Record<string, unknown> = {},
  overrides: Record<string, unknown> = {},
  extra: Parameters<typeof servingArgs>[1] = {},
) {
  const config = configWithModel({ engine: "kserve", ...model }, overrides);
  let component: ModelServing | undefined;
  const r = await render(() => {
    component = new ModelServing("model", servingArgs(config, extra));
    return { url: component.url, serviceName: component.serviceName };
  });
  return {
    ...r,
    component: component as ModelServing,
    predictor: r.inputs(r.one(ISVC)).spec.predictor as Inputs,
  };
}

/** The predictor's serving container: `model` for built-in runtimes, the first of `containers` otherwise. */
function servingContainer(predictor: Inputs): Inputs {
  return predictor.model ?? predictor.containers[0];
}

it("runs in RawDeployment mode with KServe's HPA on CPU, so neither Knative nor our own HPA is involved", async () => {
  const r = await renderKserve({ minReplicas: 2, maxReplicas: 4, targetCpuUtilization: 65 });
  const isvc = r.inputs(r.one(ISVC));
  expect(isvc.metadata.annotations["serving.kserve.io/deploymentMode"]).toBe("RawDeployment");
  expect(isvc.metadata.name).toBe("model");
  expect(isvc.metadata.namespace).toBe(NAMESPACE);
  expect(r.predictor).toMatchObject({ minReplicas: 2, maxReplicas: 4, scaleMetric: "cpu", scaleTarget: 65 });
  expect(r.ofType("kubernetes:apps/v1:Deployment")).toHaveLength(0);
  expect(r.ofType("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")).toHaveLength(0);
  expect(r.ofType("kubernetes:core/v1:Service")).toHaveLength(0);
});

it("serves an mlflow model through KServe's MLflow format (v2 protocol) from the bucket", async () => {
  const { predictor } = await renderKserve({ runtime: "mlflow" });
  expect(predictor.model.modelFormat).toEqual({ name: "mlflow" });
  expect(predictor.model.protocolVersion).toBe("v2");
  expect(predictor.model.storageUri).toBeUndefined();
  expect(predictor.model.image).toBeUndefined();
});

it("serves a triton model with the kserve-tritonserver runtime and the configured image", async () => {
  const { predictor } = await renderKserve({ runtime: "triton" });
  expect(predictor.model.modelFormat).toEqual({ name: "triton" });
  expect(predictor.model.runtime).toBe("kserve-tritonserver");
  expect(predictor.model.image).toBe("nvcr.io/nvidia/tritonserver:25.10-py3");
  expect(predictor.model.storageUri).toBeUndefined();
  expect(predictor.model.args).toContain("--model-store=/mnt/models");
  expect(predictor.model.args).toContain("--metrics-config=summary_latencies=true");
});

it("runs an mlserver model as a kserve-container on the model KServe downloads", async () => {
  const { predictor } = await renderKserve({ runtime: "mlserver" });
  const c = predictor.containers[0];
  expect(c.name).toBe("kserve-container");
  expect(c.image).toBe("docker.io/seldonio/mlserver:1.7.1");
  expect([...c.command, ...c.args]).toEqual(["mlserver", "start", "/mnt/models"]);
  expect(envOf(c).get("STORAGE_URI")).toBeUndefined();
  expect(envOf(c).get("MLSERVER_HTTP_PORT")?.value).toBe("8080");
  // The fetch-model step puts the folder's contents into /mnt/models itself.
  expect(envOf(c).get("MLSERVER_MODEL_URI")?.value).toBe("/mnt/models");
  expect(envOf(c).get("MLSERVER_MODEL_IMPLEMENTATION")?.value).toBe("mlserver_mlflow.MLflowRuntime");
  expect(envOf(c).get("MLSERVER_METRICS_DIR")?.value).toMatch(/^\/tmp\//);
});

it("moves the folders KServe's MLServer creates for an mlflow model off the read-only root", async () => {
  const { predictor } = await renderKserve({ runtime: "mlflow" });
  expect(envOf(predictor.model).get("MLSERVER_METRICS_DIR")?.value).toMatch(/^\/tmp\//);
  expect(envOf(predictor.model).get("MLSERVER_ENVIRONMENTS_DIR")?.value).toMatch(/^\/tmp\//);
});

it("runs a custom image as a kserve-container with MODEL_URI", async () => {
  const { predictor } = await renderKserve({
    runtime: "custom",
    image: "ghcr.io/acme/scorer:1.4.2",
    port: 8000,
  });
  const c = predictor.containers[0];
  expect(c.image).toBe("ghcr.io/acme/scorer:1.4.2");
  expect(envOf(c).get("MODEL_URI")?.value).toBe("/mnt/models");
  expect(c.ports[0]).toEqual({ name: "http", containerPort: 8000, protocol: "TCP" });
  expect(c.readinessProbe.httpGet.path).toBe("/health");
});

it.each([
  ["mlflow", "/v2/models/model/ready"],
  ["mlserver", "/v2/models/model/ready"],
  ["triton", "/v2/health/ready"],
])("probes the %s predictor on the v2 endpoints, readiness on %s", async (runtime, ready) => {
  const c = servingContainer((await renderKserve({ runtime })).predictor);
  expect(c.readinessProbe.httpGet).toEqual({ path: ready, port: "http", scheme: "HTTP" });
  expect(c.livenessProbe.httpGet).toEqual({ path: "/v2/health/live", port: "http", scheme: "HTTP" });
});

it("hardens the predictor like a pod on kubernetes: restricted contexts, own service account, no token, writable /tmp", async () => {
  const { predictor } = await renderKserve({ runtime: "mlflow" });
  expect(predictor.serviceAccountName).toBe("model");
  expect(predictor.automountServiceAccountToken).toBe(false);
  expect(predictor.securityContext).toMatchObject({
    runAsNonRoot: true,
    runAsUser: NON_ROOT_UID,
    seccompProfile: { type: "RuntimeDefault" },
  });
  expect(predictor.model.securityContext).toMatchObject({
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
  });
  expect(predictor.model.resources.requests).toEqual({ cpu: "500m", memory: "1Gi" });
  expect(predictor.model.resources.limits).toEqual({ cpu: "2", memory: "2Gi" });
  expect(predictor.volumes).toContainEqual({ name: "tmp", emptyDir: {} });
  expect(predictor.model.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
});

it("sets no fixed UID on the openshift predictor", async () => {
  const { predictor } = await renderKserve({ runtime: "mlserver" }, { target: "openshift" });
  expect(predictor.securityContext).toEqual({
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
  });
  expect(predictor.containers[0].securityContext.runAsUser).toBeUndefined();
});

it("gives the predictor GPUs, the GPU toleration and node selector, and HA spread", async () => {
  const { predictor } = await renderKserve(
    {
      runtime: "triton",
      gpu: { count: 1, nodeSelector: { "cloud.google.com/gke-accelerator": "nvidia-l4" } },
    },
    {
      environment: "prod",
      teams: [
        { name: "fraud", groups: ["ml-fraud"], quota: { gpu: 4 } },
        { name: "pricing", groups: ["ml-pricing"] },
      ],
    },
  );
  expect(predictor.model.resources.limits["nvidia.com/gpu"]).toBe("1");
  expect(predictor.model.resources.requests["nvidia.com/gpu"]).toBe("1");
  expect(predictor.tolerations).toEqual([
    { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
  ]);
  expect(predictor.nodeSelector).toEqual({ "cloud.google.com/gke-accelerator": "nvidia-l4" });
  expect(predictor.topologySpreadConstraints).toHaveLength(2);
});

it("labels the predictor pods so its PDB and NetworkPolicy select them", async () => {
  const r = await renderKserve({ runtime: "mlflow" }, { environment: "prod" });
  const selector = { "app.kubernetes.io/name": "model", "app.kubernetes.io/part-of": "mlstack" };
  expect(r.predictor.labels).toMatchObject(selector);
  expect(r.inputs(r.one("kubernetes:policy/v1:PodDisruptionBudget")).spec).toEqual({
    selector: { matchLabels: selector },
    minAvailable: 1,
  });
  const np = r.inputs(r.one("kubernetes:networking.k8s.io/v1:NetworkPolicy")).spec;
  expect(np.podSelector.matchLabels).toEqual(selector);
  expect(np.ingress[0]).toEqual({
    from: [teamPeer(NAMESPACE), INGRESS_PEER],
    ports: [{ protocol: "TCP", port: 8080 }],
  });
});

it("hands back KServe's predictor Service on port 80 and its in-cluster URL", async () => {
  const r = await renderKserve();
  expect(r.component.servicePort).toBe(80);
  expect(r.outputs).toEqual({
    serviceName: "model-predictor",
    url: `http://model-predictor.${NAMESPACE}.svc.cluster.local`,
  });
});

describe("KServe that serves", () => {
  it.each(["mlflow", "triton", "mlserver", "custom"])(
    "fetches a %s model with the pod's own bucket grant instead of KServe's storage initializer, which never sees the grant",
    async (runtime) => {
      const model =
        runtime === "custom" ? { runtime, image: "ghcr.io/acme/scorer:1.4.2", port: 8000 } : { runtime };
      const { predictor } = await renderKserve(model);
      // No storageUri / STORAGE_URI: KServe injects no storage initializer, which would look for
      // credentials only in Secrets on the ServiceAccount (the pod would never leave Init).
      expect(JSON.stringify(predictor)).not.toContain("storageUri");
      expect(JSON.stringify(predictor)).not.toContain("STORAGE_URI");
      const [init] = predictor.initContainers;
      expect(init.name).toBe("fetch-model");
      expect(envOf(init).get("MODEL_URI")?.value).toBe(MODEL_URI);
      expect(envOf(init).get("AWS_SECRET_ACCESS_KEY")?.valueFrom).toEqual({
        secretKeyRef: { name: "fraud-models", key: "AWS_SECRET_ACCESS_KEY" },
      });
      expect(init.securityContext.allowPrivilegeEscalation).toBe(false);
      expect(servingContainer(predictor).volumeMounts).toContainEqual({
        name: "model",
        mountPath: "/mnt/models",
        readOnly: true,
      });
      expect(predictor.volumes).toContainEqual({ name: "model", emptyDir: {} });
    },
  );

  it("makes pulumi up wait until KServe reports the InferenceService Ready", async () => {
    const r = await renderKserve();
    const annotations = r.inputs(r.one(ISVC)).metadata.annotations;
    expect(annotations["pulumi.com/waitFor"]).toBe("condition=Ready");
    expect(Number(annotations["pulumi.com/timeoutSeconds"])).toBeGreaterThanOrEqual(600);
  });

  it("uses KServe's cluster runtimes by default and brings a namespaced one where the platform has none (OpenShift AI)", async () => {
    const cluster = await renderKserve({ runtime: "triton" });
    expect(cluster.ofType("kubernetes:serving.kserve.io/v1alpha1:ServingRuntime")).toHaveLength(0);
    expect(cluster.predictor.model.runtime).toBe("kserve-tritonserver");

    for (const runtime of ["triton", "mlflow"]) {
      const r = await renderKserve(
        { runtime },
        { target: "openshift" },
        {
          namespacedRuntimes: { mlserverImage: "docker.io/seldonio/mlserver:1.7.1" },
        },
      );
      const [servingRuntime] = r.ofType("kubernetes:serving.kserve.io/v1alpha1:ServingRuntime");
      const sr = r.inputs(servingRuntime);
      expect(sr.metadata.namespace).toBe(NAMESPACE);
      expect(r.predictor.model.runtime).toBe(sr.metadata.name);
      expect(sr.spec.supportedModelFormats[0].name).toBe(runtime);
      const c = sr.spec.containers[0];
      expect(c.name).toBe("kserve-container");
      // Restricted pod security: the runtime's container is hardened too, not only the predictor's.
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      if (runtime === "mlflow") expect(c.image).toBe("docker.io/seldonio/mlserver:1.7.1");
    }
  });
});
