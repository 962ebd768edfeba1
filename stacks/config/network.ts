/** `mlstack:network`: what default-deny NetworkPolicies must let through on the cluster around the platform. */
import { CIDR_RULE, isCidr } from "../../components/kube/cidr";
import { DNS_LABEL, DNS_LABEL_RULE, Reader } from "./reader";
import type { NetworkConfig, Target } from "./types";

export function parseNetwork(r: Reader, value: unknown, target: Target): NetworkConfig {
  const path = "network";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, [
    "apiServerCidrs",
    "ingressNamespace",
    "monitoringNamespace",
    "objectStoreNamespace",
    "objectStoreCidrs",
    "kedaNamespace",
  ]);
  const openshift = target === "openshift";
  return {
    apiServerCidrs: r.stringList(obj, "apiServerCidrs", path, ["0.0.0.0/0"], isCidr, CIDR_RULE),
    ingressNamespace: r.string(
      obj,
      "ingressNamespace",
      path,
      openshift ? "openshift-ingress" : "ingress-nginx",
      DNS_LABEL,
      DNS_LABEL_RULE,
    ),
    monitoringNamespace: r.string(
      obj,
      "monitoringNamespace",
      path,
      openshift ? "openshift-monitoring" : "monitoring",
      DNS_LABEL,
      DNS_LABEL_RULE,
    ),
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
