/**
 * The NetworkPolicy of a CloudNativePG cluster's instance pods in their default-deny namespace.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { NetworkConfig } from "../kube/clusterNetwork";
import { apiServerEgressRule } from "../kube/apiServer";
import { CNPG_CLUSTER_LABEL, CNPG_METRICS_PORT, CNPG_STATUS_PORT, POSTGRES_PORT } from "./cnpgConventions";

export interface InstancesPolicyInputs {
  cluster: string;
  clientNamespaces: string[];
  operatorNamespace: string;
  network: NetworkConfig;
  monitoring: boolean;
  objectStoreEgress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[];
}

/**
 * What the instance pods (and the operator's jobs for them) need in a default-deny namespace:
 * clients on 5432 from the client namespaces, the operator on 8000 and 5432, each other for
 * replication and status, Prometheus on 9187 when monitored; out to each other, the API server
 * (the instance manager watches its Cluster) and the backup object store.
 */
export function instancesNetworkPolicy(
  p: InstancesPolicyInputs,
): k8s.types.input.networking.v1.NetworkPolicySpec {
  const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));
  const namespaceNamed = (...names: string[]) => ({
    namespaceSelector: {
      matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: names }],
    },
  });
  const peers = { podSelector: { matchLabels: { [CNPG_CLUSTER_LABEL]: p.cluster } } };
  const ingress: k8s.types.input.networking.v1.NetworkPolicyIngressRule[] = [
    { from: [peers], ports: tcp(POSTGRES_PORT, CNPG_STATUS_PORT) },
    { from: [namespaceNamed(p.operatorNamespace)], ports: tcp(CNPG_STATUS_PORT, POSTGRES_PORT) },
  ];
  if (p.clientNamespaces.length > 0)
    ingress.push({ from: [namespaceNamed(...p.clientNamespaces)], ports: tcp(POSTGRES_PORT) });
  if (p.monitoring)
    ingress.push({ from: [namespaceNamed(p.network.monitoringNamespace)], ports: tcp(CNPG_METRICS_PORT) });
  return {
    podSelector: { matchLabels: { [CNPG_CLUSTER_LABEL]: p.cluster } },
    policyTypes: ["Ingress", "Egress"],
    ingress,
    egress: [
      { to: [peers], ports: tcp(POSTGRES_PORT, CNPG_STATUS_PORT) },
      apiServerEgressRule(p.network.apiServerCidrs),
      ...p.objectStoreEgress,
    ],
  };
}
