/**
 * The facts and checks of test/stacks/devOnKind.test.ts: what a fresh kind cluster has, what the
 * developer installs first, which chart installs which CRDs (each with its source), the rules a
 * plan is held to (pure functions of the plan), and a plan of `dev` with the dependency list the
 * engine would receive for every resource.
 */
import { RecordedResource, revealSecrets } from "../../cli/mockRuntime";
import type { PlanResult } from "../../cli/plan";
import type { Json } from "../support/config";
import { shippedPlanWithDependencies } from "../support/shippedPlans";

// ---------------------------------------------------------------------------------------------
// Facts (data, each with its source)
// ---------------------------------------------------------------------------------------------

/** What a cluster made by `kind create cluster` has before anything is installed. */
export const FRESH_KIND = {
  /**
   * default, kube-system, kube-public, kube-node-lease: the API server's own initial namespaces
   * (kubernetes/website content/en/docs/concepts/overview/working-with-objects/namespaces.md,
   * "Initial namespaces"). local-path-storage: kind's default storage manifest
   * (kubernetes-sigs/kind pkg/build/nodeimage/const_storage.go at 01d9cb22, `defaultStorageManifest`).
   */
  namespaces: ["default", "kube-system", "kube-public", "kube-node-lease", "local-path-storage"],
  /**
   * `standard`, provisioner rancher.io/local-path, annotated
   * `storageclass.kubernetes.io/is-default-class: "true"`, applied at cluster creation
   * (kubernetes-sigs/kind pkg/build/nodeimage/const_storage.go at 01d9cb22, applied by
   * pkg/cluster/internal/create/actions/installstorage/storage.go at 2a21cdcc; older node images
   * fall back to a host-path `standard` class, also the default).
   */
  storageClasses: [{ name: "standard", isDefault: true }],
  /**
   * None: kind's node image installs no ingress controller; its Ingress guide (kubernetes-sigs/kind
   * site/content/docs/user/ingress.md at 0088b04b) has the user run cloud-provider-kind (v0.9.0+)
   * beside the cluster, or install a third-party controller.
   */
  ingressClasses: [] as Array<{ name: string; isDefault: boolean }>,
  /**
   * None: kind's node image applies only kindnet (which dev turns off), the storage manifest above
   * and kubeadm's own objects; it serves no CustomResourceDefinition.
   */
  crdGroups: [] as string[],
  /**
   * Labels of the pods a fresh cluster runs in its own namespaces that dev's policies select:
   * CoreDNS, which kind deploys through kubeadm, carries `k8s-app: kube-dns`
   * (kubernetes/kubernetes cmd/kubeadm/app/phases/addons/dns/manifests.go at 008b3652,
   * CoreDNSDeployment's pod template).
   */
  /**
   * Aggregated metrics APIs: none. kind's node image applies only the manifests in
   * kubernetes-sigs/kind pkg/build/nodeimage (const_cni.go, const_network_policy.go,
   * const_storage.go); none of them is a metrics-server, so metrics.k8s.io is not served.
   */
  metricsApis: [] as string[],
  podLabels: { "kube-system": [{ "k8s-app": "kube-dns" }] } as Record<string, Array<Record<string, string>>>,
};

/**
 * What the developer installs before `pulumi up`: Cilium, because dev sets `network.cni: cilium`
 * and kind's default CNI (kindnetd) is turned off with `networking.disableDefaultCNI: true`
 * (kubernetes-sigs/kind site/content/docs/user/configuration.md, "Disable Default CNI"). The
 * Cilium agent registers its CRDs itself (cilium.io, CiliumNetworkPolicy among them), so they are
 * served once the agent runs (cilium/cilium Documentation/installation/kind.rst: the Helm install
 * on kind; the CRD schema mlstack writes against is Cilium v1.20.2, test/real/support/operatorCrds.ts).
 */
export const DEVELOPER_INSTALLS_FIRST = {
  what: "Cilium (docs/dev-on-kind.md, step 2)",
  crdGroups: ["cilium.io"],
  namespaces: [] as string[],
};

/** How a chart dev installs ships the CRDs of an API group. */
export interface CrdInstaller {
  /** `chart` of the kubernetes:helm.sh/v4:Chart that ships the CRDs. */
  chart: string;
  /** The chart value that must be true for the CRDs to be rendered; absent: the chart's crds/ folder, which Helm installs unless skipCrds. */
  crdValue?: string[];
  source: string;
}

