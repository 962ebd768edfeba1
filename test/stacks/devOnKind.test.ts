/**
 * Issue 11 item 6: the `dev` stack comes up with `pulumi up` on a fresh kind cluster that runs only
 * what such a cluster has (kind's own objects) plus what the developer installs first (Cilium,
 * because dev sets `network.cni: cilium`). The plan is read offline, with the dependency list the
 * engine would receive for every resource, and held to six rules:
 *
 * 1. every custom resource's API group is served by CRDs that dev itself installs (the Helm chart
 *    that ships them is in the plan, with its CRDs switched on), or that the cluster already has;
 * 2. every custom resource waits for that chart (so for the CRD and for the operator's admission
 *    webhooks, which the chart's Deployments serve), and a chart that renders another chart's
 *    custom resources waits for that chart;
 * 3. every namespace an object lives in or a policy/operator refers to exists in the plan (and the
 *    object waits for it) or on the fresh cluster;
 * 4. every StorageClass / IngressClass a claim or an Ingress names exists, and a claim that names
 *    none finds a default StorageClass; an Ingress that names none would need a default
 *    IngressClass, which a fresh kind cluster does not have;
 * 5. a NetworkPolicy peer selecting pods in the cluster's own namespaces (DNS egress to
 *    kube-system) selects labels the pods there carry;
 * 6. a HorizontalPodAutoscaler reads a metrics API that the cluster or a chart in dev serves.
 *
 * The facts about kind, Cilium and the charts are data in devOnKindChecks.ts, each with where it
 * was read. The checks are pure functions of the plan, so the tests at the end also show each rule
 * refusing a plan with the gap it looks for.
 */
import type { RecordedResource } from "../../cli/mockRuntime";
import type { Json } from "../support/config";
import {
  BUILT_IN_GROUPS,
  CHART,
  DevPlan,
  NAMESPACE,
  body,
  charts,
  classGaps,
  crdGaps,
  groupOf,
  namespaceGaps,
  metricsApiGaps,
  planDevWithDependencies,
  podSelectorGaps,
  storageClaims,
} from "./devOnKindChecks";

/**
 * Custom resources that do not wait for the chart bringing their CRDs. None today: ModelServing
 * passes its own dependsOn (the operators) to KEDA's TriggerAuthentication and ScaledObject, which
 * a component's dependsOn alone would not reach. A gap found later is fixed, not listed.
 */
const KNOWN_CRD_GAPS: string[] = [];

/**
 * The CPU autoscaler of the request/response model fx-quote reads metrics.k8s.io, which a fresh
 * kind cluster does not serve (no metrics-server) and dev does not install: the model runs at its
 * minReplicas and never scales. Reported, not fixed here; install metrics-server on the cluster
 * (docs/dev-on-kind.md) or have dev install it, then remove the entry.
 */
const KNOWN_METRICS_GAPS = [
  "autoscaling/v2:HorizontalPodAutoscaler ml-dev-fx-pricing/fx-quote: reads metrics.k8s.io, which neither a fresh kind cluster nor a chart in dev serves, so it never scales",
];

let dev: DevPlan;

beforeAll(async () => {
  dev = (await planDevWithDependencies()).plan;
}, 300_000);

