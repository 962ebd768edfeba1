/**
 * What a Strimzi cluster needs in a default-deny namespace beyond the policies Strimzi writes.
 *
 * Strimzi (network-policy generation is on in the operator mlstack installs) writes *ingress*
 * policies for the cluster's pods: 9090 (KRaft control plane) from the cluster's own pods and the
 * cluster operator, 9091 (replication) from those plus the Entity Operator, 8443 (Kafka agent)
 * from the cluster operator, each listener from its `networkPolicyPeers`, metrics when enabled,
 * and the Entity Operator's health ports. It writes no *egress* policy, and the namespace denies
 * all egress, so without the policies below:
 *
 * | pods | egress | why |
 * |---|---|---|
 * | brokers + controllers | the cluster's brokers and controllers on 9090, 9091 | KRaft quorum, broker registration and heartbeats (9090); replication (9091) |
 * | brokers + controllers | API server (`apiServerCidrs`) on 443 / 6443 | since Strimzi 0.49 nodes read their TLS material from Secrets through the KubernetesSecretConfigProvider |
 * | Entity Operator | the cluster's brokers on 9091 | Topic and User Operators administer topics, users and ACLs through the replication listener |
 * | Entity Operator | API server on 443 / 6443 | watches KafkaTopic / KafkaUser, writes their status and user Secrets |
 * | both | the cluster's resolver (`dns`, see `kube/clusterDns.ts`) | brokers resolve each other's per-pod names; operators resolve the bootstrap address |
 *
 * On Cilium (`cni: cilium`) an `ipBlock` never matches the API server, so each of the two pod
 * groups also gets a CiliumNetworkPolicy with `toEntities: [kube-apiserver]` (see `kube/apiServer.ts`).
 *
 * The cluster operator's own egress (to 9090 / 9091 / 8443 here) is the operators namespace's
 * business (see `operatorNetworkPolicies`). Replies to connections opened from elsewhere need no
 * rule (policies are stateful).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { Cni, apiServerEgressRule, ciliumApiServerPolicy } from "../kube/apiServer";
import { ClusterDnsConfig, dnsEgressRule } from "../kube/clusterDns";
import { entityOperatorPodLabels, kafkaPodLabels } from "./strimziPodTemplates";

type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** KRaft control plane listener (controllers, and brokers talking to them). */
export const CONTROL_PLANE_PORT = 9090;
/** Internal replication listener (brokers, and Strimzi's own clients). */
export const REPLICATION_PORT = 9091;

export interface StrimziNetworkPolicyArgs {
  cluster: string;
  namespace: string;
  /** The cluster's resolver. */
  dns: ClusterDnsConfig;
  /** The CNI enforcing the policies (`cilium` adds the API-server CiliumNetworkPolicies). Default `other`. */
  cni?: Cni;
  labels: Record<string, string>;
  apiServerCidrs: string[];
}

function tcp(ports: number[]): k8s.types.input.networking.v1.NetworkPolicyPort[] {
  return ports.map((port) => ({ protocol: "TCP", port }));
}

/** Egress of the brokers and controllers. */
export function kafkaNodesEgress(args: StrimziNetworkPolicyArgs): EgressRule[] {
  return [
    {
      to: [{ podSelector: { matchLabels: kafkaPodLabels(args.cluster) } }],
      ports: tcp([CONTROL_PLANE_PORT, REPLICATION_PORT]),
    },
    apiServerEgressRule(args.apiServerCidrs),
    dnsEgressRule(args.dns),
  ];
}

/** Egress of the Entity Operator. */
export function entityOperatorEgress(args: StrimziNetworkPolicyArgs): EgressRule[] {
  return [
    { to: [{ podSelector: { matchLabels: kafkaPodLabels(args.cluster) } }], ports: tcp([REPLICATION_PORT]) },
    apiServerEgressRule(args.apiServerCidrs),
    dnsEgressRule(args.dns),
  ];
}

/** Creates the two egress policies, named after the cluster (and on Cilium their API-server counterparts). */
export function strimziNetworkPolicies(
  name: string,
  args: StrimziNetworkPolicyArgs,
  parent: pulumi.Resource,
): pulumi.Resource[] {
  const policy = (suffix: string, podLabels: Record<string, string>, egress: EgressRule[]) => {
    const metadata = { name: `${args.cluster}-${suffix}`, namespace: args.namespace, labels: args.labels };
    const cilium = ciliumApiServerPolicy(
      `${name}-${suffix}-cilium`,
      args.cni,
      { ...metadata, name: `${metadata.name}-apiserver`, pods: { matchLabels: podLabels }, egress: true },
      parent,
    );
    return [
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${suffix}`,
        { metadata, spec: { podSelector: { matchLabels: podLabels }, policyTypes: ["Egress"], egress } },
        { parent },
      ),
      ...(cilium ? [cilium] : []),
    ];
  };
  return [
    ...policy("kafka-nodes-egress", kafkaPodLabels(args.cluster), kafkaNodesEgress(args)),
    ...policy("entity-operator-egress", entityOperatorPodLabels(args.cluster), entityOperatorEgress(args)),
  ];
}
