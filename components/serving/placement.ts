/**
 * Where a model's pods run and what they reserve: resources (GPUs when asked), the GPU node
 * taint toleration and node selector, and topology spread in highly available environments.
 * Shared by the Deployment and the KServe predictor so both place pods the same way.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { PlatformContext } from "../context";
import type { ModelConfig } from "./settings";

export const GPU_RESOURCE = "nvidia.com/gpu";

type ResourceRequirements = k8s.types.input.core.v1.ResourceRequirements;
type Toleration = k8s.types.input.core.v1.Toleration;
type TopologySpreadConstraint = k8s.types.input.core.v1.TopologySpreadConstraint;

/** Requests and limits from config; GPUs are extended resources, so requests must equal limits. */
export function modelResources(model: ModelConfig): ResourceRequirements {
  const requests: Record<string, string> = { ...model.resources.requests };
  const limits: Record<string, string> = { ...model.resources.limits };
  if (model.gpu.count > 0) {
    requests[GPU_RESOURCE] = String(model.gpu.count);
    limits[GPU_RESOURCE] = String(model.gpu.count);
  }
  return { requests, limits };
}

export interface PodPlacement {
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
}

/**
 * GPU models tolerate the `nvidia.com/gpu` NoSchedule taint GPU node pools carry (EKS, GKE and the
 * NVIDIA GPU Operator all use it) and select the configured GPU nodes. In HA environments replicas
 * spread across zones (best effort: a zone without capacity must not block scaling) and across
 * nodes (enforced: two replicas on one node fall together).
 */
export function podPlacement(
  ctx: PlatformContext,
  model: ModelConfig,
  selector: Record<string, string>,
): PodPlacement {
  const placement: PodPlacement = {};
  if (model.gpu.count > 0) {
    if (Object.keys(model.gpu.nodeSelector).length > 0)
      placement.nodeSelector = { ...model.gpu.nodeSelector };
    if (model.gpu.tolerations)
      placement.tolerations = [{ key: GPU_RESOURCE, operator: "Exists", effect: "NoSchedule" }];
  }
  if (ctx.highAvailability) {
    placement.topologySpreadConstraints = [
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: selector },
      },
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: selector },
      },
    ];
  }
  return placement;
}
