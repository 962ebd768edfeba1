/**
 * Kubernetes namespace and network rules: Pod Security Admission labels, default-deny network
 * policies, no node ports or public load balancers, TLS on Ingresses and Routes (RBAC rules are in
 * `kubernetesRbac.ts`).
 *
 * Unknown values: an unknown field is reported as not checked (a finding at the rule's level,
 * never a pass). Stack checks that cannot place an object in a namespace (its namespace is
 * unknown and it depends on no Namespace in the stack) report it as not checked rather than as a
 * missing policy.
 */
import { byNamespace, isEmptySelector, namespaceOf, objectName, selectorMatches } from "./kubernetesObjects";
import { isWorkloadType, kubernetesGvk, podSites } from "./podSpecs";
import type { PolicyResource, Reporter, ResourceRule, StackRule, StackView } from "./rule";
import { resourceRule, stackRule } from "./rule";
import { flagValue, resourceFieldRule } from "./fieldChecks";
import { arr, at, isObject, isUnknown, obj, str, strings } from "./values";

const kind = (type: string) => kubernetesGvk(type)?.kind;
const isKind =
  (...kinds: string[]) =>
  (type: string) =>
    kinds.includes(kind(type) ?? "") && type.startsWith("kubernetes:");
const isNamespace = (type: string) => type === "kubernetes:core/v1:Namespace";
const isNetworkPolicy = (type: string) => type === "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** The objects of a type by namespace; `unplaced`: some could not be placed in one (unknown namespace, no dependency). */
function byNamespaceIndex(stack: StackView, predicate: (type: string) => boolean) {
  const groups = byNamespace(stack.matching(predicate), stack);
  return {
    in: (ns: string) => groups.get(ns) ?? [],
    unplaced: (groups.get(undefined) ?? []).length > 0,
  };
}

/** Each Namespace of the stack with its name; one whose name is unknown is reported as not checked and skipped. */
function eachNamespace(
  stack: StackView,
  report: Reporter,
  fn: (ns: PolicyResource, name: string) => void,
): void {
  for (const ns of stack.matching(isNamespace)) {
    const name = at(ns.props, "metadata.name");
    if (isUnknown(name)) report.unknown("metadata.name", ns);
    else fn(ns, str(name) ?? ns.name);
  }
}

export const PSS_LEVEL = "restricted";
export const PSS_MODES = ["enforce", "warn", "audit"];

export const namespacePssLabels = resourceRule({
  name: "k8s-namespace-pss-labels",
  description:
    "Namespaces enforce, warn and audit Pod Security Standards `restricted` through Pod Security Admission labels.",
  severity: "high",
  remediation: `Label the namespace ${PSS_MODES.map((m) => `pod-security.kubernetes.io/${m}: ${PSS_LEVEL}`).join(", ")}.`,
  defaultLevel: "mandatory",
  appliesTo: isNamespace,
  check(resource, _ctx, report) {
    const labels = at(resource.props, "metadata.labels");
    if (isUnknown(labels)) return report.unknown("metadata.labels");
    for (const mode of PSS_MODES) {
      const key = `pod-security.kubernetes.io/${mode}`;
      flagValue(
        obj(labels)[key],
        report,
        `metadata.labels.${key}`,
        (v) => v !== PSS_LEVEL,
        (v) =>
          `Namespace ${objectName(resource)} ${v === undefined ? `lacks ${key}` : `sets ${key}: ${String(v)}`} (want ${PSS_LEVEL})`,
      );
    }
  },
});

/** Which directions a NetworkPolicy denies for every pod of its namespace (empty selector, no rules). */
function defaultDenies(policy: PolicyResource): { ingress: boolean; egress: boolean } | "unknown" {
  const spec = at(policy.props, "spec");
  if (isUnknown(spec)) return "unknown";
  const selector = at(spec, "podSelector");
  if (isUnknown(selector)) return "unknown";
  if (!isEmptySelector(selector)) return { ingress: false, egress: false };
  const types = at(spec, "policyTypes");
  if (isUnknown(types)) return "unknown";
  const declared = strings(types);
  if (isUnknown(at(spec, "ingress")) || isUnknown(at(spec, "egress"))) return "unknown";
  const ingressRules = arr(at(spec, "ingress"));
  const egressRules = arr(at(spec, "egress"));
  const coversIngress = declared.length === 0 || declared.includes("Ingress");
  // Without policyTypes, Kubernetes infers Egress only from egress rules, which then allow traffic.
  const coversEgress = declared.includes("Egress");
  return {
    ingress: coversIngress && ingressRules.length === 0,
    egress: coversEgress && egressRules.length === 0,
  };
}

