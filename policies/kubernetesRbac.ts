/**
 * RBAC rules, judged the way the Kubernetes authorizer grants: by the verbs that authorize an
 * action (exec needs `create`, or `get` over WebSockets), through aggregated ClusterRoles (whose
 * rules are the union of the ClusterRoles their label selectors match), and for the built-in
 * roles (`cluster-admin`, `admin`, `edit`, `view`, `system:*`) where they are bound — their
 * definitions belong to Kubernetes and are reconciled by the API server, so a finding there
 * would have no fix.
 *
 * Unknown values: unknown rules, role references or subjects are reported as not checked (a
 * finding at the rule's level), never passed.
 */
import { namespaceOf, objectName, selectorMatches } from "./kubernetesObjects";
import { kubernetesGvk } from "./podSpecs";
import type { PolicyResource, Reporter, ResourceRule, StackRule, StackView } from "./rule";
import { resourceRule, stackRule, UNKNOWN_NOT_CHECKED } from "./rule";
import { arr, at, isUnknown, obj, str, strings } from "./values";

const RBAC = "kubernetes:rbac.authorization.k8s.io/v1:";
const kind = (type: string) => kubernetesGvk(type)?.kind;
export const isRole = (type: string) => type === `${RBAC}Role` || type === `${RBAC}ClusterRole`;
export const isBinding = (type: string) =>
  type === `${RBAC}RoleBinding` || type === `${RBAC}ClusterRoleBinding`;

