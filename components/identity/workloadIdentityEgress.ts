/**
 * The egress a pod needs to obtain Workload Identity tokens on GKE.
 *
 * Google client libraries ask the metadata server (169.254.169.254:80) for an access token; on a
 * Workload Identity node pool the GKE metadata server answers instead of the VM's, and with
 * Dataplane V2 the request is redirected to it on port 988. A default-deny namespace must allow
 * both, to that single address — nothing else on the node is reachable through this rule.
 */
import type * as k8s from "@pulumi/kubernetes";
import { GKE_METADATA_SERVER_ADDRESS } from "../kube/clusterDns";

export const METADATA_SERVER_CIDR = `${GKE_METADATA_SERVER_ADDRESS}/32`;
export const METADATA_SERVER_PORTS = [80, 988];

export function metadataServerEgress(): k8s.types.input.networking.v1.NetworkPolicyEgressRule {
  return {
    to: [{ ipBlock: { cidr: METADATA_SERVER_CIDR } }],
    ports: METADATA_SERVER_PORTS.map((port) => ({ protocol: "TCP", port })),
  };
}