export const namespaceDefaultDeny: StackRule = stackRule({
  name: "k8s-namespace-default-deny",
  description:
    "Every Namespace in the stack has a default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules); one policy per direction also counts.",
  severity: "high",
  remediation:
    "Add a NetworkPolicy in the namespace with `podSelector: {}`, `policyTypes: [Ingress, Egress]` and no rules, then allow what each workload needs.",
  defaultLevel: "mandatory",
  onUnknown:
    "A NetworkPolicy whose namespace is unknown and that depends on no Namespace resource cannot be placed: a namespace is then reported as not checked (a finding at the rule's level) instead of failed.",
  check(stack, _ctx, report) {
    const policies = byNamespaceIndex(stack, isNetworkPolicy);
    eachNamespace(stack, report, (ns, nsName) => {
      let ingress = false;
      let egress = false;
      let unknown = false;
      for (const p of policies.in(nsName)) {
        const d = defaultDenies(p);
        if (d === "unknown") unknown = true;
        else {
          ingress ||= d.ingress;
          egress ||= d.egress;
        }
      }
      if (ingress && egress) return;
      if (unknown || policies.unplaced) return report.unknown("NetworkPolicies of the namespace", ns);
      const missing = [!ingress ? "Ingress" : "", !egress ? "Egress" : ""].filter((d) => d !== "");
      report.violation(
        `Namespace ${nsName} has no default-deny NetworkPolicy for ${missing.join(" and ")}`,
        ns,
      );
    });
  },
});

export const workloadHasNetpol: StackRule = stackRule({
  name: "k8s-workload-has-netpol",
  description:
    "A NetworkPolicy in the workload's namespace selects its pods (a default-deny policy with podSelector {} counts).",
  severity: "high",
  remediation:
    "Add a NetworkPolicy whose podSelector matches the workload's pod labels, allowing only the traffic it needs.",
  defaultLevel: "mandatory",
  onUnknown:
    "Workloads whose namespace or pod labels are unknown, or namespaces holding policies with unknown selectors, are reported as not checked (a finding at the rule's level).",
  check(stack, _ctx, report) {
    const policies = byNamespaceIndex(stack, isNetworkPolicy);
    for (const w of stack.matching(isWorkloadType)) {
      const ns = namespaceOf(w, stack);
      if (ns === undefined) {
        if (isUnknown(at(w.props, "metadata.namespace")) || policies.unplaced)
          report.unknown("metadata.namespace", w);
        else
          report.violation(
            `${kind(w.type)} ${objectName(w)} has no namespace, so no NetworkPolicy can select it`,
            w,
          );
        continue;
      }
      const sites = podSites(w);
      if (sites.unknownAt.length > 0) {
        for (const where of sites.unknownAt) report.unknown(where, w);
        continue;
      }
      for (const pod of sites.pods) {
        let selected = false;
        let unknown = policies.unplaced;
        for (const p of policies.in(ns)) {
          const m = selectorMatches(at(p.props, "spec.podSelector"), pod.labels);
          if (m === "unknown") unknown = true;
          else if (m) {
            selected = true;
            break;
          }
        }
        if (selected) continue;
        if (unknown) report.unknown("NetworkPolicy selectors", w);
        else
          report.violation(
            `no NetworkPolicy in namespace ${ns} selects the ${pod.component}pods of ${kind(w.type)} ${objectName(w)}`,
            w,
          );
      }
    }
  },
});

const EVERYWHERE = ["0.0.0.0/0", "::/0"];

function openPeers(peers: unknown, report: Reporter, where: string): string | undefined {
  if (isUnknown(peers)) {
    report.unknown(where);
    return undefined;
  }
  const list = arr(peers);
  if (list.length === 0) return "every source and destination";
  for (const p of list) {
    const cidr = at(p, "ipBlock.cidr");
    if (typeof cidr === "string" && EVERYWHERE.includes(cidr)) return cidr;
    const nsSelector = at(p, "namespaceSelector");
    if (nsSelector !== undefined && !isUnknown(nsSelector) && isEmptySelector(nsSelector))
      return "every namespace (namespaceSelector {})";
  }
  return undefined;
}

