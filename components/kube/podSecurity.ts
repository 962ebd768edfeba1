/**
 * Security contexts that meet Pod Security Standards `restricted` everywhere and fit OpenShift's
 * restricted-v2 SCC: on OpenShift no UID / GID / fsGroup is set (the SCC assigns one from the
 * namespace's range, and a fixed one is rejected); elsewhere an explicit non-root high UID.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { ClusterFlavor } from "../context";

/** A UID above every range a base image or node daemon uses, as kube-score and Polaris expect. */
export const NON_ROOT_UID = 10001;

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;

export function podSecurityContext(flavor: ClusterFlavor): PodSecurityContext {
  const base: PodSecurityContext = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
  return flavor === "openshift"
    ? base
    : { ...base, runAsUser: NON_ROOT_UID, runAsGroup: NON_ROOT_UID, fsGroup: NON_ROOT_UID };
}

/** Container context: no privilege escalation, all capabilities dropped, read-only root filesystem. */
export function containerSecurityContext(
  flavor: ClusterFlavor,
  opts: { readOnlyRootFilesystem?: boolean } = {},
): SecurityContext {
  const base: SecurityContext = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    privileged: false,
    readOnlyRootFilesystem: opts.readOnlyRootFilesystem ?? true,
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
  };
  return flavor === "openshift" ? base : { ...base, runAsUser: NON_ROOT_UID, runAsGroup: NON_ROOT_UID };
}