/** API group → the chart that installs its CRDs. A group missing here has no installer in dev. */
export const CRD_INSTALLERS: Record<string, CrdInstaller> = {
  "kafka.strimzi.io": {
    chart: "oci://quay.io/strimzi-helm/strimzi-kafka-operator",
    source:
      "strimzi/strimzi-kafka-operator packaging/helm-charts/helm3/strimzi-kafka-operator/crds/ (040-Crd-kafka.yaml … 04A-Crd-kafkanodepool.yaml)",
  },
  "postgresql.cnpg.io": {
    chart: "cloudnative-pg",
    crdValue: ["crds", "create"],
    source: "cloudnative-pg/charts charts/cloudnative-pg/templates/crds/crds.yaml, gated by crds.create",
  },
  "barmancloud.cnpg.io": {
    chart: "plugin-barman-cloud",
    crdValue: ["crds", "create"],
    source:
      "cloudnative-pg/charts charts/plugin-barman-cloud/templates/crds/crds.yaml, gated by crds.create (values.yaml: default true)",
  },
  "keda.sh": {
    chart: "keda",
    crdValue: ["crds", "install"],
    source:
      "kedacore/charts keda/templates/crds/crd-scaledobjects.yaml, crd-triggerauthentications.yaml, gated by crds.install",
  },
  "cert-manager.io": {
    chart: "cert-manager",
    crdValue: ["crds", "enabled"],
    source:
      "cert-manager/cert-manager deploy/charts/cert-manager/values.yaml at 001eb00d (crds.enabled), as components/operators/certManager.ts records",
  },
  "serving.kserve.io": {
    chart: "oci://ghcr.io/kserve/charts/kserve-crd",
    source: "kserve/kserve charts/kserve-crd (components/versions/pins.ts: the kserve-crd chart)",
  },
};

/**
 * Charts whose templates render custom resources of another group: they must wait for the chart
 * that installs that group (and serves its webhook).
 */
export const CHART_RENDERS: Record<string, { groups: string[]; source: string }> = {
  "plugin-barman-cloud": {
    groups: ["cert-manager.io"],
    source:
      "cloudnative-pg/charts charts/plugin-barman-cloud/templates/certificate-issuer.yaml, server-certificate.yaml, client-certificate.yaml (values.yaml certificate.createServerCertificate: true)",
  },
};

/**
 * Charts dev may install that serve an aggregated metrics API: KEDA's metrics server registers
 * v1beta1.external.metrics.k8s.io (components/operators/keda.ts; kedacore/charts
 * keda/templates/metrics-server/apiservice.yaml).
 */
export const METRICS_API_CHARTS: Record<string, string> = { "external.metrics.k8s.io": "keda" };

/** API groups Kubernetes serves itself. */
export const BUILT_IN_GROUPS = new Set([
  "core",
  "apps",
  "batch",
  "policy",
  "autoscaling",
  "networking.k8s.io",
  "rbac.authorization.k8s.io",
  "storage.k8s.io",
  "scheduling.k8s.io",
  "coordination.k8s.io",
  "admissionregistration.k8s.io",
  "apiextensions.k8s.io",
]);

// ---------------------------------------------------------------------------------------------
// The checks (pure functions of the plan)
// ---------------------------------------------------------------------------------------------

export interface DevPlan {
  resources: RecordedResource[];
  /** URN → the URNs the engine is told the resource depends on (explicit dependsOn and inputs). */
  dependencies: Map<string, string[]>;
}

export const CHART = "kubernetes:helm.sh/v4:Chart";
export const NAMESPACE = "kubernetes:core/v1:Namespace";

export function groupOf(type: string): string | undefined {
  const m = /^kubernetes:([^:]+)\/[^/:]+:[^:]+$/.exec(type);
  return m ? m[1] : undefined;
}

export function body(r: RecordedResource): Json {
  return revealSecrets(r.inputs) as Json;
}

function label(r: RecordedResource): string {
  const meta = body(r).metadata ?? {};
  const name = typeof meta.name === "string" ? meta.name : r.name;
  return `${r.type.replace(/^kubernetes:/, "")} ${meta.namespace ? `${meta.namespace}/` : ""}${name}`;
}

