/**
 * Workload identity for in-cluster targets (plain Kubernetes, OpenShift, and in-cluster services on
 * any cluster): the identity *is* the workload's own Kubernetes ServiceAccount. Nothing is created
 * outside the cluster, so the ServiceAccount needs no annotation and grants wait for nothing.
 *
 * Access to backing services does not come from this identity but from each service: Strimzi
 * issues a KafkaUser Secret, CloudNativePG a managed-role Secret, the object store a per-bucket
 * credentials Secret, each in the workload's namespace and referenced by `secretKeyRef`.
 */
import type * as pulumi from "@pulumi/pulumi";
import { DNS_LABEL, DNS_LABEL_RULE } from "../kube/names";
import type { WorkloadIdentity, WorkloadIdentityProvider, WorkloadRef } from "./contract";

export class KubernetesIdentityProvider implements WorkloadIdentityProvider {
  forWorkload(workload: WorkloadRef, _opts: { parent: pulumi.Resource }): WorkloadIdentity {
    validateWorkloadRef(workload);
    return { workload: { ...workload }, serviceAccountAnnotations: {}, dependencies: [] };
  }
}

/** The workload reference must name a real, non-default ServiceAccount in a real namespace. */
export function validateWorkloadRef(workload: WorkloadRef): void {
  const fail = (field: keyof WorkloadRef, allowed: string): never => {
    throw new Error(`workload identity: ${field} ${JSON.stringify(workload[field])} ${allowed}`);
  };
  if (!DNS_LABEL.test(workload.name)) fail("name", `is not ${DNS_LABEL_RULE}`);
  if (!DNS_LABEL.test(workload.team)) fail("team", `is not ${DNS_LABEL_RULE}`);
  if (!DNS_LABEL.test(workload.namespace)) fail("namespace", `is not ${DNS_LABEL_RULE}`);
  if (!DNS_LABEL.test(workload.serviceAccountName)) fail("serviceAccountName", `is not ${DNS_LABEL_RULE}`);
  if (workload.serviceAccountName === "default") {
    fail("serviceAccountName", "is the namespace's shared default account; each workload needs its own");
  }
}
