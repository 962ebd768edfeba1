/**
 * What a set of RBAC roles grants, the way the Kubernetes authorizer resolves it: the grants of
 * each role, Kubernetes' built-in ClusterRoles by name, aggregated ClusterRoles as the union of the
 * ClusterRoles their label selectors match (`RbacIndex`), and the risks a set of grants carries
 * (escalation paths, a shell in a running pod, reading every Secret). The rules are in
 * `kubernetesRbac.ts`.
 */
import { namespaceOf, objectName, selectorMatches } from "./kubernetesObjects";
import { kubernetesGvk } from "./podSpecs";
import type { PolicyResource, Reporter, StackView } from "./rule";
import { arr, at, isUnknown, obj, strings } from "./values";

const RBAC = "kubernetes:rbac.authorization.k8s.io/v1:";
export const kind = (type: string) => kubernetesGvk(type)?.kind;
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
const EDIT_GRANTS: Grant[] = [
  grant([...READ, ...WRITE], [""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets"]),
  grant(["impersonate"], [""], ["serviceaccounts"]),
];

export const BUILT_IN_CLUSTER_ROLES: Record<string, Grant[]> = {
  "cluster-admin": [grant(["*"], ["*"], ["*"]), grant(["*"], [], [], ["*"])],
  admin: [
    ...EDIT_GRANTS,
    grant([...READ, ...WRITE], ["rbac.authorization.k8s.io"], ["roles", "rolebindings"]),
  ],
  edit: EDIT_GRANTS,
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

export function isBuiltInRole(role: PolicyResource): boolean {
  return kind(role.type) === "ClusterRole" && isBuiltInClusterRoleName(objectName(role));
}

/** The rules of a role as written (unknown → reported, and none). */
export function ownGrants(role: PolicyResource, report: Reporter): Grant[] {
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

export const covers = (list: string[], item: string) => list.includes(item) || list.includes("*");
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
export type RiskCheck = (grants: Grant[]) => string[];

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
