/**
 * `ModelServing`: one served model, written against the contracts only (it never learns which
 * cloud or Kafka it runs on). See README.md beside this file for the runtime and engine matrix.
 *
 * engine `deployment`: Deployment + Service + HPA on CPU (HTTP models) or KEDA ScaledObject on
 * consumer lag (streaming models) + PodDisruptionBudget + NetworkPolicy, and when monitoring is on a
 * ServiceMonitor (runtimes that export metrics) and a PrometheusRule.
 * engine `kserve`: a RawDeployment InferenceService (KServe makes the Deployment, Service and HPA)
 * + PodDisruptionBudget + NetworkPolicy, PodMonitor and PrometheusRule.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../context";
import type { WorkloadAccess } from "../identity/contract";
import { kubeLabels, selectorLabels } from "../kube/labels";
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";
import type { ModelConfig } from "./settings";
import { AlertThresholds, DEFAULT_ALERT_THRESHOLDS, modelAlertRules, RequestMetricsKind } from "./alerts";
import {
  inferenceServiceSpec,
  KSERVE_BUILTIN_RUNTIMES,
  KSERVE_RUNTIME_PORT,
  KSERVE_SERVICE_PORT,
  kserveMetricsPort,
  kservePredictorName,
} from "./inferenceService";
import { kafkaTriggerMetadata, ModelKafkaArgs } from "./kafkaScaler";

export type { KafkaLagTrigger, ModelKafkaArgs } from "./kafkaScaler";
export type { AlertThresholds } from "./alerts";
import { modelResources, podPlacement } from "./placement";
import { vllmAutoscalingMetrics, vllmShmVolume } from "./vllm";
import {
  downloadsModelFirst,
  LOCAL_MODEL_DIR,
  RESERVED_PORTS,
  requestMetricsKind,
  runtimeCommand,
  runtimeEnv,
  runtimeMetrics,
  runtimeProbes,
  TMP_DIR,
} from "./runtime";
import {
  STREAM_CONSUMER_DIR,
  STREAM_CONSUMER_FILE,
  STREAM_CONSUMER_PATH,
  streamConsumerSource,
} from "./streamConsumer";

type EnvVar = k8s.types.input.core.v1.EnvVar;
type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type NetworkPolicyIngressRule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;
/** Metadata of a child object: name, the model's namespace and the platform labels. */
type MetaFor = (objectName: string) => {
  name: string;
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
};

/** The name of the serving container (KServe predictors use KServe's `kserve-container`). */
export const MODEL_CONTAINER = "model";
const DOWNLOADER_RESOURCES = {
  requests: { cpu: "100m", memory: "256Mi" },
  limits: { cpu: "1", memory: "1Gi" },
};

