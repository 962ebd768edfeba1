/**
 * ModelServing on engine `deployment` for HTTP models: what each runtime runs, how pods are
 * secured, placed and scaled, who may reach them, and what the component hands back.
 */
import { ModelServing } from "../../../components/serving/ModelServing";
import { NON_ROOT_UID } from "../../../components/kube/podSecurity";
import { render, Rendered } from "../../support/render";
import { validateObjects } from "../../support/schemas";
import {
  configWithModel,
  envOf,
  INGRESS_PEER,
  manifests,
  MLFLOW_IMAGE,
  MODEL_URI,
  modelContainer,
  NAMESPACE,
  OBJECT_STORE_EGRESS,
  podSpec,
  S3_ENDPOINT,
  servingArgs,
  teamPeer,
} from "./fixtures";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function renderModel(
  model: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
  extra: Parameters<typeof servingArgs>[1] = {},
): Promise<Rendered & { component: ModelServing }> {
  const config = configWithModel(model, overrides);
  let component: ModelServing | undefined;
  const r = await render(() => {
    component = new ModelServing("model", servingArgs(config, extra));
  });
  return { ...r, component: component as ModelServing };
}

describe("runtimes", () => {
  it("serves an mlflow model with `mlflow models serve` on the model's port, reading the bucket through MLFLOW_S3_ENDPOINT_URL", async () => {
    const r = await renderModel({ runtime: "mlflow", port: 9000 });
    const c = modelContainer(r);
    expect(c.image).toBe(MLFLOW_IMAGE);
    expect(c.command).toEqual(["mlflow"]);
    expect(c.args).toEqual([
      "models",
      "serve",
      "-m",
      MODEL_URI,
      "--env-manager",
      "local",
      "-h",
      "0.0.0.0",
      "-p",
      "9000",
    ]);
    expect(c.ports).toEqual([{ name: "http", containerPort: 9000, protocol: "TCP" }]);
    const env = envOf(c);
    expect(env.get("MODEL_URI")?.value).toBe(MODEL_URI);
    expect(env.get("MLFLOW_S3_ENDPOINT_URL")?.value).toBe(S3_ENDPOINT);
    expect(env.get("BUCKET_NAME")?.value).toBe("fraud-models-0a1b2c3d");
    expect(podSpec(r).initContainers).toBeUndefined();
  });

  it("copies an mlserver model into /mnt/models with the fetch-model step first, because MLServer reads only local paths", async () => {
    const r = await renderModel({ runtime: "mlserver" });
    const init = podSpec(r).initContainers;
    expect(init).toHaveLength(1);
    expect(init[0].name).toBe("fetch-model");
    expect(init[0].image).toBe(MLFLOW_IMAGE);
    expect(init[0].command).toEqual(["python", "/opt/mlstack/fetch-model/fetch_model.py"]);
    expect(envOf(init[0]).get("MODEL_URI")?.value).toBe(MODEL_URI);
    expect(envOf(init[0]).get("MODEL_DIR")?.value).toBe("/mnt/models");
    expect(init[0].volumeMounts).toContainEqual({
      name: "fetch-model",
      mountPath: "/opt/mlstack/fetch-model",
      readOnly: true,
    });
    const script = r.inputs(r.one("kubernetes:core/v1:ConfigMap", "model-fetch-model")).data[
      "fetch_model.py"
    ];
    expect(script).toContain("/api/2.0/mlflow/registered-models/alias");
    expect(envOf(init[0]).get("AWS_SECRET_ACCESS_KEY")?.valueFrom).toEqual({
      secretKeyRef: { name: "fraud-models", key: "AWS_SECRET_ACCESS_KEY" },
    });
    expect(envOf(init[0]).get("MLFLOW_S3_ENDPOINT_URL")?.value).toBe(S3_ENDPOINT);
    expect(init[0].volumeMounts).toContainEqual({ name: "model", mountPath: "/mnt/models" });

    const c = modelContainer(r);
    expect(c.image).toBe("docker.io/seldonio/mlserver:1.7.1");
    expect([...c.command, ...c.args]).toEqual(["mlserver", "start", "/mnt/models"]);
    expect(c.volumeMounts).toContainEqual({ name: "model", mountPath: "/mnt/models", readOnly: true });
    const env = envOf(c);
    expect(env.get("MLSERVER_HTTP_PORT")?.value).toBe("8080");
    expect(env.get("MLSERVER_METRICS_PORT")?.value).toBe("8082");
    expect(c.ports).toContainEqual({ name: "metrics", containerPort: 8082, protocol: "TCP" });
  });

  it("tells MLServer which runtime loads the model, from the folder the initContainer fills, under the model's name", async () => {
    const c = modelContainer(await renderModel({ runtime: "mlserver" }));
    const env = envOf(c);
    expect(env.get("MLSERVER_MODEL_IMPLEMENTATION")?.value).toBe("mlserver_mlflow.MLflowRuntime");
    // The fetch step puts the model's files directly into /mnt/models (its MLmodel at /mnt/models/MLmodel).
    expect(env.get("MLSERVER_MODEL_URI")?.value).toBe("/mnt/models");
    expect(env.get("MLSERVER_MODEL_NAME")?.value).toBe("model");
  });

  it("keeps MLServer's metrics and environments folders on the writable /tmp mount, off the read-only root", async () => {
    const c = modelContainer(await renderModel({ runtime: "mlserver" }));
    const env = envOf(c);
    for (const name of ["MLSERVER_METRICS_DIR", "MLSERVER_ENVIRONMENTS_DIR"]) {
      expect(env.get(name)?.value).toMatch(/^\/tmp\/[a-z-]+$/);
    }
    expect(c.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it("points triton at the bucket itself, naming an S3-compatible endpoint inside the repository URL", async () => {
    const r = await renderModel({ runtime: "triton" });
    const c = modelContainer(r);
    expect(c.image).toBe("nvcr.io/nvidia/tritonserver:25.10-py3");
    expect(c.command).toEqual(["tritonserver"]);
    expect(c.args).toContain(
      "--model-repository=s3://rook-ceph-rgw-objectstore.rook-ceph.svc:80/fraud-models-0a1b2c3d/fraud-detector/3",
    );
    expect(c.args).toContain("--http-port=8080");
    expect(c.args).toContain("--metrics-port=8002");
    expect(c.args).toContain("--metrics-config=summary_latencies=true");
    expect(envOf(c).get("AWS_DEFAULT_REGION")?.value).toBe("$(AWS_REGION)");
    expect(podSpec(r).initContainers).toBeUndefined();
  });

  it("passes AWS S3 and GCS URLs to triton unchanged", async () => {
    const r = await renderModel(
      { runtime: "triton" },
      {},
      { modelStoreEndpoint: undefined, modelUri: "gs://fraud-models/fraud-detector/3" },
    );
    expect(modelContainer(r).args).toContain("--model-repository=gs://fraud-models/fraud-detector/3");
  });

  it("runs a custom image with its own command, telling it MODEL_URI and PORT", async () => {
    const r = await renderModel({ runtime: "custom", image: "ghcr.io/acme/scorer:1.4.2", port: 8000 });
    const c = modelContainer(r);
    expect(c.image).toBe("ghcr.io/acme/scorer:1.4.2");
    expect(c.command).toBeUndefined();
    expect(c.args).toBeUndefined();
    expect(envOf(c).get("MODEL_URI")?.value).toBe(MODEL_URI);
    expect(envOf(c).get("PORT")?.value).toBe("8000");
  });

  it("runs a custom image that embeds its model without any model URI or bucket access", async () => {
    const r = await renderModel(
      { runtime: "custom", image: "ghcr.io/acme/scorer:1.4.2", source: undefined },
      {},
      { modelUri: undefined, access: { env: [], volumes: [], volumeMounts: [], egress: [], dependsOn: [] } },
    );
    expect(envOf(modelContainer(r)).has("MODEL_URI")).toBe(false);
  });
});

describe("probes", () => {
  it.each([
    ["mlflow", "/ping", "/health"],
    ["mlserver", "/v2/models/model/ready", "/v2/health/live"],
    ["triton", "/v2/health/ready", "/v2/health/live"],
    ["custom", "/health", "/health"],
  ])("probes %s on %s (ready) and %s (live) on the serving port", async (runtime, ready, live) => {
    const model: Record<string, unknown> = { runtime };
    if (runtime === "custom") model.image = "ghcr.io/acme/scorer:1.4.2";
    const c = modelContainer(await renderModel(model));
    expect(c.readinessProbe.httpGet).toEqual({ path: ready, port: "http", scheme: "HTTP" });
    expect(c.livenessProbe.httpGet).toEqual({ path: live, port: "http", scheme: "HTTP" });
    expect(c.readinessProbe.httpGet.host).toBeUndefined();
  });

  it("gives a model ten minutes to load before liveness can restart it", async () => {
    const c = modelContainer(await renderModel({}));
    expect(c.startupProbe.httpGet.path).toBe("/health");
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBe(600);
  });
});

describe("pod security", () => {
  it("runs restricted with a fixed high UID on kubernetes, in every container", async () => {
    const r = await renderModel({ runtime: "mlserver" });
    const pod = podSpec(r);
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
      runAsUser: NON_ROOT_UID,
      runAsGroup: NON_ROOT_UID,
      fsGroup: NON_ROOT_UID,
    });
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        runAsUser: NON_ROOT_UID,
      });
    }
  });

  it("sets no UID, GID or fsGroup on openshift, where restricted-v2 assigns them", async () => {
    const r = await renderModel({ runtime: "mlserver" }, { target: "openshift" });
    const pod = podSpec(r);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext.runAsUser).toBeUndefined();
      expect(c.securityContext.runAsGroup).toBeUndefined();
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    }
  });

  it("gives the read-only root filesystem a writable /tmp and uses the workload's own service account without its token", async () => {
    const r = await renderModel({});
    const pod = podSpec(r);
    expect(pod.volumes).toContainEqual({ name: "tmp", emptyDir: {} });
    expect(modelContainer(r).volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
    expect(envOf(modelContainer(r)).get("HOME")?.value).toBe("/tmp");
    expect(pod.serviceAccountName).toBe("model");
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.hostNetwork).toBeUndefined();
    expect(pod.volumes.some((v: Inputs) => v.hostPath)).toBe(false);
  });

  it("carries secrets only by reference: no env value under a secret-like name", async () => {
    const r = await renderModel({ runtime: "mlserver" });
    const pod = podSpec(r);
    for (const c of [...pod.initContainers, ...pod.containers]) {
      for (const e of c.env) {
        if (/PASSWORD|SECRET|TOKEN|ACCESS_KEY/.test(e.name)) {
          expect(e.value).toBeUndefined();
          expect(e.valueFrom.secretKeyRef).toBeDefined();
        }
      }
    }
  });

  it("sets cpu and memory requests and limits from config on every container", async () => {
    const r = await renderModel({
      runtime: "mlserver",
      resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "2", memory: "4Gi" } },
    });
    expect(modelContainer(r).resources).toEqual({
      requests: { cpu: "1", memory: "2Gi" },
      limits: { cpu: "2", memory: "4Gi" },
    });
    const init = podSpec(r).initContainers[0];
    expect(init.resources.requests).toEqual({ cpu: "100m", memory: "256Mi" });
    expect(init.resources.limits.memory).toBe("1Gi");
  });
});