/** One PolicyRule of a Role / ClusterRole. */
export interface Grant {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

function grant(
  verbs: string[],
  apiGroups: string[],
  resources: string[],
  nonResourceURLs: string[] = [],
): Grant {
  return { verbs, apiGroups, resources, resourceNames: [], nonResourceURLs };
}

const READ = ["get", "list", "watch"];
const WRITE = ["create", "delete", "deletecollection", "patch", "update"];

/**
 * What the built-in ClusterRoles grant, as far as these rules care (Kubernetes
 * plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go and
 * https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles): `edit` reads
 * Secrets, execs and attaches into pods and impersonates every ServiceAccount of the namespace
 * ("can be used to gain the API access levels of any ServiceAccount"); `admin` adds roles and
 * role bindings; `view` reads neither Secrets nor pods/exec. The discovery roles grant `get` on
 * health, version and discovery URLs (#discovery-roles).
 */
export const BUILT_IN_CLUSTER_ROLES: Record<string, Grant[]> = {
  "cluster-admin": [grant(["*"], ["*"], ["*"]), grant(["*"], [], [], ["*"])],
  admin: [
    grant(
      [...READ, ...WRITE],
      [""],
      ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets"],
    ),
    grant(["impersonate"], [""], ["serviceaccounts"]),
    grant([...READ, ...WRITE], ["rbac.authorization.k8s.io"], ["roles", "rolebindings"]),
  ],
  edit: [
    grant(
      [...READ, ...WRITE],
      [""],
      ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets"],
    ),
    grant(["impersonate"], [""], ["serviceaccounts"]),
  ],
  view: [grant(READ, ["", "apps", "batch"], ["pods", "pods/log", "configmaps", "deployments", "jobs"])],
  "system:public-info-viewer": [
    grant(["get"], [], [], ["/healthz", "/livez", "/readyz", "/version", "/version/"]),
  ],
  "system:discovery": [
    grant(
      ["get"],
      [],
      [],
      [
        "/api",
        "/api/*",
        "/apis",
        "/apis/*",
        "/healthz",
        "/livez",
        "/openapi",
        "/openapi/*",
        "/readyz",
        "/version",
        "/version/",
      ],
    ),
  ],
  "system:basic-user": [
    grant(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
    grant(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
  ],
  "system:auth-delegator": [
    grant(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
    grant(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
  ],
};

/**
 * The built-in aggregation sources and their labels: `system:aggregate-to-edit` is also labelled
 * aggregate-to-admin, `system:aggregate-to-view` all three (bootstrappolicy/policy.go), so a
 * selector on `aggregate-to-admin: "true"` collects edit's and admin's rules.
 */
const AGGREGATION_SOURCES: Array<{ labels: Record<string, string>; grants: Grant[] }> = [
  {
    labels: { "rbac.authorization.k8s.io/aggregate-to-admin": "true" },
    grants: BUILT_IN_CLUSTER_ROLES.admin,
  },
  {
    labels: {
      "rbac.authorization.k8s.io/aggregate-to-admin": "true",
      "rbac.authorization.k8s.io/aggregate-to-edit": "true",
    },
    grants: BUILT_IN_CLUSTER_ROLES.edit,
  },
  {
    labels: {
      "rbac.authorization.k8s.io/aggregate-to-admin": "true",
      "rbac.authorization.k8s.io/aggregate-to-edit": "true",
      "rbac.authorization.k8s.io/aggregate-to-view": "true",
    },
    grants: BUILT_IN_CLUSTER_ROLES.view,
  },
];

/** ClusterRoles Kubernetes owns: the user-facing ones and everything `system:`. */
export function isBuiltInClusterRoleName(name: string): boolean {
  return name in BUILT_IN_CLUSTER_ROLES || name.startsWith("system:");
}

function isBuiltInRole(role: PolicyResource): boolean {
  return kind(role.type) === "ClusterRole" && isBuiltInClusterRoleName(objectName(role));
}

/** The rules of a role as written (unknown → reported, and none). */
function ownGrants(role: PolicyResource, report: Reporter): Grant[] {
  const rules = at(role.props, "rules");
  if (isUnknown(rules)) {
    report.unknown("rules", role);
    return [];
  }
  const out: Grant[] = [];
  arr(rules).forEach((r, i) => {
    if (isUnknown(r) || ["verbs", "apiGroups", "resources"].some((f) => isUnknown(at(r, f)))) {
      report.unknown(`rules[${i}]`, role);
      return;
    }
    out.push({
      verbs: strings(at(r, "verbs")),
      apiGroups: strings(at(r, "apiGroups")),
      resources: strings(at(r, "resources")),
      resourceNames: strings(at(r, "resourceNames")),
      nonResourceURLs: strings(at(r, "nonResourceURLs")),
    });
  });
  return out;
}

/** Roles of the input, indexed the way role references resolve: ClusterRoles by name, Roles by namespace and name. */
export class RbacIndex {
  private readonly clusterRoles = new Map<string, PolicyResource>();
  private readonly roles = new Map<string, PolicyResource>();
  private readonly resolved = new Map<PolicyResource, Grant[]>();

  constructor(
    stack: StackView,
    private readonly report: Reporter,
  ) {
    for (const r of stack.matching(isRole)) {
      if (kind(r.type) === "ClusterRole") this.clusterRoles.set(objectName(r), r);
      else this.roles.set(`${namespaceOf(r, stack) ?? ""}/${objectName(r)}`, r);
    }
  }

  get allRoles(): PolicyResource[] {
    return [...this.clusterRoles.values(), ...this.roles.values()];
  }

  clusterRole(name: string): PolicyResource | undefined {
    return this.clusterRoles.get(name);
  }

  /**
   * What a role grants: its rules, or for an aggregated ClusterRole the rules of every
   * ClusterRole its selectors match — in the input and among Kubernetes' own aggregation sources.
   */
  grantsOf(role: PolicyResource, visiting: Set<PolicyResource> = new Set()): Grant[] {
    const cached = this.resolved.get(role);
    if (cached) return cached;
    const aggregation = at(role.props, "aggregationRule");
    if (kind(role.type) !== "ClusterRole" || aggregation === undefined || aggregation === null) {
      const own = ownGrants(role, this.report);
      this.resolved.set(role, own);
      return own;
    }
    const selectors = at(aggregation, "clusterRoleSelectors");
    if (isUnknown(aggregation) || isUnknown(selectors)) {
      this.report.unknown("aggregationRule", role);
      return [];
    }
    visiting.add(role);
    const out: Grant[] = [];
    for (const selector of arr(selectors)) {
      for (const source of AGGREGATION_SOURCES) {
        if (selectorMatches(selector, source.labels) === true) out.push(...source.grants);
      }
      for (const other of this.clusterRoles.values()) {
        if (visiting.has(other)) continue;
        const labels = at(other.props, "metadata.labels");
        if (isUnknown(labels)) {
          this.report.unknown(`metadata.labels of ClusterRole ${objectName(other)}`, role);
          continue;
        }
        const stringLabels = Object.fromEntries(
          Object.entries(obj(labels)).filter((e): e is [string, string] => typeof e[1] === "string"),
        );
        const m = selectorMatches(selector, stringLabels);
        if (m === "unknown") this.report.unknown("aggregationRule selector", role);
        else if (m) out.push(...this.grantsOf(other, visiting));
      }
    }
    visiting.delete(role);
    this.resolved.set(role, out);
    return out;
  }

  /**
   * What a binding's roleRef grants when the role is Kubernetes' own (judged where bound):
   * the input's definition of it if any, else what Kubernetes ships; undefined for roles judged
   * where they are defined (the input's own roles) or unknown to the pack (a cluster's custom
   * roles outside the input).
   */
  builtInGrantsOfBinding(binding: PolicyResource): { role: string; grants: Grant[] } | undefined {
    const ref = at(binding.props, "roleRef");
    const refKind = at(ref, "kind");
    const name = at(ref, "name");
    if (isUnknown(ref) || isUnknown(refKind) || isUnknown(name)) {
      this.report.unknown("roleRef", binding);
      return undefined;
    }
    if (refKind !== "ClusterRole" || typeof name !== "string" || !isBuiltInClusterRoleName(name))
      return undefined;
    const defined = this.clusterRoles.get(name);
    const grants = [...(BUILT_IN_CLUSTER_ROLES[name] ?? []), ...(defined ? this.grantsOf(defined) : [])];
    return { role: name, grants };
  }
}

const covers = (list: string[], item: string) => list.includes(item) || list.includes("*");
const coversResource = (g: Grant, group: string, resource: string) => {
  if (!covers(g.apiGroups, group)) return false;
  const [base] = resource.split("/");
  return covers(g.resources, resource) || g.resources.includes(`${base}/*`);
};

export const ESCALATION_VERBS = ["escalate", "bind", "impersonate"];
/** What those verbs act on: roles (escalate, bind) and identities (impersonate). */
const ESCALATION_TARGETS: Array<[string, string]> = [
  ["rbac.authorization.k8s.io", "roles"],
  ["rbac.authorization.k8s.io", "clusterroles"],
  ["", "users"],
  ["", "groups"],
  ["", "serviceaccounts"],
];

/** A risk a set of grants carries, phrased for a finding. */
type RiskCheck = (grants: Grant[]) => string[];

/**
 * Escalation paths beyond the escalate / bind / impersonate verbs
 * (https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks):
 * `nodes/proxy` reaches the kubelet API, which runs commands in any pod of the node; creating
 * `serviceaccounts/token` mints tokens of any ServiceAccount; approving CSRs (update on
 * `certificatesigningrequests/approval` plus `approve` on a signer) issues client certificates;
 * writing admission webhook configurations or admission policies lets one rewrite or wave
 * through every object the API server admits.
 */
export const escalationRisks: RiskCheck = (grants) => {
  const found = new Set<string>();
  const csrApproval = grants.some(
    (g) =>
      coversResource(g, "certificates.k8s.io", "certificatesigningrequests/approval") &&
      ["update", "patch", "*"].some((v) => g.verbs.includes(v)),
  );
  const signerApprove = grants.some(
    (g) => coversResource(g, "certificates.k8s.io", "signers") && covers(g.verbs, "approve"),
  );
  if (csrApproval && signerApprove)
    found.add("CSR approval (certificatesigningrequests/approval and signers approve)");
  for (const g of grants) {
    const verbs = g.verbs.filter((v) => ESCALATION_VERBS.includes(v));
    if (verbs.length > 0) found.add(`${verbs.join(", ")} on ${g.resources.join(", ") || "everything"}`);
    else if (g.verbs.includes("*")) {
      // `*` includes escalate / bind (on roles) and impersonate (on users, groups, ServiceAccounts).
      const targets = ESCALATION_TARGETS.filter(([group, resource]) => coversResource(g, group, resource));
      if (targets.length > 0) found.add(`* on ${targets.map(([, r]) => r).join(", ")}`);
    }
    if (coversResource(g, "", "nodes/proxy") && g.verbs.some((v) => !["list", "watch"].includes(v)))
      found.add(`${g.verbs.join(", ")} on nodes/proxy (the kubelet API)`);
    if (coversResource(g, "", "serviceaccounts/token") && covers(g.verbs, "create"))
      found.add("create on serviceaccounts/token");
    for (const r of [
      "mutatingwebhookconfigurations",
      "validatingwebhookconfigurations",
      "validatingadmissionpolicies",
      "validatingadmissionpolicybindings",
      "mutatingadmissionpolicies",
      "mutatingadmissionpolicybindings",
    ]) {
      const writes = g.verbs.filter((v) => [...WRITE, "*"].includes(v));
      if (coversResource(g, "admissionregistration.k8s.io", r) && writes.length > 0)
        found.add(`${writes.join(", ")} on ${r}`);
    }
  }
  return [...found];
};

/**
 * Verbs that open a shell or stream in a pod: `create` (SPDY, and every client on clusters with
 * AuthorizePodWebsocketUpgradeCreatePermission, beta and on by default from 1.35) and `get`
 * (WebSocket clients on clusters before 1.35, where the upgrade GET is authorized as `get`;
 * kubernetes/kubernetes#134577, KEP-4006). `list`, `watch`, `delete` and friends authorize no
 * exec. Adding an ephemeral container (`update`/`patch` on pods/ephemeralcontainers) is a shell too.
 */
export const EXEC_VERBS = ["create", "get", "*"];

export const execRisks: RiskCheck = (grants) => {
  const found = new Set<string>();
  for (const g of grants) {
    for (const sub of ["pods/exec", "pods/attach"]) {
      const verbs = g.verbs.filter((v) => EXEC_VERBS.includes(v));
      if (coversResource(g, "", sub) && verbs.length > 0) found.add(`${verbs.join(", ")} on ${sub}`);
    }
    const debug = g.verbs.filter((v) => ["update", "patch", "*"].includes(v));
    if (coversResource(g, "", "pods/ephemeralcontainers") && debug.length > 0)
      found.add(`${debug.join(", ")} on pods/ephemeralcontainers`);
  }
  return [...found];
};

const SECRET_READ_VERBS = ["get", "list", "watch", "*"];

export const secretReadRisks: RiskCheck = (grants) => {
  const found = new Set<string>();
  for (const g of grants) {
    const reads = g.verbs.filter((v) => SECRET_READ_VERBS.includes(v));
    if (coversResource(g, "", "secrets") && reads.length > 0 && g.resourceNames.length === 0)
      found.add(`${reads.join(", ")} on every Secret`);
  }
  return [...found];
};

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
    onUnknown: UNKNOWN_NOT_CHECKED,
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
  onUnknown: UNKNOWN_NOT_CHECKED,
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
  onUnknown: UNKNOWN_NOT_CHECKED,
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
  onUnknown: UNKNOWN_NOT_CHECKED,
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