export interface ModelServingArgs {
  /** Environment, target flavor (security contexts) and HA (PDB, spread). */
  ctx: PlatformContext;
  /** The validated model from `mlstack:serving.models`. */
  model: ModelConfig;
  /** The team namespace the model runs in. */
  namespace: pulumi.Input<string>;
  /**
   * ServiceAccount of the model's pods, created by the team namespace; on AWS / GCP it already
   * carries the IRSA / Workload Identity annotation. Its token is not mounted (the pods do not call
   * the Kubernetes API; IRSA projects its own token and GKE uses the metadata server).
   */
  serviceAccountName: string;
  /**
   * `s3://…` / `gs://…` URL of `model.source` (`Bucket.url(path)`). Required for the mlflow,
   * mlserver, triton and vllm runtimes; optional for custom images that embed their model.
   */
  modelUri?: pulumi.Input<string>;
  /**
   * `Bucket.endpoint` of S3-compatible stores (ObjectBucketClaim / external); unset on AWS S3 and
   * GCS. MLflow gets it as `MLFLOW_S3_ENDPOINT_URL`; Triton needs it inside the repository URL.
   */
  modelStoreEndpoint?: pulumi.Input<string>;
  /**
   * Image with the MLflow CLI and the S3 / GCS clients (`serving.runtimeImages.mlflow`), run as
   * the initContainer that copies the model into `/mnt/models` for runtimes mlserver and vllm
   * on engine deployment: MLServer and vLLM load only local paths. Required there, unused elsewhere.
   */
  modelDownloaderImage?: string;
  /**
   * What the pods need to reach the model's bucket (and, for streaming models, Kafka): the
   * bucket grant merged with the topic grant (`mergeAccess`). Env, volumes and mounts go to every
   * container; `egress` is the NetworkPolicy's whole egress; `dependsOn` gates the workload.
   */
  access: WorkloadAccess;
  /** Required exactly when `model.kafka` is set (streaming model); see `ModelKafkaArgs`. */
  kafka?: ModelKafkaArgs;
  /** `serving.monitoring`: PrometheusRule, ServiceMonitor / PodMonitor and scrape ingress. */
  monitoring: boolean;
  /**
   * Who may call the model's HTTP port (e.g. the ingress controller's namespace, the team's own
   * namespace). At least one peer for HTTP models; ignored for streaming models, whose pods
   * accept only metric scrapes.
   */
  ingressFrom: NetworkPolicyPeer[];
  /** Namespace of the Prometheus that scrapes the model (`network.monitoringNamespace`). */
  monitoringNamespace: string;
  /** Alert thresholds; defaults `p99LatencySeconds: 1`, `errorRatio: 0.05`. */
  alertThresholds?: Partial<AlertThresholds>;
}

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIALS?|API_?KEY|ACCESS_KEY|PRIVATE_KEY)(_|$)/i;
const FILE_REFERENCE = /_(LOCATION|FILE|PATH|DIR)$/i;

/** An env name that should only ever carry a reference (a file path naming a key file is fine). */
export function looksLikeSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !FILE_REFERENCE.test(name);
}

function fail(arg: string, value: unknown, allowed: string): never {
  throw new Error(`ModelServing ${arg}: ${JSON.stringify(value)} ${allowed}`);
}