/** Everything `urn` waits for, transitively. */
function waitsFor(plan: DevPlan, urn: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(plan.dependencies.get(urn) ?? [])];
  while (todo.length > 0) {
    const next = todo.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    todo.push(...(plan.dependencies.get(next) ?? []));
  }
  return seen;
}

export function charts(plan: DevPlan): RecordedResource[] {
  return plan.resources.filter((r) => r.type === CHART);
}

function chartNamed(plan: DevPlan, chart: string): RecordedResource | undefined {
  return charts(plan).find((c) => body(c).chart === chart);
}

function valueAt(values: Json, keys: string[]): unknown {
  return keys.reduce<Json>((v, k) => (v === undefined || v === null ? undefined : v[k]), values);
}

/** Rules 1 and 2: CRDs are installed by the plan (or present) and custom resources wait for them. */
export function crdGaps(plan: DevPlan): string[] {
  const gaps: string[] = [];
  const preinstalled = new Set([...FRESH_KIND.crdGroups, ...DEVELOPER_INSTALLS_FIRST.crdGroups]);
  for (const r of plan.resources) {
    const group = groupOf(r.type);
    if (!group || r.type === CHART || BUILT_IN_GROUPS.has(group) || preinstalled.has(group)) continue;
    const installer = CRD_INSTALLERS[group];
    if (!installer) {
      gaps.push(
        `${label(r)}: no chart in dev installs the CRDs of ${group}, and a fresh kind cluster does not have them`,
      );
      continue;
    }
    const chart = chartNamed(plan, installer.chart);
    if (!chart) {
      gaps.push(`${label(r)}: ${group} comes from chart ${installer.chart}, which dev does not install`);
      continue;
    }
    const inputs = body(chart);
    if (
      inputs.skipCrds === true ||
      (installer.crdValue && valueAt(inputs.values, installer.crdValue) !== true)
    )
      gaps.push(
        `${label(r)}: chart ${installer.chart} is installed without its CRDs (${installer.crdValue?.join(".") ?? "skipCrds"})`,
      );
    if (!waitsFor(plan, r.urn).has(chart.urn))
      gaps.push(`${label(r)}: does not wait for chart ${installer.chart} (its CRDs and webhooks)`);
  }
  for (const [chartName, { groups }] of Object.entries(CHART_RENDERS)) {
    const chart = chartNamed(plan, chartName);
    if (!chart) continue;
    for (const group of groups) {
      const installer = CRD_INSTALLERS[group];
      const other = installer && chartNamed(plan, installer.chart);
      if (!other)
        gaps.push(`chart ${chartName} renders ${group} objects, but dev does not install their chart`);
      else if (!waitsFor(plan, chart.urn).has(other.urn))
        gaps.push(
          `chart ${chartName} renders ${group} objects but does not wait for chart ${installer.chart}`,
        );
    }
  }
  return gaps;
}

/**
 * Namespaces an operator chart is told to work in. Strimzi's chart creates RoleBindings in each of
 * its `watchNamespaces` (strimzi/strimzi-kafka-operator packaging/helm-charts/helm3/
 * strimzi-kafka-operator/templates/020-RoleBinding-strimzi-cluster-operator.yaml ranges over
 * them), so it must wait for them; CloudNativePG reads WATCH_NAMESPACE at start-up and only
 * watches, so those must exist but need not come first.
 */
function watchedNamespaces(r: RecordedResource): { name: string; mustWait: boolean }[] {
  if (r.type !== CHART) return [];
  const values = body(r).values ?? {};
  const watched = ((values.watchNamespaces as string[] | undefined) ?? []).map((name) => ({
    name,
    mustWait: true,
  }));
  for (const env of (values.additionalEnv as Array<{ name: string; value?: string }> | undefined) ?? [])
    if (env.name === "WATCH_NAMESPACE" && env.value)
      watched.push(
        ...env.value
          .split(",")
          .filter(Boolean)
          .map((name) => ({ name, mustWait: false })),
      );
  return watched;
}

/**
 * Rule 3: every object's namespace and every namespace an operator works in exists, in the plan or
 * on the fresh cluster; a chart waits for the namespace it installs into and for those it writes
 * RoleBindings in. A plain object need not wait for its Namespace: the Kubernetes provider retries
 * a create that fails with NotFound or an unknown kind, which tolerates "a Pod before the Namespace
 * it goes in" (pulumi/pulumi-kubernetes provider/pkg/await/await.go, `Creation`: SleepingRetry
 * WithMaxRetries(5) on apierrors.IsNotFound and meta.IsNoMatchError), and a Namespace is created
 * at once. A namespace named only in a NetworkPolicy selector is not checked: selecting an absent
 * namespace admits nothing.
 */
