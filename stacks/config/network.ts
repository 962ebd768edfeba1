/** `mlstack:network`: what default-deny NetworkPolicies must let through on the cluster around the platform. */
import { CNIS, Cni, cniProblem } from "../../components/kube/apiServer";
import { CIDR_RULE, isCidr } from "../../components/kube/cidr";
import {
  ClusterDnsConfig,
  DNS_RESOLVERS,
  DnsResolver,
  clusterDnsProblem,
  defaultClusterDns,
} from "../../components/kube/clusterDns";
import { monitorLabelsProblem } from "../../components/kube/monitorLabels";
import { DNS_LABEL, DNS_LABEL_RULE, Reader, keyPath } from "./reader";
import type { NetworkConfig, Target } from "./types";

export function parseNetwork(r: Reader, value: unknown, target: Target): NetworkConfig {
  const path = "network";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, [
    "apiServerCidrs",
    "dns",
    "cni",
    "ingressNamespace",
    "monitoringNamespace",
    "monitorLabels",
    "objectStoreNamespace",
    "objectStoreCidrs",
    "kedaNamespace",
  ]);
  const openshift = target === "openshift";
  return {
    apiServerCidrs: r.stringList(obj, "apiServerCidrs", path, ["0.0.0.0/0"], isCidr, CIDR_RULE),
    dns: parseDns(r, obj.dns, target),
    // OpenShift's OVN-Kubernetes matches the API server by ipBlock; Cilium is opt-in (dev's stack file sets it).
    cni: parseCni(r, obj, target),
    ingressNamespace: r.string(
      obj,
      "ingressNamespace",
      path,
      openshift ? "openshift-ingress" : "ingress-nginx",
      DNS_LABEL,
      DNS_LABEL_RULE,
    ),
    // OpenShift scrapes user namespaces from the user-workload monitoring stack, not openshift-monitoring.
    monitoringNamespace: r.string(
      obj,
      "monitoringNamespace",
      path,
      openshift ? "openshift-user-workload-monitoring" : "monitoring",
      DNS_LABEL,
      DNS_LABEL_RULE,
    ),
    monitorLabels: parseMonitorLabels(r, obj.monitorLabels, keyPath(path, "monitorLabels")),
    objectStoreNamespace: r.string(
      obj,
      "objectStoreNamespace",
      path,
      openshift ? "openshift-storage" : "rook-ceph",
      DNS_LABEL,
      DNS_LABEL_RULE,
    ),
    objectStoreCidrs: r.stringList(obj, "objectStoreCidrs", path, ["0.0.0.0/0"], isCidr, CIDR_RULE),
    kedaNamespace: r.string(
      obj,
      "kedaNamespace",
      path,
      openshift ? "openshift-keda" : "keda",
      DNS_LABEL,
      DNS_LABEL_RULE,
    ),
  };
}

/** `network.cni`: `other` unless told; `cilium` where the target can serve its policies. */
function parseCni(r: Reader, obj: Record<string, unknown>, target: Target): Cni {
  const cni = r.oneOf<Cni>(obj, "cni", "network", CNIS, Cni.other);
  const problem = cniProblem(cni, target);
  if (problem) {
    r.fail("network.cni", cni, problem);
    return Cni.other;
  }
  return cni;
}

/** `network.dns`: `{ resolver, address }`, defaulting per target (see `components/kube/clusterDns.ts`). */
function parseDns(r: Reader, value: unknown, target: Target): ClusterDnsConfig {
  const path = "network.dns";
  const fallback = defaultClusterDns(target);
  const obj = r.object(value, path);
  r.knownKeys(obj, path, ["resolver", "address"]);
  const resolver = r.oneOf<DnsResolver>(obj, "resolver", path, DNS_RESOLVERS, fallback.resolver);
  const address = r.optionalString(obj, "address", path);
  const dns: ClusterDnsConfig = address === undefined ? { resolver } : { resolver, address };
  const problem = clusterDnsProblem(dns, target);
  if (problem) {
    r.fail(keyPath(path, problem.key), problem.value, problem.allowed);
    return fallback;
  }
  return dns;
}

function parseMonitorLabels(r: Reader, value: unknown, path: string): Record<string, string> {
  const obj = r.object(value, path);
  const problem = monitorLabelsProblem(obj);
  if (problem) {
    r.fail(keyPath(path, problem.key), problem.value, problem.allowed);
    return {};
  }
  return obj as Record<string, string>;
}