/** Refuses arguments that config validation cannot catch. Throws before anything is registered. */
export function validateModelServingArgs(args: ModelServingArgs): void {
  const { model } = args;
  const m = `model "${model.name}"`;
  if (model.kafka && !args.kafka) {
    fail(
      "kafka",
      undefined,
      `is required: ${m} streams from Kafka (bootstrap servers, topics, group and KEDA scaler authentication)`,
    );
  }
  if (!model.kafka && args.kafka) {
    fail(
      "kafka",
      "set",
      `is only for streaming models; ${m} has no kafka config (mlstack:serving.models[].kafka)`,
    );
  }
  if (model.engine === "kserve" && model.kafka) {
    fail(
      "model.engine",
      model.engine,
      `cannot serve ${m}: KServe serves HTTP; streaming models need engine deployment`,
    );
  }
  if (model.runtime === "vllm" && (model.engine === "kserve" || model.kafka || model.gpu.count < 1)) {
    fail(
      "model.runtime",
      model.runtime,
      `needs engine deployment, no kafka and gpu.count >= 1 for ${m} (vLLM serves HTTP on NVIDIA GPUs)`,
    );
  }
  if (model.kafka && (model.runtime === "mlserver" || model.runtime === "triton")) {
    fail(
      "model.runtime",
      model.runtime,
      `cannot stream ${m} from Kafka: ${model.runtime === "mlserver" ? "MLServer's Kafka server supports neither TLS nor SASL" : "Triton has no Kafka consumer"}; use runtime mlflow or a custom image`,
    );
  }
  if (model.runtime !== "custom" && args.modelUri === undefined) {
    fail(
      "modelUri",
      undefined,
      `is required for runtime ${model.runtime} (the s3:// or gs:// URL of ${m}'s source)`,
    );
  }
  if (typeof args.modelUri === "string" && !/^(s3|gs):\/\/[^/]+/.test(args.modelUri)) {
    fail("modelUri", args.modelUri, "is not an s3://bucket/path or gs://bucket/path URL");
  }
  if (downloadsModelFirst(model.runtime) && model.engine === "deployment" && !args.modelDownloaderImage) {
    fail(
      "modelDownloaderImage",
      undefined,
      `is required for ${m}: ${model.runtime === "vllm" ? "vLLM" : "MLServer"} reads only local paths, so an initContainer with the MLflow CLI copies the model first`,
    );
  }
  const reserved = RESERVED_PORTS[model.runtime][model.port];
  if (reserved) fail("model.port", model.port, `is ${reserved}; choose another port for ${m}`);
  if (
    model.engine === "kserve" &&
    KSERVE_BUILTIN_RUNTIMES.has(model.runtime) &&
    model.port !== KSERVE_RUNTIME_PORT
  ) {
    fail(
      "model.port",
      model.port,
      `must be ${KSERVE_RUNTIME_PORT} for ${m}: KServe's ${model.runtime} runtime listens there`,
    );
  }
  if (!model.kafka) {
    if (args.ingressFrom.length === 0) {
      fail(
        "ingressFrom",
        [],
        `leaves ${m} unreachable; name at least one peer (ingress namespace, the team namespace)`,
      );
    }
    args.ingressFrom.forEach((peer, i) => {
      const p = peer as Record<string, unknown>;
      const emptyObject = (v: unknown) => typeof v === "object" && v !== null && Object.keys(v).length === 0;
      if (
        Object.keys(p).length === 0 ||
        (emptyObject(p.namespaceSelector) && (p.podSelector === undefined || emptyObject(p.podSelector)))
      ) {
        fail(`ingressFrom[${i}]`, peer, "admits every pod in the cluster; select namespaces or pods");
      }
    });
  }
  args.access.env.forEach((e) => {
    // A literal absolute path names a mounted file (GOOGLE_APPLICATION_CREDENTIALS=/var/run/…), not a secret.
    const path = typeof e.value === "string" && e.value.startsWith("/");
    if (typeof e.name === "string" && e.value !== undefined && !path && looksLikeSecretName(e.name)) {
      fail(
        `access.env[${e.name}]`,
        "<literal value>",
        "carries a credential as a literal; deliver it through valueFrom.secretKeyRef",
      );
    }
  });
  const t = { ...DEFAULT_ALERT_THRESHOLDS, ...args.alertThresholds };
  if (!(t.p99LatencySeconds > 0))
    fail("alertThresholds.p99LatencySeconds", t.p99LatencySeconds, "must be a positive number of seconds");
  if (!(t.errorRatio > 0 && t.errorRatio < 1))
    fail("alertThresholds.errorRatio", t.errorRatio, "must be between 0 and 1 (exclusive)");
  if (args.kafka) {
    const k = args.kafka;
    if (k.lagTrigger && k.lagTrigger.connection.tls !== "enable")
      fail(
        "kafka.lagTrigger.connection.tls",
        k.lagTrigger.connection.tls,
        'is refused: mlstack\'s Kafka listeners are TLS-only ("enable")',
      );
    if (!Number.isInteger(k.inputPartitions) || k.inputPartitions < 1) {
      fail(
        "kafka.inputPartitions",
        k.inputPartitions,
        "must be the input topic's partition count (an integer ≥ 1)",
      );
    }
    if (!/^[A-Za-z0-9._-]+$/.test(k.consumerGroup))
      fail("kafka.consumerGroup", k.consumerGroup, "is not a Kafka consumer group id");
    (k.lagTrigger?.authentication?.env ?? []).forEach((ref, i) => {
      if (ref.containerName !== MODEL_CONTAINER || !args.access.env.some((e) => e.name === ref.name)) {
        fail(
          `kafka.lagTrigger.authentication.env[${i}]`,
          ref,
          `does not name an env var of ${m}'s container "${MODEL_CONTAINER}" (set by access.env)`,
        );
      }
    });
  }
}