export const netpolNoAllowAll = resourceRule({
  name: "k8s-netpol-no-allow-all",
  description:
    "NetworkPolicy rules name their peers: no empty from/to, no 0.0.0.0/0 (or ::/0), no namespaceSelector {}.",
  severity: "medium",
  remediation: "Restrict each rule to the namespaces, pods or CIDRs that need the traffic.",
  defaultLevel: "advisory",
  appliesTo: isNetworkPolicy,
  check(resource, _ctx, report) {
    for (const [direction, peersKey] of [
      ["ingress", "from"],
      ["egress", "to"],
    ] as const) {
      const rules = at(resource.props, `spec.${direction}`);
      if (isUnknown(rules)) {
        report.unknown(`spec.${direction}`);
        continue;
      }
      arr(rules).forEach((rule, i) => {
        const where = `spec.${direction}[${i}].${peersKey}`;
        const open = openPeers(at(rule, peersKey), report, where);
        if (!open) return;
        const ports = arr(at(rule, "ports"))
          .map((p) => String(at(p, "port") ?? "all"))
          .join(", ");
        report.violation(
          `NetworkPolicy ${objectName(resource)} ${direction} rule ${i} (${where}) is open to ${open}${ports ? ` on ports ${ports}` : " on every port"}`,
        );
      });
    }
  },
});

export const namespaceQuota: StackRule = stackRule({
  name: "k8s-namespace-quota",
  description: "Every Namespace in the stack has a ResourceQuota and a LimitRange.",
  severity: "low",
  remediation:
    "Add a ResourceQuota (total requests, pods, storage) and a LimitRange (container defaults) to the namespace.",
  defaultLevel: "advisory",
  onUnknown:
    "Namespaces whose name is unknown, or with quota objects that cannot be placed, are reported as not checked (a finding at the rule's level).",
  check(stack, _ctx, report) {
    const quotas = byNamespaceIndex(stack, isKind("ResourceQuota"));
    const limits = byNamespaceIndex(stack, isKind("LimitRange"));
    eachNamespace(stack, report, (ns, nsName) => {
      const missing = [
        quotas.in(nsName).length === 0 ? "ResourceQuota" : "",
        limits.in(nsName).length === 0 ? "LimitRange" : "",
      ].filter((m) => m !== "");
      if (missing.length === 0) return;
      if (quotas.unplaced || limits.unplaced) report.unknown("ResourceQuota / LimitRange namespace", ns);
      else report.violation(`Namespace ${nsName} has no ${missing.join(" and no ")}`, ns);
    });
  },
});

const isService = (type: string) => type === "kubernetes:core/v1:Service";

export const serviceNoNodePort = resourceFieldRule(
  {
    name: "k8s-service-no-nodeport",
    description: "Services are not of type NodePort (which opens a port on every node).",
    severity: "high",
    remediation: "Use a ClusterIP Service behind an Ingress or Route (or an internal LoadBalancer).",
    defaultLevel: "mandatory",
    appliesTo: isService,
  },
  "spec.type",
  (v) => v === "NodePort",
  (r) => `Service ${objectName(r)} is of type NodePort`,
);

/** Annotations that make a cloud load balancer internal (AWS, GKE, Azure, OpenStack). */
export const INTERNAL_LB_ANNOTATIONS: Record<string, string[]> = {
  "service.beta.kubernetes.io/aws-load-balancer-internal": ["true", "0.0.0.0/0"],
  "service.beta.kubernetes.io/aws-load-balancer-scheme": ["internal"],
  "networking.gke.io/load-balancer-type": ["Internal"],
  "cloud.google.com/load-balancer-type": ["Internal", "internal"],
  "service.beta.kubernetes.io/azure-load-balancer-internal": ["true"],
  "service.beta.kubernetes.io/openstack-internal-load-balancer": ["true"],
};