describe("dev on a fresh kind cluster with Cilium", () => {
  it("records the engine's dependency list for every resource", () => {
    const custom = dev.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== CHART);
    expect(custom.length).toBeGreaterThan(50);
    for (const r of custom) expect(dev.dependencies.has(r.urn)).toBe(true);
  });

  it("installs the CRDs of every custom resource it writes and makes each wait for its chart", () => {
    const groups = new Set(
      dev.resources
        .filter((r) => r.type !== CHART)
        .map((r) => groupOf(r.type))
        .filter((g) => g && !BUILT_IN_GROUPS.has(g)),
    );
    // What dev writes today: if this list changes, the rules below still decide.
    expect([...groups].sort()).toEqual(
      ["cilium.io", "kafka.strimzi.io", "keda.sh", "postgresql.cnpg.io"].sort(),
    );
    expect(crdGaps(dev)).toEqual(KNOWN_CRD_GAPS);
  });

  it("installs the charts whose CRDs and webhooks it relies on, with their CRDs on", () => {
    const installed = charts(dev).map((c) => body(c).chart as string);
    expect(installed.sort()).toEqual(
      [
        "cert-manager",
        "cloudnative-pg",
        "keda",
        "oci://quay.io/strimzi-helm/strimzi-kafka-operator",
        "plugin-barman-cloud",
      ].sort(),
    );
  });

  it("puts every object in a namespace it creates (and waits for) or that kind has", () => {
    expect(namespaceGaps(dev)).toEqual([]);
  });

  it("sends DNS to the CoreDNS pods kind runs", () => {
    const dnsPolicies = dev.resources.filter(
      (r) => body(r).kind === "NetworkPolicy" && body(r).metadata.name === "allow-dns-egress",
    );
    expect(dnsPolicies.length).toBeGreaterThanOrEqual(5);
    expect(podSelectorGaps(dev)).toEqual([]);
  });

  it("autoscales on metrics APIs something serves (KEDA's external metrics), apart from the known CPU gap", () => {
    expect(metricsApiGaps(dev)).toEqual(KNOWN_METRICS_GAPS);
  });

  it("claims volumes only from kind's default StorageClass and writes no Ingress", () => {
    const claims = storageClaims(dev);
    // SeaweedFS's PVC, the Kafka node pool's volume, the PostgreSQL cluster's storage.
    expect(claims.length).toBeGreaterThanOrEqual(3);
    expect(classGaps(dev)).toEqual([]);
    expect(dev.resources.filter((r) => body(r).kind === "Ingress")).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Each rule refuses a plan with the gap it looks for (variations of the real dev plan)
// ---------------------------------------------------------------------------------------------

function variant(
  edit: (resources: RecordedResource[], deps: Map<string, string[]>) => RecordedResource[] | void,
): DevPlan {
  const resources = dev.resources.map((r) => ({ ...r, inputs: { ...r.inputs } }));
  const deps = new Map([...dev.dependencies].map(([k, v]) => [k, [...v]]));
  return { resources: edit(resources, deps) ?? resources, dependencies: deps };
}

/** A namespaced object added to a variant of the plan, registered as the SDK would type it. */
function extra(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
  spec?: Json,
): RecordedResource {
  const type = `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`;
  return {
    urn: `urn:pulumi:dev::mlstack::${type}::${name}`,
    type,
    name,
    custom: true,
    inputs: { apiVersion, kind, metadata: { name, namespace }, ...(spec ? { spec } : {}) },
    protect: false,
    retainOnDelete: false,
    propertyDependencies: {},
  };
}

/** What a rule finds in a variant of dev beyond what it finds in dev itself. */
function added(rule: (plan: DevPlan) => string[], plan: DevPlan): string[] {
  const before = new Set(rule(dev));
  return rule(plan).filter((g) => !before.has(g));
}

function chartByName(rs: RecordedResource[], suffix: string): RecordedResource {
  return rs.find((r) => r.type === CHART && r.name.endsWith(suffix)) as RecordedResource;
}

/** Cuts every dependency edge into `target` (so nothing reaches it any more). */
function cutEdgesTo(deps: Map<string, string[]>, target: string, from?: (urn: string) => boolean): void {
  for (const [urn, list] of deps)
    if (!from || from(urn))
      deps.set(
        urn,
        list.filter((d) => d !== target),
      );
}

describe("the checks refuse what a fresh kind cluster lacks", () => {
  it("a custom resource of a group dev does not install (a PodMonitor, as monitoring on would add)", () => {
    const plan = variant((rs) => [
      ...rs,
      extra("monitoring.coreos.com/v1", "PodMonitor", "ml-dev-platform", "postgres"),
    ]);
    expect(added(crdGaps, plan)).toEqual([
      "monitoring.coreos.com/v1:PodMonitor ml-dev-platform/postgres: no chart in dev installs the CRDs of monitoring.coreos.com, and a fresh kind cluster does not have them",
    ]);
  });

  it("a custom resource whose chart is not installed, or installed without its CRDs", () => {
    const noKeda = variant((rs) =>
      rs.filter((r) => r !== rs.find((c) => c.type === CHART && c.name.endsWith("-keda"))),
    );
    expect(added(crdGaps, noKeda)).toEqual([
      "keda.sh/v1alpha1:TriggerAuthentication ml-dev-payments-risk/fraud-detector-kafka-lag: keda.sh comes from chart keda, which dev does not install",
      "keda.sh/v1alpha1:ScaledObject ml-dev-payments-risk/fraud-detector: keda.sh comes from chart keda, which dev does not install",
    ]);
    const kedaWithoutCrds = variant((rs) => {
      const keda = chartByName(rs, "-keda");
      keda.inputs = {
        ...keda.inputs,
        values: { ...(keda.inputs.values as object), crds: { install: false } },
      };
    });
    expect(added(crdGaps, kedaWithoutCrds)).toEqual([
      "keda.sh/v1alpha1:TriggerAuthentication ml-dev-payments-risk/fraud-detector-kafka-lag: chart keda is installed without its CRDs (crds.install)",
      "keda.sh/v1alpha1:ScaledObject ml-dev-payments-risk/fraud-detector: chart keda is installed without its CRDs (crds.install)",
    ]);
  });

  it("a custom resource that does not wait for its operator", () => {
    const plan = variant((rs, deps) => {
      const strimzi = chartByName(rs, "-strimzi");
      cutEdgesTo(deps, strimzi.urn);
    });
    expect(added(crdGaps, plan)).toContain(
      "kafka.strimzi.io/v1:Kafka ml-dev-platform/kafka: does not wait for chart oci://quay.io/strimzi-helm/strimzi-kafka-operator (its CRDs and webhooks)",
    );
  });

  it("a chart rendering cert-manager objects that does not wait for cert-manager", () => {
    const plan = variant((rs, deps) => {
      const barman = chartByName(rs, "-barman-cloud");
      const certManager = chartByName(rs, "-cert-manager");
      cutEdgesTo(deps, certManager.urn, (urn) => urn === barman.urn);
    });
    expect(added(crdGaps, plan)).toEqual([
      "chart plugin-barman-cloud renders cert-manager.io objects but does not wait for chart cert-manager",
    ]);
  });

  it("a namespace neither planned nor on kind, and an operator that does not wait for the namespace it binds roles in", () => {
    const plan = variant((rs, deps) => {
      const platformNs = rs.find((r) => r.type === NAMESPACE && body(r).metadata.name === "ml-dev-platform");
      cutEdgesTo(deps, (platformNs as RecordedResource).urn);
      return [...rs, extra("v1", "ConfigMap", "ingress-nginx", "stray")];
    });
    expect(added(namespaceGaps, plan)).toEqual([
      "helm.sh/v4:Chart operators-strimzi: does not wait for Namespace ml-dev-platform",
      "core/v1:ConfigMap ingress-nginx/stray: namespace ingress-nginx is neither in the plan nor on a fresh kind cluster",
    ]);
  });

  it("a StorageClass kind does not have, and an Ingress with no ingress controller", () => {
    const plan = variant((rs) => {
      const pvc = rs.find((r) => body(r).kind === "PersistentVolumeClaim") as RecordedResource;
      const b = body(pvc);
      pvc.inputs = { ...pvc.inputs, spec: { ...b.spec, storageClassName: "gp3" } };
      return [
        ...rs,
        extra("networking.k8s.io/v1", "Ingress", "ml-dev-platform", "mlflow", { ingressClassName: "nginx" }),
        extra("networking.k8s.io/v1", "Ingress", "ml-dev-fx-pricing", "model", {}),
      ];
    });
    expect(added(classGaps, plan)).toEqual([
      "core/v1:PersistentVolumeClaim ml-dev-platform/objectstore-seaweedfs-data: StorageClass gp3 is neither in the plan nor on a fresh kind cluster",
      "networking.k8s.io/v1:Ingress ml-dev-platform/mlflow: IngressClass nginx is neither in the plan nor on a fresh kind cluster (no ingress controller)",
      "networking.k8s.io/v1:Ingress ml-dev-fx-pricing/model: names no IngressClass and a fresh kind cluster has no default one (no ingress controller)",
    ]);
  });

  it("a DNS egress rule selecting pods kind does not run", () => {
    const plan = variant((rs) => {
      const dns = rs.find(
        (r) =>
          body(r).kind === "NetworkPolicy" &&
          body(r).metadata.namespace === "ml-dev-platform" &&
          body(r).metadata.name === "allow-dns-egress",
      ) as RecordedResource;
      const spec = JSON.parse(JSON.stringify(body(dns).spec));
      spec.egress[0].to[0].podSelector = { matchLabels: { "k8s-app": "coredns" } };
      dns.inputs = { ...dns.inputs, spec };
    });
    expect(added(podSelectorGaps, plan)).toEqual([
      'networking.k8s.io/v1:NetworkPolicy ml-dev-platform/allow-dns-egress: selects pods {"k8s-app":"coredns"} in kube-system, which a fresh kind cluster does not run',
    ]);
  });

  it("an autoscaler on external metrics without KEDA", () => {
    const plan = variant((rs) => [
      ...rs.filter((r) => r !== chartByName(rs, "-keda")),
      extra("autoscaling/v2", "HorizontalPodAutoscaler", "ml-dev-fx-pricing", "lag", {
        metrics: [{ type: "External", external: { metric: { name: "lag" } } }],
      }),
    ]);
    expect(added(metricsApiGaps, plan)).toEqual([
      "autoscaling/v2:HorizontalPodAutoscaler ml-dev-fx-pricing/lag: reads external.metrics.k8s.io, which neither a fresh kind cluster nor a chart in dev serves, so it never scales",
    ]);
  });
});
