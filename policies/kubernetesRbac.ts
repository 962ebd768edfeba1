/**
 * RBAC rules, judged the way the Kubernetes authorizer grants (the grants model is in
 * `rbacGrants.ts`): by the verbs that authorize an action (exec needs `create`, or `get` over
 * WebSockets), through aggregated ClusterRoles (whose
 * rules are the union of the ClusterRoles their label selectors match), and for the built-in
 * roles (`cluster-admin`, `admin`, `edit`, `view`, `system:*`) where they are bound — their
 * definitions belong to Kubernetes and are reconciled by the API server, so a finding there
 * would have no fix.
 *
 * Unknown values: unknown rules, role references or subjects are reported as not checked (a
 * finding at the rule's level), never passed.
 */
import { objectName } from "./kubernetesObjects";
import type { PolicyResource, Reporter, ResourceRule, StackRule } from "./rule";
import { resourceRule, stackRule, UNKNOWN_NOT_CHECKED } from "./rule";
import { arr, at, isUnknown, str } from "./values";
import {
  escalationRisks,
  execRisks,
  Grant,
  isBinding,
  isRole,
  RbacIndex,
  secretReadRisks,
  kind,
  isBuiltInRole,
  ownGrants,
  covers,
  RiskCheck,
} from "./rbacGrants";

const roleLabel = (r: PolicyResource) => `${kind(r.type)} ${objectName(r)}`;

/**
 * A stack rule that judges what roles grant: each role of the input that is not Kubernetes' own
 * where it is defined (aggregation resolved), each binding of a built-in role where it is bound.
 */
function grantRule(
  meta: {
    name: string;
    description: string;
    severity: "medium" | "high";
    remediation: string;
    defaultLevel: "mandatory" | "advisory";
  },
  risks: RiskCheck,
  scope: { clusterWideOnly?: boolean } = {},
): StackRule {
  return stackRule({
    ...meta,
    check(stack, _ctx, report) {
      const index = new RbacIndex(stack, report);
      for (const role of index.allRoles) {
        if (isBuiltInRole(role)) continue;
        if (scope.clusterWideOnly && kind(role.type) !== "ClusterRole") continue;
        for (const risk of risks(index.grantsOf(role)))
          report.violation(`${roleLabel(role)} grants ${risk}`, role);
      }
      for (const binding of stack.matching(isBinding)) {
        if (scope.clusterWideOnly && kind(binding.type) !== "ClusterRoleBinding") continue;
        const builtIn = index.builtInGrantsOfBinding(binding);
        if (!builtIn || builtIn.role === "cluster-admin") continue;
        for (const risk of risks(builtIn.grants))
          report.violation(
            `${roleLabel(binding)} binds the built-in ClusterRole ${builtIn.role}, which grants ${risk}`,
            binding,
          );
      }
    },
  });
}

export const rbacNoEscalationVerbs = grantRule(
  {
    name: "k8s-rbac-no-escalation-verbs",
    description:
      "No role grants a way to escalate privileges: the escalate, bind or impersonate verbs, nodes/proxy (the kubelet API), creating serviceaccounts/token, CSR approval (certificatesigningrequests/approval with signers approve), or writes to admission webhook configurations and admission policies. Aggregated ClusterRoles are judged by what they aggregate; built-in roles (admin and edit impersonate ServiceAccounts) where they are bound.",
    severity: "high",
    remediation:
      "Remove the escalating verbs and resources from the role (or do not bind admin / edit); give controllers that need one of them a dedicated, narrowly scoped role with resourceNames.",
    defaultLevel: "mandatory",
  },
  escalationRisks,
);

export const rbacNoExecAttach = grantRule(
  {
    name: "k8s-rbac-no-exec-attach",
    description:
      "No role grants a shell in a running pod: pods/exec or pods/attach with a verb that authorizes it (create, or get for WebSocket clients), or update/patch on pods/ephemeralcontainers. Aggregated ClusterRoles are judged by what they aggregate; built-in roles (admin, edit) where they are bound.",
    severity: "medium",
    remediation:
      "Remove pods/exec, pods/attach and pods/ephemeralcontainers (or their create / get / update verbs); use logs and metrics, and debug through an admin.",
    defaultLevel: "advisory",
  },
  execRisks,
);