export class ModelServing extends pulumi.ComponentResource {
  /** The ClusterIP Service in front of the model (KServe's `<name>-predictor` on engine kserve). */
  public readonly serviceName: pulumi.Output<string>;
  /** Port of that Service (the model's port; 80 for KServe, which forwards to the runtime's 8080). */
  public readonly servicePort: number;
  /** `http://<service>.<namespace>.svc.cluster.local[:port]`. */
  public readonly url: pulumi.Output<string>;
  /** The Deployment (engine deployment) or the InferenceService (engine kserve). */
  public readonly workload: k8s.apps.v1.Deployment | k8s.apiextensions.CustomResource;

  constructor(name: string, args: ModelServingArgs, opts?: pulumi.ComponentResourceOptions) {
    validateModelServingArgs(args);
    super("mlstack:serving:ModelServing", name, {}, opts);

    const { ctx, model } = args;
    const namespace = args.namespace;
    const labels = kubeLabels({
      name: model.name,
      component: "model-serving",
      environment: ctx.environment,
      team: model.team,
    });
    const selector = selectorLabels({ name: model.name });
    const meta: MetaFor = (objectName) => ({ name: objectName, namespace, labels });
    const thresholds = { ...DEFAULT_ALERT_THRESHOLDS, ...args.alertThresholds };
    const streaming = model.kafka !== undefined;
    const kserve = model.engine === "kserve";

    let servingPort: number;
    let metricsPort: number | undefined;
    let requestMetrics: RequestMetricsKind | undefined;
    let deploymentName: string;

    if (kserve) {
      servingPort = KSERVE_BUILTIN_RUNTIMES.has(model.runtime) ? KSERVE_RUNTIME_PORT : model.port;
      metricsPort = kserveMetricsPort(model);
      requestMetrics = model.runtime === "triton" ? "triton" : metricsPort ? "mlserver" : undefined;
      deploymentName = kservePredictorName(model);
      this.workload = new k8s.apiextensions.CustomResource(
        `${name}-inferenceservice`,
        {
          apiVersion: "serving.kserve.io/v1beta1",
          kind: "InferenceService",
          metadata: {
            ...meta(model.name),
            annotations: {
              // Plain Deployment + Service + HPA: no Knative, no scale to zero.
              "serving.kserve.io/deploymentMode": "RawDeployment",
              "serving.kserve.io/autoscalerClass": "hpa",
            },
          },
          spec: inferenceServiceSpec({
            ctx,
            model,
            serviceAccountName: args.serviceAccountName,
            modelUri: args.modelUri,
            access: args.access,
            podLabels: labels,
            selector,
          }),
        },
        { parent: this, dependsOn: args.access.dependsOn },
      );
      this.serviceName = pulumi.output(kservePredictorName(model));
      this.servicePort = KSERVE_SERVICE_PORT;
    } else {
      servingPort = model.port;
      const metrics = runtimeMetrics(model.runtime, streaming);
      metricsPort = metrics ? (metrics.port === "serving" ? model.port : metrics.port) : undefined;
      requestMetrics = metrics ? requestMetricsKind(model.runtime, streaming) : undefined;
      deploymentName = model.name;
      const deployment = this.deployment(name, args, meta, selector, metricsPort);
      this.workload = deployment;

      const servicePorts = [{ name: "http", port: model.port, targetPort: "http", protocol: "TCP" }];
      if (metricsPort !== undefined && metricsPort !== model.port) {
        servicePorts.push({ name: "metrics", port: metricsPort, targetPort: "metrics", protocol: "TCP" });
      }
      const service = new k8s.core.v1.Service(
        `${name}-service`,
        { metadata: meta(model.name), spec: { type: "ClusterIP", selector, ports: servicePorts } },
        { parent: this },
      );
      this.serviceName = service.metadata.name;
      this.servicePort = model.port;

      // Lag-based scaling where KEDA can read the lag; otherwise (no scaler auth) CPU, like HTTP models.
      if (args.kafka?.lagTrigger && model.kafka) {
        this.lagAutoscaler(
          name,
          args,
          { ...args.kafka, lagTrigger: args.kafka.lagTrigger },
          meta,
          deployment,
        );
      } else {
        new k8s.autoscaling.v2.HorizontalPodAutoscaler(
          `${name}-hpa`,
          {
            metadata: meta(model.name),
            spec: {
              scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
              minReplicas: model.minReplicas,
              maxReplicas: model.maxReplicas,
              metrics:
                model.runtime === "vllm"
                  ? vllmAutoscalingMetrics(model)
                  : [
                      {
                        type: "Resource",
                        resource: {
                          name: "cpu",
                          target: { type: "Utilization", averageUtilization: model.targetCpuUtilization },
                        },
                      },
                    ],
            },
          },
          { parent: this },
        );
      }

      if (args.monitoring && metricsPort !== undefined) {
        new k8s.apiextensions.CustomResource(
          `${name}-servicemonitor`,
          {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "ServiceMonitor",
            metadata: meta(model.name),
            spec: {
              selector: { matchLabels: selector },
              endpoints: [
                {
                  port: metricsPort === model.port ? "http" : "metrics",
                  path: "/metrics",
                  interval: "30s",
                  scheme: "http",
                },
              ],
            },
          },
          { parent: this },
        );
      }
    }

    // Never a budget that blocks node drains: one pod may always go, and with two or more
    // replicas one must stay.
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: meta(model.name),
        spec: {
          selector: { matchLabels: selector },
          ...(model.minReplicas >= 2 ? { minAvailable: 1 } : { maxUnavailable: 1 }),
        },
      },
      { parent: this },
    );

    this.networkPolicy(name, args, meta, selector, servingPort, metricsPort);

    if (args.monitoring) {
      if (kserve && metricsPort !== undefined) {
        new k8s.apiextensions.CustomResource(
          `${name}-podmonitor`,
          {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PodMonitor",
            metadata: meta(model.name),
            spec: {
              selector: { matchLabels: selector },
              podMetricsEndpoints: [{ port: "metrics", path: "/metrics", interval: "30s", scheme: "http" }],
            },
          },
          { parent: this },
        );
      }
      const rules = modelAlertRules({
        model,
        namespace,
        deploymentName,
        requestMetrics: requestMetrics && {
          kind: requestMetrics,
          selector: kserve ? "pod" : "service",
          name: kserve ? kservePredictorName(model) : model.name,
        },
        // From the consumer's own lag metric: alerts on every target, with or without a KEDA lag trigger.
        lag:
          args.kafka && model.kafka
            ? {
                saturationLag:
                  model.kafka.lagThreshold * Math.min(args.kafka.inputPartitions, model.maxReplicas),
              }
            : undefined,
        thresholds,
      });
      new k8s.apiextensions.CustomResource(
        `${name}-rules`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PrometheusRule",
          metadata: meta(model.name),
          spec: { groups: [{ name: `mlstack-model-${model.name}`, rules }] },
        },
        { parent: this },
      );
    }

    const portSuffix = this.servicePort === 80 ? "" : `:${this.servicePort}`;
    this.url = pulumi.interpolate`http://${this.serviceName}.${namespace}.svc.cluster.local${portSuffix}`;
    this.registerOutputs({
      serviceName: this.serviceName,
      servicePort: this.servicePort,
      url: this.url,
      workload: this.workload,
    });
  }

  /** The Deployment running the runtime (engine deployment). */
  private deployment(
    name: string,
    args: ModelServingArgs,
    meta: MetaFor,
    selector: Record<string, string>,
    metricsPort: number | undefined,
  ): k8s.apps.v1.Deployment {
    const { ctx, model } = args;
    const labels = meta(model.name).labels;
    const streaming = model.kafka !== undefined;
    const streamConsumer = streaming && model.runtime === "mlflow";
    const accessEnvNames = new Set(
      args.access.env.map((e) => e.name).filter((n): n is string => typeof n === "string"),
    );
    const volumes: k8s.types.input.core.v1.Volume[] = [{ name: "tmp", emptyDir: {} }, ...args.access.volumes];
    const mounts: k8s.types.input.core.v1.VolumeMount[] = [
      { name: "tmp", mountPath: TMP_DIR },
      ...args.access.volumeMounts,
    ];
    const dependsOn: pulumi.Resource[] = [...args.access.dependsOn];

    if (streamConsumer) {
      const configMap = new k8s.core.v1.ConfigMap(
        `${name}-stream-consumer`,
        {
          metadata: meta(`${model.name}-stream-consumer`),
          data: { [STREAM_CONSUMER_FILE]: streamConsumerSource() },
        },
        { parent: this },
      );
      volumes.push({
        name: "stream-consumer",
        configMap: { name: configMap.metadata.name, defaultMode: 0o444 },
      });
      mounts.push({ name: "stream-consumer", mountPath: STREAM_CONSUMER_DIR, readOnly: true });
      dependsOn.push(configMap);
    }

    const initContainers: k8s.types.input.core.v1.Container[] = [];
    if (model.runtime === "vllm") {
      const shm = vllmShmVolume(model);
      volumes.push(shm.volume);
      mounts.push(shm.mount);
    }
    if (downloadsModelFirst(model.runtime)) {
      volumes.push({ name: "model", emptyDir: {} });
      mounts.push({ name: "model", mountPath: LOCAL_MODEL_DIR, readOnly: true });
      initContainers.push({
        name: "fetch-model",
        image: args.modelDownloaderImage,
        // Downloads the model folder to /mnt/models/<last path segment> (downloadedModelPath), the
        // folder MLServer's MLSERVER_MODEL_URI names.
        command: ["mlflow", "artifacts", "download"],
        args: pulumi
          .output(args.modelUri as pulumi.Input<string>)
          .apply((uri) => ["-u", uri, "-d", LOCAL_MODEL_DIR]),
        env: [
          ...args.access.env,
          { name: "HOME", value: TMP_DIR },
          ...(args.modelStoreEndpoint !== undefined
            ? [{ name: "MLFLOW_S3_ENDPOINT_URL", value: args.modelStoreEndpoint }]
            : []),
        ],
        resources: DOWNLOADER_RESOURCES,
        securityContext: containerSecurityContext(ctx.flavor),
        volumeMounts: [
          { name: "tmp", mountPath: TMP_DIR },
          { name: "model", mountPath: LOCAL_MODEL_DIR },
          ...args.access.volumeMounts,
        ],
      });
    }

    const env: EnvVar[] = [
      ...args.access.env,
      ...runtimeEnv({
        model,
        modelUri: args.modelUri,
        modelStoreEndpoint: args.modelStoreEndpoint,
        accessEnvNames,
        streamConsumerPath: streamConsumer ? STREAM_CONSUMER_PATH : undefined,
      }),
    ];
    if (args.kafka) {
      env.push(
        { name: "KAFKA_INPUT_TOPIC", value: args.kafka.inputTopic },
        { name: "KAFKA_OUTPUT_TOPIC", value: args.kafka.outputTopic },
        { name: "KAFKA_CONSUMER_GROUP", value: args.kafka.consumerGroup },
      );
    }
    const ports = [{ name: "http", containerPort: model.port, protocol: "TCP" }];
    if (metricsPort !== undefined && metricsPort !== model.port)
      ports.push({ name: "metrics", containerPort: metricsPort, protocol: "TCP" });

    return new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: meta(model.name),
        spec: {
          // No `replicas`: the HPA / ScaledObject owns the count, and a fixed value here would
          // reset it on every update.
          selector: { matchLabels: selector },
          revisionHistoryLimit: 5,
          // GPU models replace a pod before starting its successor (a surge pod would need a spare
          // GPU); the others surge first, so capacity never drops during a rollout.
          strategy: {
            type: "RollingUpdate",
            rollingUpdate:
              model.gpu.count > 0
                ? { maxSurge: 0, maxUnavailable: 1 }
                : { maxSurge: "25%", maxUnavailable: 0 },
          },
          template: {
            metadata: { labels, annotations: { "kubectl.kubernetes.io/default-container": MODEL_CONTAINER } },
            spec: {
              serviceAccountName: args.serviceAccountName,
              automountServiceAccountToken: false,
              // Service links would inject KAFKA_PORT-style variables for every Service in the namespace.
              enableServiceLinks: false,
              securityContext: podSecurityContext(ctx.flavor),
              // A streaming consumer finishes its batch and commits before it exits.
              terminationGracePeriodSeconds: streaming ? 60 : 30,
              ...podPlacement(ctx, model, selector),
              ...(initContainers.length ? { initContainers } : {}),
              containers: [
                {
                  name: MODEL_CONTAINER,
                  image: model.image,
                  ...runtimeCommand({
                    model,
                    modelUri: args.modelUri,
                    modelStoreEndpoint: args.modelStoreEndpoint,
                    accessEnvNames,
                    streamConsumerPath: streamConsumer ? STREAM_CONSUMER_PATH : undefined,
                  }),
                  ports,
                  env,
                  resources: modelResources(model),
                  securityContext: containerSecurityContext(ctx.flavor),
                  volumeMounts: mounts,
                  ...runtimeProbes(model.runtime, model.name),
                },
              ],
              volumes,
            },
          },
        },
      },
      { parent: this, dependsOn },
    );
  }

  /** KEDA ScaledObject on consumer lag (and its TriggerAuthentication) for a streaming model. */
  private lagAutoscaler(
    name: string,
    args: ModelServingArgs,
    kafka: ModelKafkaArgs & { lagTrigger: NonNullable<ModelKafkaArgs["lagTrigger"]> },
    meta: MetaFor,
    deployment: k8s.apps.v1.Deployment,
  ): void {
    const model = args.model;
    const lagThreshold = model.kafka?.lagThreshold ?? 0;
    const authSpec = kafka.lagTrigger.authentication;
    const auth =
      authSpec &&
      new k8s.apiextensions.CustomResource(
        `${name}-kafka-trigger-auth`,
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "TriggerAuthentication",
          metadata: meta(`${model.name}-kafka-lag`),
          spec: authSpec,
        },
        { parent: this },
      );
    new k8s.apiextensions.CustomResource(
      `${name}-scaledobject`,
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: meta(model.name),
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
          minReplicaCount: model.minReplicas,
          maxReplicaCount: model.maxReplicas,
          pollingInterval: 15,
          triggers: [
            {
              type: "kafka",
              metadata: kafkaTriggerMetadata(kafka, lagThreshold),
              ...(auth ? { authenticationRef: { name: auth.metadata.name } } : {}),
            },
          ],
        },
      },
      { parent: this, dependsOn: auth ? [auth] : [] },
    );
  }

  /** Ingress: callers on the serving port (HTTP models), Prometheus on the metrics port; egress: the grants'. */
  private networkPolicy(
    name: string,
    args: ModelServingArgs,
    meta: MetaFor,
    selector: Record<string, string>,
    servingPort: number,
    metricsPort: number | undefined,
  ): void {
    const ingress: NetworkPolicyIngressRule[] = [];
    if (!args.model.kafka)
      ingress.push({ from: args.ingressFrom, ports: [{ protocol: "TCP", port: servingPort }] });
    if (args.monitoring && metricsPort !== undefined) {
      ingress.push({
        from: [
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.monitoringNamespace } } },
        ],
        ports: [{ protocol: "TCP", port: metricsPort }],
      });
    }
    new k8s.networking.v1.NetworkPolicy(
      `${name}-netpol`,
      {
        metadata: meta(args.model.name),
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress", "Egress"],
          ingress,
          egress: args.access.egress,
        },
      },
      { parent: this },
    );
  }
}