export function namespaceGaps(plan: DevPlan): string[] {
  const gaps: string[] = [];
  const planned = new Map(
    plan.resources.filter((r) => r.type === NAMESPACE).map((r) => [body(r).metadata.name as string, r]),
  );
  const present = new Set([...FRESH_KIND.namespaces, ...DEVELOPER_INSTALLS_FIRST.namespaces]);
  const missing = (ns: string) => !planned.has(ns) && !present.has(ns);
  for (const r of plan.resources) {
    if (!r.type.startsWith("kubernetes:") || r.type === NAMESPACE) continue;
    const b = body(r);
    const own: string | undefined = r.type === CHART ? b.namespace : b.metadata?.namespace;
    if (own && missing(own))
      gaps.push(`${label(r)}: namespace ${own} is neither in the plan nor on a fresh kind cluster`);
    const mustWaitFor = [
      ...(r.type === CHART && own ? [own] : []),
      ...watchedNamespaces(r)
        .filter((w) => w.mustWait)
        .map((w) => w.name),
    ];
    for (const w of watchedNamespaces(r))
      if (missing(w.name))
        gaps.push(
          `${label(r)}: the operator watches ${w.name}, which is neither in the plan nor on a fresh kind cluster`,
        );
    for (const ns of mustWaitFor) {
      const namespace = planned.get(ns);
      if (namespace && !waitsFor(plan, r.urn).has(namespace.urn))
        gaps.push(`${label(r)}: does not wait for Namespace ${ns}`);
    }
  }
  return gaps;
}

/**
 * Rule 5: a NetworkPolicy peer that selects pods in one of the fresh cluster's own namespaces
 * (DNS egress to kube-system) selects labels such pods carry; otherwise the rule admits nothing
 * and, for DNS, every pod in the namespace loses name resolution.
 */
export function podSelectorGaps(plan: DevPlan): string[] {
  const gaps: string[] = [];
  for (const r of plan.resources) {
    const b = body(r);
    if (b.kind !== "NetworkPolicy") continue;
    const rules = [
      ...(b.spec?.egress ?? []).map((e: Json) => e.to),
      ...(b.spec?.ingress ?? []).map((i: Json) => i.from),
    ];
    for (const peers of rules)
      for (const peer of (peers as Json[] | undefined) ?? []) {
        const ns = peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"];
        const wanted = peer.podSelector?.matchLabels as Record<string, string> | undefined;
        const known = typeof ns === "string" ? FRESH_KIND.podLabels[ns] : undefined;
        if (!known || !wanted || Object.keys(wanted).length === 0) continue;
        const matches = known.some((labels) => Object.entries(wanted).every(([k, v]) => labels[k] === v));
        if (!matches)
          gaps.push(
            `${label(r)}: selects pods ${JSON.stringify(wanted)} in ${ns}, which a fresh kind cluster does not run`,
          );
      }
  }
  return gaps;
}

/** The metrics API an autoscaling/v2 metric source is read from. */
const METRIC_API: Record<string, string> = {
  Resource: "metrics.k8s.io",
  ContainerResource: "metrics.k8s.io",
  Pods: "custom.metrics.k8s.io",
  Object: "custom.metrics.k8s.io",
  External: "external.metrics.k8s.io",
};

/**
 * Rule 6: a HorizontalPodAutoscaler reads its metrics from an API something serves: the fresh
 * cluster or a chart dev installs. Otherwise it is created but never scales.
 */
export function metricsApiGaps(plan: DevPlan): string[] {
  const gaps: string[] = [];
  for (const r of plan.resources) {
    const b = body(r);
    if (b.kind !== "HorizontalPodAutoscaler") continue;
    const apis = new Set<string>(
      ((b.spec?.metrics as Json[] | undefined) ?? []).map((m) => METRIC_API[m.type]),
    );
    for (const api of apis) {
      const chart = METRICS_API_CHARTS[api];
      if (FRESH_KIND.metricsApis.includes(api) || (chart && chartNamed(plan, chart))) continue;
      gaps.push(
        `${label(r)}: reads ${api}, which neither a fresh kind cluster nor a chart in dev serves, so it never scales`,
      );
    }
  }
  return gaps;
}

