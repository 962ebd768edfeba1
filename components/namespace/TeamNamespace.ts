/**
 * A namespace a team (or the platform itself) works in, safe before anything runs in it:
 *
 * - Pod Security Admission `restricted` enforced, warned and audited (`latest` version), so a pod
 *   that would run privileged, as root or with extra capabilities is refused by the API server
 *   itself, whatever created it. On OpenShift the PSA label sync is switched off for the namespace
 *   so the labels set here stay authoritative (the restricted-v2 SCC still applies).
 * - A default-deny NetworkPolicy (every pod, Ingress and Egress) plus DNS egress to the cluster's
 *   resolver only (`dns`: kube-dns pods, a node-local cache, GKE's Cloud DNS or OpenShift's DNS;
 *   see `kube/clusterDns.ts`). Every other flow is opened by the workload that needs it.
 * - With a quota: a ResourceQuota (CPU, memory, `requests.nvidia.com/gpu`, pods, storage, and no
 *   NodePort or LoadBalancer Services) and a LimitRange giving containers that declare nothing a
 *   small request and a bounded limit.
 * - With groups or members: a namespaced Role (see `teamRole.ts`: explicit verbs, no Secrets, no
 *   exec) bound to them. Nobody is bound when both lists are empty (the platform namespace).
 * - One ServiceAccount per workload, `automountServiceAccountToken: false` (a pod that needs the
 *   API opts in on its own spec), carrying the annotations its workload identity needs.
 *
 * Workloads `dependsOn: ns.ready` so they start only once the namespace and its policies exist.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DNS_LABEL, DNS_LABEL_RULE } from "../kube/names";
import type { ResourceQuotaConfig } from "./settings";
import type { PlatformContext } from "../context";
import type { EgressRule } from "../identity/contract";
import { refusal } from "../argumentProblem";
import { kubeLabels } from "../kube/labels";
import { SUBJECT_NAME_RULE, isSubjectName, systemSubjectProblem } from "../kube/rbacSubjects";
import { ClusterDnsConfig, clusterDnsProblem, defaultClusterDns, dnsEgressRule } from "../kube/clusterDns";
import { isQuantity, minQuantity } from "../kube/quantity";
import { teamRoleRules } from "./teamRole";

/** One workload's identity in the namespace. */
export interface TeamServiceAccount {
  /** ServiceAccount name: a DNS label, unique in the namespace, never `default`. */
  name: string;
  /** Annotations from the workload identity provider (IRSA role ARN, GSA e-mail). Default none. */
  annotations?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface TeamNamespaceArgs {
  ctx: PlatformContext;
  /** Physical namespace name (already prefixed by config): a DNS label outside `kube-*` / `openshift-*`. */
  namespace: string;
  /** Owning team, recorded as the `mlstack.io/team` label; `platform` for the shared platform namespace. */
  team: string;
  /** Identity-provider groups bound to the team Role. May be empty (then with `members`: no binding at all). */
  groups: string[];
  /** Individual users bound to the team Role. May be empty. */
  members: string[];
  /**
   * Resource budget. Unset = no ResourceQuota and no LimitRange (the platform namespace, whose
   * workloads all declare their own resources). Teams always get one from config.
   */
  quota?: ResourceQuotaConfig;
  /** One per workload running here. May be empty. */
  serviceAccounts: TeamServiceAccount[];
  /**
   * Egress every pod of the namespace may use besides DNS: the platform services people's own
   * notebooks and jobs call (the MLflow tracking server). Default none. Each rule must name its
   * peers and ports: an open rule would undo the default deny.
   */
  sharedEgress?: EgressRule[];
  /**
   * The resolver the namespace's pods use (`mlstack:network.dns`). Default the target's usual one:
   * kubernetes and aws the kube-dns pods, gcp Cloud DNS for GKE (Autopilot's default), openshift
   * `openshift-dns`. A wrong resolver blocks all name resolution in the namespace.
   */
  dns?: ClusterDnsConfig;
}

/** Pod Security Admission level every mlstack namespace enforces. */
export const POD_SECURITY_LEVEL = "restricted";

/** Names of the objects inside the namespace: unique because the namespace is. */
export const DEFAULT_DENY_POLICY = "default-deny-all";
export const DNS_EGRESS_POLICY = "allow-dns-egress";
export const SHARED_EGRESS_POLICY = "allow-platform-egress";
export const TEAM_QUOTA = "team-quota";
export const TEAM_LIMITS = "team-limits";
export const TEAM_ROLE = "team-member";
export const TEAM_ROLE_BINDING = "team-members";

/**
 * What a container that declares nothing gets. Small requests so it schedules and counts against
 * the quota; bounded limits so it cannot starve its neighbours. Clamped to the quota when the
 * quota is smaller.
 */
export const CONTAINER_DEFAULTS = {
  request: { cpu: "100m", memory: "256Mi" },
  limit: { cpu: "1", memory: "1Gi" },
};

const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "openshift"];

