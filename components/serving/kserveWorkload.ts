/**
 * Engine `kserve`: the namespaced ServingRuntime the predictor uses (when the model needs one) and
 * the RawDeployment InferenceService, which Pulumi waits on until KServe reports it Ready.
 *
 * Namespaced ServingRuntimes (`<model>-<runtime>`, one per model so two models never fight over
 * one object):
 * - vLLM, always. KServe 0.16's Hugging Face server (kserve-huggingfaceserver) can run a vLLM
 *   backend, but it ships its own vLLM build inside KServe's image and serves OpenAI routes under
 *   `/openai/v1` with its own arguments; mlstack's vLLM runtime is the pinned vllm/vllm-openai image
 *   started exactly as on engine deployment (vllm.ts: same arguments, caches, `/dev/shm`,
 *   tensor parallelism, `/health` readiness), so one model behaves the same on both engines.
 * - mlflow (MLServer) and Triton when `namespacedRuntimes` is set: OpenShift AI installs no
 *   cluster-wide ServingRuntimes (runtimes are per project), so the predictor would find none.
 * Every runtime container carries the restricted security context; the predictor's pod-level
 * context and placement come from the InferenceService.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { containerSecurityContext } from "../kube/podSecurity";
import { InferenceService } from "../crds/serving.kserve.io/v1beta1";
import { ServingRuntime, type ServingRuntimeSpec } from "../crds/serving.kserve.io/v1alpha1";
import {
  inferenceServiceSpec,
  KSERVE_BUILTIN_RUNTIMES,
  KSERVE_RUNTIME_PORT,
  KSERVE_SERVICE_PORT,
  kserveMetricsPort,
  kservePredictorName,
  tritonArgs,
} from "./inferenceService";
import type { FetchStep } from "./modelFetch";
import type { ModelServingArgs } from "./modelServingArgs";
import { modelResources } from "./placement";
import { LOCAL_MODEL_DIR, mlserverEnv, runtimeProbes, TMP_DIR } from "./runtime";
import { MetaFor, modelSourceAnnotations, ServedWorkload } from "./servedWorkload";
import { vllmArgs, vllmAutoscalingMetrics, vllmEnv } from "./vllm";

/** The name of the ServingRuntime mlstack creates for a model. */
export function namespacedRuntimeName(model: { name: string; runtime: string }): string {
  return `${model.name}-${model.runtime === "mlflow" ? "mlserver" : model.runtime}`;
}

/** Whether a model gets its own ServingRuntime in its namespace. */
export function needsNamespacedRuntime(
  args: Pick<ModelServingArgs, "model" | "namespacedRuntimes">,
): boolean {
  const runtime = args.model.runtime;
  return (
    runtime === "vllm" || (args.namespacedRuntimes !== undefined && KSERVE_BUILTIN_RUNTIMES.has(runtime))
  );
}

/**
 * How long Pulumi waits for the InferenceService to be Ready: the fetch step copies the model
 * first, and vLLM loads tens of GB of weights onto the GPUs (its startup probe allows 30 minutes).
 */
export function inferenceServiceTimeoutSeconds(runtime: string): number {
  return runtime === "vllm" ? 45 * 60 : 20 * 60;
}

