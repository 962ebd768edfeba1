/** `mlstack:network`: what default-deny NetworkPolicies must let through on the cluster around the platform. */
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { CNIS, Cni, cniProblem } from "../../components/kube/apiServer";
import {
  ClusterDnsConfig,
  DNS_RESOLVERS,
  clusterDnsProblem,
  defaultClusterDns,
} from "../../components/kube/clusterDns";
import { monitorLabelsProblem } from "../../components/kube/monitorLabels";
import { DNS_LABEL, DNS_LABEL_RULE, Reader, keyPath } from "./reader";
import { List, OneOf, Opt, Str, Strict, Text } from "./schemaKinds";
import type { NetworkConfig, Target } from "./types";

const Namespace = (description: string) => Opt(Str(DNS_LABEL, DNS_LABEL_RULE, { description }));

export const NetworkSchema = Strict({
  apiServerCidrs: Opt(
    List(Str("cidr"), {
      description: "where the API server is, for operators' egress",
      default: ["0.0.0.0/0"],
    }),
  ),
  dns: Opt(
    Strict({
      resolver: Opt(
        OneOf(DNS_RESOLVERS, { description: "default per target (components/kube/clusterDns.ts)" }),
      ),
      address: Opt(Text("node-local only: the cache's IPv4 listen address")),
    }),
  ),
  cni: Opt(OneOf(CNIS, { default: Cni.other })),
  ingressNamespace: Namespace("default ingress-nginx (openshift-ingress on OpenShift)"),
  monitoringNamespace: Namespace("default monitoring (openshift-user-workload-monitoring on OpenShift)"),
  // Keys and values are checked by the component's own monitorLabelsProblem (reserved prefixes too).
  monitorLabels: Opt(Type.Record(Type.String(), Type.Unknown())),
  objectStoreNamespace: Namespace("default rook-ceph (openshift-storage on OpenShift)"),
  objectStoreCidrs: Opt(List(Str("cidr"), { default: ["0.0.0.0/0"] })),
  kedaNamespace: Namespace("default keda (openshift-keda on OpenShift)"),
});

export function parseNetwork(
  r: Reader,
  value: Static<typeof NetworkSchema> | undefined,
  target: Target,
): NetworkConfig {
  const obj = value ?? {};
  const openshift = target === "openshift";
  return {
    apiServerCidrs: obj.apiServerCidrs ?? ["0.0.0.0/0"],
    dns: parseDns(r, obj.dns, target),
    // OpenShift's OVN-Kubernetes matches the API server by ipBlock; Cilium is opt-in (dev's stack file sets it).
    cni: parseCni(r, obj.cni ?? Cni.other, target),
    ingressNamespace: obj.ingressNamespace ?? (openshift ? "openshift-ingress" : "ingress-nginx"),
    // OpenShift scrapes user namespaces from the user-workload monitoring stack, not openshift-monitoring.
    monitoringNamespace:
      obj.monitoringNamespace ?? (openshift ? "openshift-user-workload-monitoring" : "monitoring"),
    monitorLabels: parseMonitorLabels(r, obj.monitorLabels ?? {}),
    objectStoreNamespace: obj.objectStoreNamespace ?? (openshift ? "openshift-storage" : "rook-ceph"),
    objectStoreCidrs: obj.objectStoreCidrs ?? ["0.0.0.0/0"],
    kedaNamespace: obj.kedaNamespace ?? (openshift ? "openshift-keda" : "keda"),
  };
}

/** `network.cni`: `other` unless told; `cilium` where the target can serve its policies. */
function parseCni(r: Reader, cni: Cni, target: Target): Cni {
  const problem = cniProblem(cni, target);
  if (problem) {
    r.fail("network.cni", cni, problem);
    return Cni.other;
  }
  return cni;
}

/** `network.dns`: `{ resolver, address }`, defaulting per target (see `components/kube/clusterDns.ts`). */
function parseDns(r: Reader, value: Static<typeof NetworkSchema>["dns"], target: Target): ClusterDnsConfig {
  const fallback = defaultClusterDns(target);
  const resolver = value?.resolver ?? fallback.resolver;
  const address = value?.address;
  const dns: ClusterDnsConfig = address === undefined ? { resolver } : { resolver, address };
  const problem = clusterDnsProblem(dns, target);
  if (problem) {
    r.fail(keyPath("network.dns", problem.key), problem.value, problem.allowed);
    return fallback;
  }
  return dns;
}

function parseMonitorLabels(r: Reader, labels: Record<string, unknown>): Record<string, string> {
  const problem = monitorLabelsProblem(labels);
  if (problem) {
    r.fail(keyPath("network.monitorLabels", problem.key), problem.value, problem.allowed);
    return {};
  }
  return labels as Record<string, string>;
}