describe("GPUs", () => {
  it("reserves GPUs as requests equal to limits, tolerates the GPU taint and selects GPU nodes", async () => {
    const r = await renderModel({
      runtime: "triton",
      gpu: { count: 1, nodeSelector: { "nvidia.com/gpu.present": "true" } },
    });
    const pod = podSpec(r);
    const c = modelContainer(r);
    expect(c.resources.requests["nvidia.com/gpu"]).toBe("1");
    expect(c.resources.limits["nvidia.com/gpu"]).toBe("1");
    expect(pod.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    expect(pod.nodeSelector).toEqual({ "nvidia.com/gpu.present": "true" });
  });

  it("rolls GPU models without a surge pod, which would need a spare GPU", async () => {
    const gpu = await renderModel({ gpu: { count: 1 } });
    expect(gpu.inputs(gpu.one("kubernetes:apps/v1:Deployment")).spec.strategy.rollingUpdate).toEqual({
      maxSurge: 0,
      maxUnavailable: 1,
    });
    const cpu = await renderModel({});
    expect(cpu.inputs(cpu.one("kubernetes:apps/v1:Deployment")).spec.strategy.rollingUpdate).toEqual({
      maxSurge: "25%",
      maxUnavailable: 0,
    });
  });

  it("asks for no GPU, toleration or node selector when gpu.count is 0", async () => {
    const r = await renderModel({});
    expect(Object.keys(modelContainer(r).resources.limits)).toEqual(["cpu", "memory"]);
    expect(podSpec(r).tolerations).toBeUndefined();
    expect(podSpec(r).nodeSelector).toBeUndefined();
  });

  it("leaves the toleration out when gpu.tolerations is false", async () => {
    const r = await renderModel({ gpu: { count: 1, tolerations: false } });
    expect(podSpec(r).tolerations).toBeUndefined();
  });
});

describe("availability", () => {
  it("scales HTTP models with an HPA on CPU between min and max replicas, leaving the replica count to it", async () => {
    const r = await renderModel({ minReplicas: 2, maxReplicas: 5, targetCpuUtilization: 60 });
    const hpa = r.inputs(r.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler"));
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "model" },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } },
        },
      ],
    });
    expect(r.inputs(r.one("kubernetes:apps/v1:Deployment")).spec.replicas).toBeUndefined();
    expect(r.ofType("kubernetes:keda.sh/v1alpha1:ScaledObject")).toHaveLength(0);
  });

  it("keeps one pod up during disruptions when it runs two or more", async () => {
    const r = await renderModel({}, { environment: "prod" });
    const pdb = r.inputs(r.one("kubernetes:policy/v1:PodDisruptionBudget")).spec;
    expect(pdb.minAvailable).toBe(1);
    expect(pdb.maxUnavailable).toBeUndefined();
    expect(pdb.selector.matchLabels).toEqual({
      "app.kubernetes.io/name": "model",
      "app.kubernetes.io/part-of": "mlstack",
    });
  });

  it("lets a single dev replica be drained (maxUnavailable 1), never a budget that allows no disruption", async () => {
    const r = await renderModel({});
    const pdb = r.inputs(r.one("kubernetes:policy/v1:PodDisruptionBudget")).spec;
    expect(pdb.maxUnavailable).toBe(1);
    expect(pdb.minAvailable).toBeUndefined();
  });

  it("spreads HA replicas across zones (best effort) and nodes (enforced)", async () => {
    const r = await renderModel({}, { environment: "staging" });
    const spread = podSpec(r).topologySpreadConstraints;
    expect(spread).toHaveLength(2);
    expect(spread[0]).toMatchObject({
      topologyKey: "topology.kubernetes.io/zone",
      whenUnsatisfiable: "ScheduleAnyway",
      maxSkew: 1,
    });
    expect(spread[1]).toMatchObject({
      topologyKey: "kubernetes.io/hostname",
      whenUnsatisfiable: "DoNotSchedule",
      maxSkew: 1,
    });
    expect(spread[1].labelSelector.matchLabels["app.kubernetes.io/name"]).toBe("model");
  });

  it("does not spread dev replicas", async () => {
    expect(podSpec(await renderModel({})).topologySpreadConstraints).toBeUndefined();
  });
});