export const serviceNoPublicLb = resourceRule({
  name: "k8s-service-no-public-lb",
  description:
    "LoadBalancer Services carry an internal-load-balancer annotation, and no Service sets externalIPs.",
  severity: "high",
  remediation:
    "Annotate the Service as internal (e.g. service.beta.kubernetes.io/aws-load-balancer-scheme: internal, networking.gke.io/load-balancer-type: Internal) and remove externalIPs; expose through the ingress controller.",
  defaultLevel: "mandatory",
  appliesTo: isService,
  check(resource, _ctx, report) {
    const spec = at(resource.props, "spec");
    if (isUnknown(spec)) return report.unknown("spec");
    flagValue(
      at(spec, "externalIPs"),
      report,
      "spec.externalIPs",
      (v) => arr(v).length > 0,
      () => `Service ${objectName(resource)} sets externalIPs`,
    );
    const type = at(spec, "type");
    if (isUnknown(type)) return report.unknown("spec.type");
    if (type !== "LoadBalancer") return;
    const annotations = at(resource.props, "metadata.annotations");
    if (isUnknown(annotations)) return report.unknown("metadata.annotations");
    const internal = Object.entries(obj(annotations)).some(([k, v]) =>
      INTERNAL_LB_ANNOTATIONS[k]?.includes(String(v)),
    );
    if (!internal)
      report.violation(
        `Service ${objectName(resource)} is a LoadBalancer without an internal-load-balancer annotation`,
      );
  },
});

export const ingressTls = resourceRule({
  name: "k8s-ingress-tls",
  description:
    "Ingresses terminate TLS for every host they serve, and every rule names an exact host (no empty or wildcard host).",
  severity: "high",
  remediation:
    "Add `spec.tls` listing every rule host with its certificate Secret (or a cert-manager issuer annotation); give each rule an exact host.",
  defaultLevel: "mandatory",
  appliesTo: isKind("Ingress"),
  check(resource, _ctx, report) {
    const spec = at(resource.props, "spec");
    if (isUnknown(spec)) return report.unknown("spec");
    const name = objectName(resource);
    const tls = at(spec, "tls");
    if (isUnknown(tls)) return report.unknown("spec.tls");
    const tlsHosts = new Set<string>();
    let tlsUnknown = false;
    for (const t of arr(tls)) {
      for (const h of arr(at(t, "hosts"))) {
        if (isUnknown(h)) tlsUnknown = true;
        else if (typeof h === "string") {
          tlsHosts.add(h);
          if (h.startsWith("*")) report.violation(`Ingress ${name} TLS covers the wildcard host ${h}`);
        }
      }
    }
    if (arr(tls).length === 0) report.violation(`Ingress ${name} has no TLS`);
    if (at(spec, "defaultBackend") !== undefined)
      report.violation(`Ingress ${name} has a defaultBackend, serving any host`);
    const rules = at(spec, "rules");
    if (isUnknown(rules)) return report.unknown("spec.rules");
    arr(rules).forEach((rule, i) => {
      const host = at(rule, "host");
      if (isUnknown(host)) return report.unknown(`spec.rules[${i}].host`);
      if (typeof host !== "string" || host === "")
        return report.violation(`Ingress ${name} rule ${i} has no host`);
      if (host.startsWith("*"))
        return report.violation(`Ingress ${name} rule ${i} has the wildcard host ${host}`);
      if (arr(tls).length > 0 && !tlsHosts.has(host)) {
        if (tlsUnknown) report.unknown(`spec.tls hosts`);
        else report.violation(`Ingress ${name} serves ${host} without TLS (not listed in spec.tls)`);
      }
    });
  },
});

export const routeTls = resourceRule({
  name: "openshift-route-tls",
  description: "OpenShift Routes terminate TLS (edge, reencrypt or passthrough) and do not allow plain HTTP.",
  severity: "high",
  remediation:
    "Set `spec.tls.termination` (edge or reencrypt) and `insecureEdgeTerminationPolicy: Redirect` (or None).",
  defaultLevel: "mandatory",
  appliesTo: (type) => type === "kubernetes:route.openshift.io/v1:Route",
  check(resource, _ctx, report) {
    const tls = at(resource.props, "spec.tls");
    if (isUnknown(tls)) return report.unknown("spec.tls");
    if (!isObject(tls) || tls.termination === undefined)
      return report.violation(`Route ${objectName(resource)} has no TLS`);
    flagValue(
      tls.insecureEdgeTerminationPolicy,
      report,
      "spec.tls.insecureEdgeTerminationPolicy",
      (v) => v === "Allow",
      () => `Route ${objectName(resource)} allows plain HTTP (insecureEdgeTerminationPolicy: Allow)`,
    );
  },
});

export const kubernetesNetworkRules: ResourceRule[] = [
  namespacePssLabels,
  netpolNoAllowAll,
  serviceNoNodePort,
  serviceNoPublicLb,
  ingressTls,
  routeTls,
];
export const kubernetesNetworkStackRules: StackRule[] = [
  namespaceDefaultDeny,
  workloadHasNetpol,
  namespaceQuota,
];