/** Every volume claim the plan makes (directly or through an operator), with the class it names. */
export function storageClaims(plan: DevPlan): Array<{ what: string; storageClass?: string }> {
  const claims: Array<{ what: string; storageClass?: string }> = [];
  for (const r of plan.resources) {
    const b = body(r);
    const kind = b.kind as string | undefined;
    if (kind === "PersistentVolumeClaim")
      claims.push({ what: label(r), storageClass: b.spec?.storageClassName });
    if (kind === "StatefulSet")
      for (const t of b.spec?.volumeClaimTemplates ?? [])
        claims.push({ what: `${label(r)} ${t.metadata?.name}`, storageClass: t.spec?.storageClassName });
    // Strimzi: KafkaNodePool spec.storage (persistent-claim, or jbod volumes), `class` names it.
    if (kind === "KafkaNodePool" || kind === "Kafka") {
      const storage = kind === "Kafka" ? b.spec?.kafka?.storage : b.spec?.storage;
      const volumes = storage?.type === "jbod" ? (storage.volumes ?? []) : storage ? [storage] : [];
      for (const v of volumes)
        if (v.type === "persistent-claim")
          claims.push({ what: `${label(r)} volume ${v.id ?? 0}`, storageClass: v.class });
    }
    // CloudNativePG: spec.storage and spec.walStorage, `storageClass` names it.
    if (kind === "Cluster" && r.type.includes("postgresql.cnpg.io"))
      for (const key of ["storage", "walStorage"])
        if (b.spec?.[key])
          claims.push({ what: `${label(r)} ${key}`, storageClass: b.spec[key].storageClass });
  }
  return claims;
}

/** Rule 4: named classes exist; unnamed claims and Ingresses find a default. */
export function classGaps(plan: DevPlan): string[] {
  const gaps: string[] = [];
  const planned = (kind: string) =>
    plan.resources
      .map(body)
      .filter((b) => b.kind === kind)
      .map((b) => ({
        name: b.metadata?.name as string,
        isDefault:
          b.metadata?.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true" ||
          b.metadata?.annotations?.["ingressclass.kubernetes.io/is-default-class"] === "true",
      }));
  const storageClasses = [...FRESH_KIND.storageClasses, ...planned("StorageClass")];
  for (const claim of storageClaims(plan)) {
    if (claim.storageClass === undefined) {
      if (!storageClasses.some((c) => c.isDefault))
        gaps.push(`${claim.what}: names no StorageClass and there is no default one`);
    } else if (!storageClasses.some((c) => c.name === claim.storageClass))
      gaps.push(
        `${claim.what}: StorageClass ${claim.storageClass} is neither in the plan nor on a fresh kind cluster`,
      );
  }
  const ingressClasses = [...FRESH_KIND.ingressClasses, ...planned("IngressClass")];
  for (const r of plan.resources) {
    const b = body(r);
    if (b.kind !== "Ingress") continue;
    const named: string | undefined =
      b.spec?.ingressClassName ?? b.metadata?.annotations?.["kubernetes.io/ingress.class"];
    if (named === undefined) {
      if (!ingressClasses.some((c) => c.isDefault))
        gaps.push(
          `${label(r)}: names no IngressClass and a fresh kind cluster has no default one (no ingress controller)`,
        );
    } else if (!ingressClasses.some((c) => c.name === named))
      gaps.push(
        `${label(r)}: IngressClass ${named} is neither in the plan nor on a fresh kind cluster (no ingress controller)`,
      );
  }
  return gaps;
}

// ---------------------------------------------------------------------------------------------
// Planning dev with the engine's dependency lists
// ---------------------------------------------------------------------------------------------

/**
 * `dev` as `mlstack plan` plans it, with the `dependencies` field of every RegisterResourceRequest
 * the SDK sends (the URNs the engine waits for before creating the resource: explicit dependsOn,
 * expanded through components, and input dependencies). Planned once per jest run and shared with
 * the other files reading the shipped stacks (test/support/shippedPlans.ts).
 */
export async function planDevWithDependencies(): Promise<{ result: PlanResult; plan: DevPlan }> {
  const { result, dependencies } = await shippedPlanWithDependencies("dev");
  return { result, plan: { resources: result.resources, dependencies } };
}