describe("network", () => {
  it("exposes the model on a ClusterIP Service with a port named http", async () => {
    const r = await renderModel({ port: 9000 });
    const svc = r.inputs(r.one("kubernetes:core/v1:Service"));
    expect(svc.spec.type).toBe("ClusterIP");
    expect(svc.spec.ports).toEqual([{ name: "http", port: 9000, targetPort: "http", protocol: "TCP" }]);
    expect(svc.spec.selector).toEqual({
      "app.kubernetes.io/name": "model",
      "app.kubernetes.io/part-of": "mlstack",
    });
  });

  it("admits the named callers on the serving port only, and egress only where the grants lead", async () => {
    const r = await renderModel({ port: 9000 });
    const np = r.inputs(r.one("kubernetes:networking.k8s.io/v1:NetworkPolicy")).spec;
    expect(np.podSelector.matchLabels).toEqual({
      "app.kubernetes.io/name": "model",
      "app.kubernetes.io/part-of": "mlstack",
    });
    expect(np.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(np.ingress).toEqual([
      { from: [teamPeer(NAMESPACE), INGRESS_PEER], ports: [{ protocol: "TCP", port: 9000 }] },
    ]);
    expect(np.egress).toEqual([OBJECT_STORE_EGRESS]);
  });

  it("lets the monitoring namespace scrape the metrics port when monitoring is on", async () => {
    const r = await renderModel(
      { runtime: "mlserver" },
      {},
      { monitoring: true, monitoringNamespace: "monitoring" },
    );
    const np = r.inputs(r.one("kubernetes:networking.k8s.io/v1:NetworkPolicy")).spec;
    expect(np.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
      ports: [{ protocol: "TCP", port: 8082 }],
    });
    const svc = r.inputs(r.one("kubernetes:core/v1:Service"));
    expect(svc.spec.ports).toContainEqual({
      name: "metrics",
      port: 8082,
      targetPort: "metrics",
      protocol: "TCP",
    });
  });

  it("opens no scrape port when monitoring is off", async () => {
    const r = await renderModel({ runtime: "mlserver" }, {}, { monitoring: false });
    expect(r.inputs(r.one("kubernetes:networking.k8s.io/v1:NetworkPolicy")).spec.ingress).toHaveLength(1);
  });
});