export function kserveWorkload(
  parent: pulumi.Resource,
  name: string,
  args: ModelServingArgs,
  meta: MetaFor,
  selector: Record<string, string>,
  fetch: FetchStep | undefined,
): ServedWorkload {
  const { ctx, model } = args;
  const labels = meta(model.name).labels;
  const runtime = needsNamespacedRuntime(args) ? servingRuntime(parent, name, args, meta) : undefined;
  const sourceAnnotations = modelSourceAnnotations(model);
  const inferenceService = new InferenceService(
    `${name}-inferenceservice`,
    {
      metadata: {
        ...meta(model.name),
        annotations: {
          // Plain Deployment + Service + HPA: no Knative, no scale to zero.
          "serving.kserve.io/deploymentMode": "RawDeployment",
          // vLLM scales on its request queue through mlstack's HPA: KServe makes none ("external").
          "serving.kserve.io/autoscalerClass": model.runtime === "vllm" ? "external" : "hpa",
          // `pulumi up` fails when nothing serves: Pulumi waits for KServe's Ready condition
          // (Pulumi Kubernetes provider ≥ 4.18 await annotations; StrimziKafka.ts uses the same).
          "pulumi.com/waitFor": "condition=Ready",
          "pulumi.com/timeoutSeconds": String(inferenceServiceTimeoutSeconds(model.runtime)),
          ...sourceAnnotations,
        },
      },
      spec: inferenceServiceSpec({
        ctx,
        model,
        serviceAccountName: args.serviceAccountName,
        access: args.access,
        podLabels: labels,
        podAnnotations: sourceAnnotations,
        selector,
        fetch,
        runtimeName: runtime?.metadata.name,
      }),
    },
    {
      parent,
      dependsOn: [
        ...args.access.dependsOn,
        ...(args.registry?.access.dependsOn ?? []),
        ...(runtime ? [runtime] : []),
      ],
    },
  );

  const predictor = kservePredictorName(model);
  if (model.runtime === "vllm") {
    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      {
        metadata: meta(predictor),
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: predictor },
          minReplicas: model.minReplicas,
          maxReplicas: model.maxReplicas,
          metrics: vllmAutoscalingMetrics(model),
        },
      },
      { parent, dependsOn: [inferenceService] },
    );
  }

  const metricsPort = kserveMetricsPort(model);
  return {
    workload: inferenceService,
    serviceName: pulumi.output(predictor),
    servicePort: KSERVE_SERVICE_PORT,
    servingPort: KSERVE_BUILTIN_RUNTIMES.has(model.runtime) ? KSERVE_RUNTIME_PORT : model.port,
    metricsPort,
    requestMetrics:
      model.runtime === "triton" || model.runtime === "vllm"
        ? model.runtime
        : metricsPort
          ? "mlserver"
          : undefined,
    deploymentName: predictor,
  };
}

/** The model's own ServingRuntime (see the file comment for which models get one). */
function servingRuntime(
  parent: pulumi.Resource,
  name: string,
  args: ModelServingArgs,
  meta: MetaFor,
): k8s.apiextensions.CustomResource {
  const { ctx, model } = args;
  // The predictor's own container (InferenceService) overrides these fields; the runtime carries
  // them too so the ServingRuntime is a complete, restricted pod container on its own.
  const hardened = {
    securityContext: containerSecurityContext(ctx.flavor),
    resources: modelResources(model),
    ...runtimeProbes(model.runtime === "mlflow" ? "mlserver" : model.runtime, model.name, "http"),
  };
  let spec: ServingRuntimeSpec;
  switch (model.runtime) {
    case "vllm":
      spec = {
        supportedModelFormats: [{ name: "vllm", autoSelect: false }],
        protocolVersions: ["v1"],
        containers: [
          {
            name: "kserve-container",
            image: model.image,
            command: ["vllm"],
            args: vllmArgs(model, LOCAL_MODEL_DIR),
            env: vllmEnv(TMP_DIR),
            ports: [{ name: "http", containerPort: model.port, protocol: "TCP" }],
            ...hardened,
          },
        ],
      };
      break;
    case "triton":
      spec = {
        supportedModelFormats: [{ name: "triton", version: "2", autoSelect: false }],
        protocolVersions: ["v2"],
        containers: [
          {
            name: "kserve-container",
            image: model.image,
            args: tritonArgs(),
            ports: [{ name: "http", containerPort: KSERVE_RUNTIME_PORT, protocol: "TCP" }],
            ...hardened,
          },
        ],
      };
      break;
    default:
      // mlflow: MLServer with mlserver-mlflow on the fetched folder, as KServe's kserve-mlserver does.
      spec = {
        supportedModelFormats: [{ name: "mlflow", version: "2", autoSelect: false }],
        protocolVersions: ["v2"],
        containers: [
          {
            name: "kserve-container",
            image: args.namespacedRuntimes?.mlserverImage,
            command: ["mlserver"],
            args: ["start", LOCAL_MODEL_DIR],
            env: mlserverEnv({
              modelName: model.name,
              httpPort: KSERVE_RUNTIME_PORT,
              localModelUri: LOCAL_MODEL_DIR,
            }),
            ports: [{ name: "http", containerPort: KSERVE_RUNTIME_PORT, protocol: "TCP" }],
            ...hardened,
          },
        ],
      };
  }
  return new ServingRuntime(
    `${name}-servingruntime`,
    {
      metadata: meta(namespacedRuntimeName(model)),
      spec,
    },
    { parent },
  );
}