export const rbacSecretsReadScoped = grantRule(
  {
    name: "k8s-rbac-secrets-read-scoped",
    description:
      "No ClusterRole grants get/list/watch on all Secrets, and no ClusterRoleBinding binds a built-in role that reads Secrets (admin, edit) cluster-wide; aggregated ClusterRoles are judged by what they aggregate.",
    severity: "medium",
    remediation:
      "Grant Secret reads in a namespaced Role, limited with resourceNames to the Secrets the subject needs.",
    defaultLevel: "advisory",
  },
  secretReadRisks,
  { clusterWideOnly: true },
);

export const rbacNoWildcards = resourceRule({
  name: "k8s-rbac-no-wildcards",
  description:
    "Roles and ClusterRoles name their verbs, resources and API groups: no `*` (Kubernetes' own ClusterRoles — cluster-admin, admin, edit, view, system:* — are not judged for their definitions; binding cluster-admin has its own rule).",
  severity: "high",
  remediation: "Replace `*` with the exact verbs, resources and API groups the subject needs.",
  defaultLevel: "mandatory",
  appliesTo: isRole,
  check(resource, _ctx, report) {
    if (isBuiltInRole(resource)) return;
    ownGrants(resource, report).forEach((g, i) => {
      const fields = (["verbs", "resources", "apiGroups"] as const).filter((f) => g[f].includes("*"));
      if (fields.length > 0)
        report.violation(`${roleLabel(resource)} rule ${i} has * in ${fields.join(", ")}`);
    });
  },
});

function roleRefName(resource: PolicyResource, report: Reporter): string | undefined {
  const ref = at(resource.props, "roleRef");
  const name = at(ref, "name");
  if (isUnknown(ref) || isUnknown(name)) {
    report.unknown("roleRef.name");
    return undefined;
  }
  if (typeof name !== "string" || name === "") {
    // Kubernetes rejects a binding without a roleRef; a document that lost it cannot be judged.
    report.unknown("roleRef.name (missing)");
    return undefined;
  }
  return name;
}

export const rbacNoClusterAdminBinding = resourceRule({
  name: "k8s-rbac-no-cluster-admin-binding",
  description: "No RoleBinding or ClusterRoleBinding grants cluster-admin.",
  severity: "critical",
  remediation: "Bind a role with only the permissions the subject needs.",
  defaultLevel: "mandatory",
  onUnknown: `${UNKNOWN_NOT_CHECKED} A binding without a roleRef is reported the same way.`,
  appliesTo: isBinding,
  check(resource, _ctx, report) {
    if (roleRefName(resource, report) === "cluster-admin")
      report.violation(`${roleLabel(resource)} grants cluster-admin`);
  },
});

/** Subjects that mean "everyone": anonymous requests, and every (un)authenticated caller. */
export const PUBLIC_SUBJECTS = ["system:anonymous", "system:unauthenticated", "system:authenticated"];

/**
 * The bindings Kubernetes itself creates for those subjects, and the only ones allowed
 * (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#discovery-roles; KEP-789 removed
 * system:unauthenticated from system:discovery and system:basic-user in 1.14):
 * system:public-info-viewer (health and version URLs) for authenticated and unauthenticated
 * callers, system:discovery and system:basic-user for authenticated ones.
 */
export const DEFAULT_PUBLIC_BINDINGS: Record<string, string[]> = {
  "system:public-info-viewer": ["system:authenticated", "system:unauthenticated"],
  "system:discovery": ["system:authenticated"],
  "system:basic-user": ["system:authenticated"],
};

/** Whether a role grants only `get` on non-resource URLs (what the discovery roles do). */
function readOnlyDiscovery(grants: Grant[]): boolean {
  return grants.every(
    (g) => g.resources.length === 0 && g.nonResourceURLs.length > 0 && g.verbs.every((v) => v === "get"),
  );
}

