/**
 * What every component needs to know about the platform it is part of, independent of the
 * capability: environment, where it runs, and how careful to be with state.
 */
import type { Environment, Target } from "./platformIdentity";

/**
 * How pods are secured: `openshift` lets the restricted-v2 SCC assign UID, fsGroup and SELinux
 * level per namespace (a fixed UID is a mistake there); `kubernetes` (also EKS and GKE) needs an
 * explicit non-root high UID. (An `as const` object as well as a type, so Pulumi's component analyzer
 * reads it as a schema enum; see platformIdentity.ts.)
 */
export const ClusterFlavor = { kubernetes: "kubernetes", openshift: "openshift" } as const;
export type ClusterFlavor = (typeof ClusterFlavor)[keyof typeof ClusterFlavor];

export interface PlatformContext {
  environment: Environment;
  target: Target;
  flavor: ClusterFlavor;
  /** Stateful resources get `protect` / `retainOnDelete` and provider deletion protection. */
  protect: boolean;
  /** Replicas ≥ 2, PodDisruptionBudgets and topology spread. */
  highAvailability: boolean;
  project: string;
  stack: string;
}

export function flavorOf(target: Target): ClusterFlavor {
  return target === "openshift" ? "openshift" : "kubernetes";
}
