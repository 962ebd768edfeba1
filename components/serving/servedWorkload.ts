/** What each serving engine hands back to `ModelServing`, and the metadata helpers its steps share. */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { RequestMetricsKind } from "./alerts";
import type { ModelConfig } from "./settings";

/** Metadata of a child object: name, the model's namespace and the platform labels. */
export type MetaFor = (objectName: string) => {
  name: string;
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
};

/** The served workload of one engine. */
export interface ServedWorkload {
  /** The Deployment (engine deployment) or the InferenceService (engine kserve). */
  workload: k8s.apps.v1.Deployment | k8s.apiextensions.CustomResource;
  serviceName: pulumi.Output<string>;
  /** Port of the Service (the model's port; 80 for KServe). */
  servicePort: number;
  /** The pods' serving port (the NetworkPolicy admits callers there). */
  servingPort: number;
  metricsPort?: number;
  requestMetrics?: RequestMetricsKind;
  /** The Deployment whose replicas the alerts watch. */
  deploymentName: string;
}

/** Annotation naming where a model comes from: `s3://…`-style bucket path or `registry:<name>@<alias>`. */
export const MODEL_SOURCE_ANNOTATION = "mlstack.io/model-source";
/** Label carrying the registry alias a model follows (aliases are label-safe; registered names may not be). */
export const MODEL_ALIAS_LABEL = "mlstack.io/model-alias";

/**
 * Where the model comes from, on the workload and its pods, so `kubectl describe` and `mlstack plan`
 * show which alias a model follows (the version it resolved to is in `/mnt/models/.mlstack-model.json`
 * and the fetch step's log).
 */
export function modelSourceAnnotations(model: ModelConfig): Record<string, string> {
  const s = model.source;
  if (!s) return {};
  if (s.registry !== undefined) return { [MODEL_SOURCE_ANNOTATION]: `registry:${s.registry}@${s.alias}` };
  return { [MODEL_SOURCE_ANNOTATION]: `bucket:${s.bucket}/${s.path}` };
}