export const rbacNoPublicSubjects: StackRule = stackRule({
  name: "k8s-rbac-no-public-subjects",
  description:
    "No RoleBinding or ClusterRoleBinding grants anything to system:anonymous, system:unauthenticated or system:authenticated (every caller, or every caller with any credential) — except Kubernetes' own read-only discovery bindings: system:public-info-viewer to system:authenticated / system:unauthenticated, system:discovery and system:basic-user to system:authenticated, while those roles grant only what Kubernetes ships.",
  severity: "critical",
  remediation:
    "Bind the role to the named groups, users or ServiceAccounts that need it, never to every caller.",
  defaultLevel: "mandatory",
  check(stack, _ctx, report) {
    const index = new RbacIndex(stack, report);
    for (const binding of stack.matching(isBinding)) {
      const subjects = at(binding.props, "subjects");
      if (isUnknown(subjects)) {
        report.unknown("subjects", binding);
        continue;
      }
      const ref = at(binding.props, "roleRef");
      const refName = at(ref, "name");
      const refKind = at(ref, "kind");
      arr(subjects).forEach((s, i) => {
        const name = at(s, "name");
        if (isUnknown(s) || isUnknown(name)) return report.unknown(`subjects[${i}]`, binding);
        if (typeof name !== "string" || !PUBLIC_SUBJECTS.includes(name)) return;
        if (isUnknown(ref) || isUnknown(refName) || isUnknown(refKind))
          return report.unknown("roleRef", binding);
        const roleName = str(refName) ?? "";
        const allowed = refKind === "ClusterRole" && (DEFAULT_PUBLIC_BINDINGS[roleName] ?? []).includes(name);
        const redefined = allowed ? index.clusterRole(roleName) : undefined;
        if (allowed && (!redefined || readOnlyDiscovery(index.grantsOf(redefined)))) return;
        report.violation(
          `${roleLabel(binding)} grants ${String(refKind ?? "role")} ${roleName || "(none)"} to ${at(s, "kind") ?? "subject"} ${name} (subjects[${i}]): ${name === "system:authenticated" ? "every caller with any credential" : "every caller, without credentials"}`,
          binding,
        );
      });
    }
  },
});

/** OpenShift SCCs that lift restricted-v2's guarantees. */
export const PRIVILEGED_SCCS = [
  "anyuid",
  "privileged",
  "hostaccess",
  "hostmount-anyuid",
  "hostnetwork",
  "hostnetwork-v2",
  "node-exporter",
];

export const noPrivilegedScc = resourceRule({
  name: "openshift-no-privileged-scc",
  description: `Nothing is granted an OpenShift SCC beyond restricted-v2 (${PRIVILEGED_SCCS.join(", ")}), by binding or by a role's \`use\` verb (Kubernetes' own ClusterRoles are judged where bound: cluster-admin by k8s-rbac-no-cluster-admin-binding).`,
  severity: "critical",
  remediation:
    "Remove the binding; fix the workload to run under restricted-v2 (no fixed UID, no host access).",
  defaultLevel: "mandatory",
  appliesTo: (type) => isBinding(type) || isRole(type),
  check(resource, _ctx, report) {
    if (isBinding(resource.type)) {
      const ref = roleRefName(resource, report);
      const scc = ref?.startsWith("system:openshift:scc:")
        ? ref.slice("system:openshift:scc:".length)
        : undefined;
      if (scc && PRIVILEGED_SCCS.includes(scc))
        report.violation(`${roleLabel(resource)} grants the ${scc} SCC`);
      return;
    }
    if (isBuiltInRole(resource)) return;
    ownGrants(resource, report).forEach((g, i) => {
      const sccGroup = covers(g.apiGroups, "security.openshift.io");
      const sccResource = covers(g.resources, "securitycontextconstraints");
      if (!sccGroup || !sccResource || !covers(g.verbs, "use")) return;
      const named = g.resourceNames.filter((n) => PRIVILEGED_SCCS.includes(n));
      if (g.resourceNames.length === 0)
        report.violation(`${roleLabel(resource)} rule ${i} may use every SCC`);
      else if (named.length > 0)
        report.violation(`${roleLabel(resource)} rule ${i} may use the ${named.join(", ")} SCC`);
    });
  },
});

export const kubernetesRbacRules: ResourceRule[] = [
  rbacNoWildcards,
  rbacNoClusterAdminBinding,
  noPrivilegedScc,
];
export const kubernetesRbacStackRules: StackRule[] = [
  rbacNoPublicSubjects,
  rbacNoEscalationVerbs,
  rbacNoExecAttach,
  rbacSecretsReadScoped,
];