describe("outputs and shape", () => {
  it("hands back the Service name and port, the in-cluster URL and the Deployment", async () => {
    const config = configWithModel({ port: 9000 });
    let component: ModelServing | undefined;
    const r = await render(() => {
      component = new ModelServing("model", servingArgs(config));
      return { serviceName: component.serviceName, url: component.url };
    });
    expect(r.outputs).toEqual({
      serviceName: "model",
      url: `http://model.${NAMESPACE}.svc.cluster.local:9000`,
    });
    expect(component?.servicePort).toBe(9000);
    expect(component?.workload).toBeDefined();
  });

  it("parents every object to the component, names them after the model and labels them for the platform", async () => {
    const r = await renderModel({ runtime: "mlserver" }, {}, { monitoring: true });
    const component = r.one("mlstack:serving:ModelServing");
    const children = r.descendants(component);
    expect(children.length).toBe(r.resources.length - 2);
    for (const child of children) {
      const meta = r.inputs(child).metadata;
      expect(meta.namespace).toBe(NAMESPACE);
      expect(meta.name).toMatch(/^model/);
      expect(meta.labels).toMatchObject({
        "app.kubernetes.io/name": "model",
        "app.kubernetes.io/component": "model-serving",
        "mlstack.io/team": "fraud",
        "mlstack.io/environment": "dev",
      });
    }
  });

  it.each(["kubernetes", "openshift"])(
    "renders objects valid against the upstream schemas on %s",
    async (target) => {
      for (const runtime of ["mlflow", "mlserver", "triton"]) {
        const r = await renderModel(
          { runtime, gpu: { count: 1 } },
          {
            target,
            environment: "prod",
            teams: [
              { name: "fraud", groups: ["ml-fraud"], quota: { gpu: 4 } },
              { name: "pricing", groups: ["ml-pricing"] },
            ],
          },
          { monitoring: true },
        );
        const result = validateObjects(manifests(r));
        expect(result.errors).toEqual([]);
        expect(result.unchecked).toEqual([]);
      }
    },
  );
});