export class TeamNamespace extends pulumi.ComponentResource {
  /** The namespace's name, known once the Namespace exists (depend on it through this output). */
  readonly namespaceName: pulumi.Output<string>;
  readonly namespace: k8s.core.v1.Namespace;
  /** ServiceAccount name by requested name, resolved once each ServiceAccount exists. */
  readonly serviceAccountNames: Record<string, pulumi.Output<string>>;
  /** Everything a workload in this namespace must wait for: namespace, policies, quota, RBAC, service accounts. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: TeamNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    validateTeamNamespaceArgs(name, args);
    super("mlstack:namespace:TeamNamespace", name, {}, opts);
    const { ctx, team } = args;
    const labels = kubeLabels({
      name: args.namespace,
      component: "namespace",
      environment: ctx.environment,
      team,
    });

    this.namespace = new k8s.core.v1.Namespace(
      name,
      {
        metadata: {
          name: args.namespace,
          labels: { ...labels, ...podSecurityLabels(ctx) },
        },
      },
      // Deleting a namespace deletes everything in it, PVCs included: protected with the stateful resources.
      { parent: this, protect: ctx.protect },
    );
    const namespace = this.namespace.metadata.name;
    const metadata = (objectName: string) => ({ name: objectName, namespace, labels });

    const defaultDeny = new k8s.networking.v1.NetworkPolicy(
      `${name}-default-deny`,
      {
        metadata: metadata(DEFAULT_DENY_POLICY),
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      },
      { parent: this },
    );
    const dnsEgress = new k8s.networking.v1.NetworkPolicy(
      `${name}-dns-egress`,
      {
        metadata: metadata(DNS_EGRESS_POLICY),
        spec: {
          podSelector: {},
          policyTypes: ["Egress"],
          egress: [dnsEgressRule(args.dns ?? defaultClusterDns(ctx.target))],
        },
      },
      { parent: this },
    );
    const ready: pulumi.Resource[] = [this.namespace, defaultDeny, dnsEgress];
    if (args.sharedEgress && args.sharedEgress.length > 0) {
      ready.push(
        new k8s.networking.v1.NetworkPolicy(
          `${name}-platform-egress`,
          {
            metadata: metadata(SHARED_EGRESS_POLICY),
            spec: { podSelector: {}, policyTypes: ["Egress"], egress: args.sharedEgress },
          },
          { parent: this },
        ),
      );
    }

    if (args.quota) {
      const quota = args.quota;
      ready.push(
        new k8s.core.v1.ResourceQuota(
          `${name}-quota`,
          { metadata: metadata(TEAM_QUOTA), spec: { hard: quotaHard(quota) } },
          { parent: this },
        ),
        new k8s.core.v1.LimitRange(
          `${name}-limits`,
          { metadata: metadata(TEAM_LIMITS), spec: { limits: limitRangeItems(quota) } },
          { parent: this },
        ),
      );
    }

    const subjects = [
      ...args.groups.map((group) => ({ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: group })),
      ...args.members.map((user) => ({ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: user })),
    ];
    if (subjects.length > 0) {
      const role = new k8s.rbac.v1.Role(
        `${name}-role`,
        { metadata: metadata(TEAM_ROLE), rules: teamRoleRules(ctx.flavor) },
        { parent: this },
      );
      const binding = new k8s.rbac.v1.RoleBinding(
        `${name}-role-binding`,
        {
          metadata: metadata(TEAM_ROLE_BINDING),
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
          subjects,
        },
        { parent: this },
      );
      ready.push(role, binding);
    }

    this.serviceAccountNames = {};
    for (const sa of args.serviceAccounts) {
      const account = new k8s.core.v1.ServiceAccount(
        `${name}-sa-${sa.name}`,
        {
          metadata: {
            name: sa.name,
            namespace,
            labels: kubeLabels({
              name: sa.name,
              component: "service-account",
              environment: ctx.environment,
              team,
            }),
            annotations: sa.annotations ?? {},
          },
          automountServiceAccountToken: false,
        },
        { parent: this },
      );
      this.serviceAccountNames[sa.name] = account.metadata.name;
      ready.push(account);
    }

    this.namespaceName = namespace;
    this.ready = ready;
    this.registerOutputs({
      namespaceName: this.namespaceName,
      serviceAccountNames: this.serviceAccountNames,
    });
  }
}

/** PSA `restricted` enforced, warned and audited against the newest policy version. */
function podSecurityLabels(ctx: PlatformContext): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of ["enforce", "warn", "audit"]) {
    labels[`pod-security.kubernetes.io/${mode}`] = POD_SECURITY_LEVEL;
    labels[`pod-security.kubernetes.io/${mode}-version`] = "latest";
  }
  // OpenShift's label syncer would otherwise rewrite warn/audit from the SCCs the namespace's users hold.
  if (ctx.flavor === "openshift") labels["security.openshift.io/scc.podSecurityLabelSync"] = "false";
  return labels;
}

