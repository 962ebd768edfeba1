/** The arguments of `ModelServing` (one served model), shared by its steps. */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../context";
import type { WorkloadAccess } from "../identity/contract";
import type { AlertThresholds } from "./alerts";
import type { ModelKafkaArgs } from "./kafkaScaler";
import type { ModelRegistryAccess } from "./modelFetch";
import type { ModelConfig } from "./settings";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** The name of the serving container (KServe predictors use KServe's `kserve-container`). */
export const MODEL_CONTAINER = "model";

/** What mlstack needs to create a model's own ServingRuntime (engine kserve, `namespacedRuntimes`). */
export interface NamespacedRuntimes {
  /** MLServer image serving the mlflow format (`serving.runtimeImages.mlserver`). */
  mlserverImage: string;
}

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
   * `s3://…` / `gs://…` URL of a bucket `model.source` (`Bucket.url(path)`). Required for the
   * mlflow, mlserver, triton and vllm runtimes unless the source is a registry alias; optional for
   * custom images that embed their model.
   */
  modelUri?: pulumi.Input<string>;
  /**
   * `Bucket.endpoint` of S3-compatible stores (ObjectBucketClaim / external); unset on AWS S3 and
   * GCS. MLflow gets it as `MLFLOW_S3_ENDPOINT_URL`; Triton needs it inside the repository URL.
   */
  modelStoreEndpoint?: pulumi.Input<string>;
  /**
   * Image with the MLflow CLI and the S3 / GCS clients (`serving.runtimeImages.mlflow`), run as
   * the fetch-model initContainer that copies the model into `/mnt/models` (modelFetch.ts
   * `fetchesModel`: runtimes mlserver and vllm, every KServe predictor, every registry source).
   * Required there, unused elsewhere.
   */
  modelDownloaderImage?: string;
  /**
   * Required exactly when `model.source.registry` is set: the MLflow tracking URI and the
   * workload's own MLflow credentials the fetch step resolves the alias with.
   */
  registry?: ModelRegistryAccess;
  /**
   * Engine kserve: create the ServingRuntime the predictor uses in the model's namespace (with this
   * MLServer image for the mlflow format), named
   * `<model>-<runtime>`, instead of relying on KServe's cluster-wide ones. Needed where the platform
   * installs none (OpenShift AI: runtimes are per project). vLLM always gets its own (kserveWorkload.ts).
   */
  namespacedRuntimes?: NamespacedRuntimes;
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
  /** Extra labels on the ServiceMonitor / PodMonitor / PrometheusRule (`network.monitorLabels`, e.g. `release`). Default none. */
  monitorLabels?: Record<string, string>;
  /** Alert thresholds; defaults `p99LatencySeconds: 1`, `errorRatio: 0.05`. */
  alertThresholds?: Partial<AlertThresholds>;
}
