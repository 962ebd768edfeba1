/**
 * Engine `deployment`: the Deployment running the runtime, its ClusterIP Service, its autoscaler
 * (HPA on CPU, vLLM's queue, or a KEDA ScaledObject on consumer lag for streaming models) and, when
 * monitoring is on and the runtime exports metrics, its ServiceMonitor.
 */
import { monitorMeta } from "../kube/monitorLabels";
import { ScaledObject, TriggerAuthentication } from "../crds/keda.sh/v1alpha1";
import { ServiceMonitor } from "../crds/monitoring.coreos.com/v1";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";
import { lagScalerTrigger, ModelKafkaArgs } from "./kafkaScaler";
import type { FetchStep } from "./modelFetch";
import { MODEL_CONTAINER, ModelServingArgs } from "./modelServingArgs";
import { modelResources, podPlacement } from "./placement";
import {
  requestMetricsKind,
  runtimeCommand,
  runtimeEnv,
  runtimeMetrics,
  runtimeProbes,
  RuntimeContainerArgs,
  TMP_DIR,
} from "./runtime";
import {
  STREAM_CONSUMER_DIR,
  STREAM_CONSUMER_FILE,
  STREAM_CONSUMER_PATH,
  streamConsumerSource,
} from "./streamConsumer";
import { MetaFor, modelSourceAnnotations, ServedWorkload } from "./servedWorkload";
import { vllmAutoscalingMetrics, vllmShmVolume } from "./vllm";

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** Everything engine `deployment` creates for one model; children of `parent`. */
export function deploymentWorkload(
  parent: pulumi.Resource,
  name: string,
  args: ModelServingArgs,
  meta: MetaFor,
  selector: Record<string, string>,
  fetch: FetchStep | undefined,
  /**
   * What the model's custom resources wait for: the component's own `dependsOn` (the operators
   * whose charts bring the CRDs). Pulumi does not pass a component's dependsOn on to its children,
   * so without it KEDA's TriggerAuthentication could be sent before the KEDA chart exists.
   */
  crdDependsOn?: pulumi.ResourceOptions["dependsOn"],
): ServedWorkload {
  const { model } = args;
  const streaming = model.kafka !== undefined;
  const metrics = runtimeMetrics(model.runtime, streaming);
  const metricsPort = metrics ? (metrics.port === "serving" ? model.port : metrics.port) : undefined;
  const deployment = modelDeployment(parent, name, args, meta, selector, metricsPort, fetch);

  const servicePorts = [{ name: "http", port: model.port, targetPort: "http", protocol: "TCP" }];
  if (metricsPort !== undefined && metricsPort !== model.port) {
    servicePorts.push({ name: "metrics", port: metricsPort, targetPort: "metrics", protocol: "TCP" });
  }
  const service = new k8s.core.v1.Service(
    `${name}-service`,
    { metadata: meta(model.name), spec: { type: "ClusterIP", selector, ports: servicePorts } },
    { parent },
  );

  // Lag-based scaling where KEDA can read the lag; otherwise (no scaler auth) CPU, like HTTP models.
  if (args.kafka?.lagTrigger && model.kafka) {
    lagAutoscaler(
      parent,
      name,
      args,
      { ...args.kafka, lagTrigger: args.kafka.lagTrigger },
      meta,
      deployment,
      crdDependsOn,
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
      { parent },
    );
  }

  if (args.monitoring && metricsPort !== undefined) {
    new ServiceMonitor(
      `${name}-servicemonitor`,
      {
        metadata: monitorMeta(meta(model.name), args.monitorLabels),
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
      { parent },
    );
  }

  return {
    workload: deployment,
    serviceName: service.metadata.name,
    servicePort: model.port,
    servingPort: model.port,
    metricsPort,
    requestMetrics: metrics ? requestMetricsKind(model.runtime, streaming) : undefined,
    deploymentName: model.name,
  };
}

/** The Deployment running the runtime. */
function modelDeployment(
  parent: pulumi.Resource,
  name: string,
  args: ModelServingArgs,
  meta: MetaFor,
  selector: Record<string, string>,
  metricsPort: number | undefined,
  fetch: FetchStep | undefined,
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
  const dependsOn: pulumi.Resource[] = [...args.access.dependsOn, ...(args.registry?.access.dependsOn ?? [])];

  if (streamConsumer) {
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-stream-consumer`,
      {
        metadata: meta(`${model.name}-stream-consumer`),
        data: { [STREAM_CONSUMER_FILE]: streamConsumerSource() },
      },
      { parent },
    );
    volumes.push({
      name: "stream-consumer",
      configMap: { name: configMap.metadata.name, defaultMode: 0o444 },
    });
    mounts.push({ name: "stream-consumer", mountPath: STREAM_CONSUMER_DIR, readOnly: true });
    dependsOn.push(configMap);
  }

  if (model.runtime === "vllm") {
    const shm = vllmShmVolume(model);
    volumes.push(shm.volume);
    mounts.push(shm.mount);
  }
  if (fetch) {
    volumes.push(...fetch.volumes);
    mounts.push(fetch.modelMount);
  }

  const runtimeArgs: RuntimeContainerArgs = {
    model,
    modelUri: args.modelUri,
    modelStoreEndpoint: args.modelStoreEndpoint,
    accessEnvNames,
    streamConsumerPath: streamConsumer ? STREAM_CONSUMER_PATH : undefined,
    localModel: fetch !== undefined,
  };
  const env: EnvVar[] = [...args.access.env, ...runtimeEnv(runtimeArgs)];
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
      metadata: { ...meta(model.name), annotations: modelSourceAnnotations(model) },
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
            model.gpu.count > 0 ? { maxSurge: 0, maxUnavailable: 1 } : { maxSurge: "25%", maxUnavailable: 0 },
        },
        template: {
          metadata: {
            labels,
            annotations: {
              "kubectl.kubernetes.io/default-container": MODEL_CONTAINER,
              ...modelSourceAnnotations(model),
            },
          },
          spec: {
            serviceAccountName: args.serviceAccountName,
            automountServiceAccountToken: false,
            // Service links would inject KAFKA_PORT-style variables for every Service in the namespace.
            enableServiceLinks: false,
            securityContext: podSecurityContext(ctx.flavor),
            // A streaming consumer finishes its batch and commits before it exits.
            terminationGracePeriodSeconds: streaming ? 60 : 30,
            ...podPlacement(ctx, model, selector),
            ...(fetch ? { initContainers: [fetch.initContainer] } : {}),
            containers: [
              {
                name: MODEL_CONTAINER,
                image: model.image,
                ...runtimeCommand(runtimeArgs),
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
    { parent, dependsOn },
  );
}

/** KEDA ScaledObject on consumer lag (and its TriggerAuthentication) for a streaming model. */
function lagAutoscaler(
  parent: pulumi.Resource,
  name: string,
  args: ModelServingArgs,
  kafka: ModelKafkaArgs & { lagTrigger: NonNullable<ModelKafkaArgs["lagTrigger"]> },
  meta: MetaFor,
  deployment: k8s.apps.v1.Deployment,
  crdDependsOn: pulumi.ResourceOptions["dependsOn"],
): void {
  const model = args.model;
  const lagThreshold = model.kafka?.lagThreshold ?? 0;
  const authSpec = kafka.lagTrigger.authentication;
  const auth =
    authSpec &&
    new TriggerAuthentication(
      `${name}-kafka-trigger-auth`,
      {
        metadata: meta(`${model.name}-kafka-lag`),
        spec: authSpec,
      },
      { parent, dependsOn: crdDependsOn },
    );
  new ScaledObject(
    `${name}-scaledobject`,
    {
      metadata: meta(model.name),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
        minReplicaCount: model.minReplicas,
        maxReplicaCount: model.maxReplicas,
        pollingInterval: 15,
        triggers: [
          {
            ...lagScalerTrigger(kafka, lagThreshold),
            ...(auth ? { authenticationRef: { name: auth.metadata.name } } : {}),
          },
        ],
      },
    },
    { parent, dependsOn: auth ? [auth] : crdDependsOn },
  );
}