function quotaHard(quota: ResourceQuotaConfig): Record<string, string> {
  return {
    "requests.cpu": quota.cpu,
    "requests.memory": quota.memory,
    "requests.nvidia.com/gpu": String(quota.gpu),
    pods: String(quota.pods),
    "requests.storage": quota.storage,
    // Exposure is the platform's (Ingress / Route with TLS); a team cannot open a node port or a public LB.
    "services.nodeports": "0",
    "services.loadbalancers": "0",
  };
}

/**
 * Containers: defaults from `CONTAINER_DEFAULTS` clamped to the quota, and no single container
 * may ask more than the whole namespace budget (the quota counts requests; this bounds limits too).
 * PVCs: none larger than the namespace's storage budget.
 */
function limitRangeItems(quota: ResourceQuotaConfig): k8s.types.input.core.v1.LimitRangeItem[] {
  const cap = (value: string, max: string) => minQuantity(value, max);
  return [
    {
      type: "Container",
      defaultRequest: {
        cpu: cap(CONTAINER_DEFAULTS.request.cpu, quota.cpu),
        memory: cap(CONTAINER_DEFAULTS.request.memory, quota.memory),
      },
      default: {
        cpu: cap(CONTAINER_DEFAULTS.limit.cpu, quota.cpu),
        memory: cap(CONTAINER_DEFAULTS.limit.memory, quota.memory),
      },
      max: { cpu: quota.cpu, memory: quota.memory },
    },
    { type: "PersistentVolumeClaim", max: { storage: quota.storage } },
  ];
}

/** Throws on the first argument config validation could not have caught, before anything is registered. */
export function validateTeamNamespaceArgs(name: string, args: TeamNamespaceArgs): void {
  const fail = refusal(`TeamNamespace ${name}`);
  if (!DNS_LABEL.test(args.namespace)) fail("namespace", args.namespace, `is not ${DNS_LABEL_RULE}`);
  if (
    RESERVED_NAMESPACES.includes(args.namespace) ||
    args.namespace.startsWith("kube-") ||
    args.namespace.startsWith("openshift-")
  ) {
    fail(
      "namespace",
      args.namespace,
      "is reserved by Kubernetes or OpenShift; choose a namespace of the platform's own",
    );
  }
  if (!DNS_LABEL.test(args.team)) fail("team", args.team, `is not ${DNS_LABEL_RULE}`);
  if (args.dns) {
    const problem = clusterDnsProblem(args.dns, args.ctx.target);
    if (problem) fail(`dns.${problem.key}`, problem.value, problem.allowed);
  }

  const subjects: Array<[string, string[]]> = [
    ["groups", args.groups],
    ["members", args.members],
  ];
  for (const [arg, list] of subjects) {
    list.forEach((subject, i) => {
      if (typeof subject !== "string" || !isSubjectName(subject)) {
        fail(`${arg}[${i}]`, subject, `is not ${SUBJECT_NAME_RULE}`);
      }
      const system = systemSubjectProblem(subject);
      if (system) fail(`${arg}[${i}]`, subject, system);
      if (list.indexOf(subject) !== i) fail(`${arg}[${i}]`, subject, "is listed twice");
    });
  }

  (args.sharedEgress ?? []).forEach((rule, i) => {
    const to = rule.to as unknown[] | undefined;
    const ports = rule.ports as unknown[] | undefined;
    if (!Array.isArray(to) || to.length === 0 || !Array.isArray(ports) || ports.length === 0) {
      fail(
        `sharedEgress[${i}]`,
        rule,
        "must name its peers (to) and ports; an open rule would undo the default deny",
      );
    }
  });

  const seen = new Set<string>();
  args.serviceAccounts.forEach((sa, i) => {
    if (!DNS_LABEL.test(sa.name)) fail(`serviceAccounts[${i}].name`, sa.name, `is not ${DNS_LABEL_RULE}`);
    if (sa.name === "default") {
      fail(
        `serviceAccounts[${i}].name`,
        sa.name,
        "is the namespace's default account; give the workload its own",
      );
    }
    if (seen.has(sa.name)) fail(`serviceAccounts[${i}].name`, sa.name, "is used by another service account");
    seen.add(sa.name);
  });

  if (args.quota) {
    const q = args.quota;
    for (const key of ["cpu", "memory", "storage"] as const) {
      if (!isQuantity(q[key]))
        fail(`quota.${key}`, q[key], "is not a Kubernetes quantity such as 500m, 2, 16Gi");
    }
    if (!Number.isInteger(q.gpu) || q.gpu < 0)
      fail("quota.gpu", q.gpu, "must be a whole number of GPUs, 0 or more");
    if (!Number.isInteger(q.pods) || q.pods < 1)
      fail("quota.pods", q.pods, "must be a whole number of pods, 1 or more");
  }
}
