import * as pulumi from "@pulumi/pulumi";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import type { PlatformContext } from "../../../components/context";
import {
  OPERATORS_QUOTA,
  PlatformOperators,
  PlatformOperatorsArgs,
  chartVersion,
  validatePlatformOperatorsArgs,
} from "../../../components/operators/PlatformOperators";
import { RHOAI_OTHER_COMPONENTS } from "../../../components/operators/kserve";
import { PINS } from "../../../components/versions/pins";
import type { OperatorsConfig } from "../../../stacks/config/types";
import { baseConfig } from "../../support/config";
import { render } from "../../support/render";

const CHART = "kubernetes:helm.sh/v4:Chart";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const SUBSCRIPTION = "kubernetes:operators.coreos.com/v1alpha1:Subscription";
const OPERATOR_GROUP = "kubernetes:operators.coreos.com/v1:OperatorGroup";
const DSCI = "kubernetes:dscinitialization.opendatahub.io/v1:DSCInitialization";
const DSC = "kubernetes:datasciencecluster.opendatahub.io/v1:DataScienceCluster";

function ctx(
  flavor: "kubernetes" | "openshift" = "kubernetes",
  overrides: Partial<PlatformContext> = {},
): PlatformContext {
  return {
    environment: "dev",
    target: flavor,
    flavor,
    protect: false,
    highAvailability: false,
    project: "mlstack",
    stack: "test",
    ...overrides,
  };
}

/** The operators section exactly as config validation produces it. */
function operatorsConfig(overrides: Partial<OperatorsConfig> = {}): OperatorsConfig {
  return { ...baseConfig().operators, install: true, ...overrides };
}

function operatorArgs(overrides: Partial<PlatformOperatorsArgs> = {}): PlatformOperatorsArgs {
  return {
    ctx: ctx(),
    operators: operatorsConfig(),
    strimzi: true,
    cloudnativePg: true,
    kserve: false,
    watchNamespaces: ["ml-dev-platform"],
    apiServerCidrs: ["10.0.0.0/24"],
    ...overrides,
  };
}

function openshiftArgs(overrides: Partial<PlatformOperatorsArgs> = {}): PlatformOperatorsArgs {
  return operatorArgs({ ctx: ctx("openshift"), ...overrides });
}

/** Renders the component and records each resource's explicit dependencies by name. */
async function renderOperators(
  args: PlatformOperatorsArgs = operatorArgs(),
  extra?: () => pulumi.Resource[],
) {
  const dependsOn = new Map<string, string[]>();
  let operators: PlatformOperators | undefined;
  const r = await render(() => {
    pulumi.runtime.registerStackTransformation((t) => {
      const deps = t.opts.dependsOn;
      const list = deps === undefined ? [] : Array.isArray(deps) ? deps : [deps];
      dependsOn.set(
        t.name,
        (list as pulumi.Resource[]).map((d) => (d as unknown as { __name: string }).__name),
      );
      return undefined;
    });
    const upstream = extra?.() ?? [];
    operators = new PlatformOperators("ops", { ...args, namespacesReady: args.namespacesReady ?? upstream });
  });
  return { r, dependsOn, operators: operators as PlatformOperators };
}

/** Stands for a watched namespace the operators must wait for. */
class Upstream extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Upstream", name, {});
  }
}

/** The chart registered under exactly this name. */
function chartNamed(r: Awaited<ReturnType<typeof render>>, name: string) {
  const charts = r.ofType(CHART).filter((c) => c.name === name);
  expect(charts).toHaveLength(1);
  return r.inputs(charts[0]);
}

describe("PlatformOperators on Kubernetes", () => {
  describe("the operators namespace", () => {
    it("is a restricted, default-deny namespace of the platform with DNS egress and a quota", async () => {
      const { r } = await renderOperators();
      const ns = r.inputs(r.one(NAMESPACE));
      expect(ns.metadata.name).toBe("ml-dev-operators");
      expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
      expect(ns.metadata.labels["mlstack.io/team"]).toBe("platform");
      expect(r.inputs(r.one(NETPOL, "default-deny")).spec).toEqual({
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
      });
      expect(r.ofType(NETPOL).some((p) => p.name.endsWith("dns-egress"))).toBe(true);
      expect(r.inputs(r.one("kubernetes:core/v1:ResourceQuota")).spec.hard).toMatchObject({
        "requests.cpu": OPERATORS_QUOTA.cpu,
        "requests.memory": OPERATORS_QUOTA.memory,
        "requests.storage": "0",
      });
    });

    it("binds nobody: no Role, no RoleBinding", async () => {
      const { r } = await renderOperators();
      expect(r.ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")).toHaveLength(0);
    });

    it("lets every operator reach the API server CIDRs on 443 and 6443 only", async () => {
      const { r } = await renderOperators(operatorArgs({ apiServerCidrs: ["10.0.0.0/24", "10.1.0.0/24"] }));
      const policy = r.inputs(r.one(NETPOL, "apiserver-egress"));
      expect(policy.metadata).toMatchObject({
        name: "allow-apiserver-egress",
        namespace: "ml-dev-operators",
      });
      expect(policy.spec).toEqual({
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ ipBlock: { cidr: "10.0.0.0/24" } }, { ipBlock: { cidr: "10.1.0.0/24" } }],
            ports: [
              { protocol: "TCP", port: 443 },
              { protocol: "TCP", port: 6443 },
            ],
          },
        ],
      });
    });

    it("admits the API server to the CloudNativePG webhook and to no other Strimzi port", async () => {
      const { r } = await renderOperators();
      const webhook = r.inputs(r.one(NETPOL, "cloudnative-pg-webhook-ingress"));
      expect(webhook.spec).toEqual({
        podSelector: { matchLabels: { "app.kubernetes.io/name": "cloudnative-pg" } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/24" } }], ports: [{ protocol: "TCP", port: 9443 }] }],
      });
      expect(r.ofType(NETPOL).filter((p) => p.name.includes("strimzi-webhook"))).toHaveLength(0);
    });

    it("lets Strimzi reach only Kafka pods in the watched namespaces on its admin ports", async () => {
      const { r } = await renderOperators();
      const egress = r.inputs(r.one(NETPOL, "strimzi-operand-egress"));
      expect(egress.spec.podSelector).toEqual({ matchLabels: { "strimzi.io/kind": "cluster-operator" } });
      expect(egress.spec.egress).toEqual([
        {
          to: [
            {
              namespaceSelector: {
                matchExpressions: [
                  { key: "kubernetes.io/metadata.name", operator: "In", values: ["ml-dev-platform"] },
                ],
              },
              podSelector: { matchLabels: { "strimzi.io/kind": "Kafka" } },
            },
          ],
          ports: [
            { protocol: "TCP", port: 9090 },
            { protocol: "TCP", port: 9091 },
            { protocol: "TCP", port: 8443 },
          ],
        },
      ]);
    });

    it("lets CloudNativePG reach only Postgres instances in the watched namespaces on the status port", async () => {
      const { r } = await renderOperators();
      const [rule] = r.inputs(r.one(NETPOL, "cloudnative-pg-operand-egress")).spec.egress;
      expect(rule.to[0].podSelector).toEqual({
        matchExpressions: [{ key: "cnpg.io/cluster", operator: "Exists" }],
      });
      expect(rule.ports).toEqual([{ protocol: "TCP", port: 8000 }]);
    });

    it("renders network policies that validate against the Kubernetes OpenAPI schema", async () => {
      const { r } = await renderOperators(operatorArgs({ kserve: true }));
      for (const policy of r.ofType(NETPOL)) {
        expect(() => new NetworkPolicy(r.inputs(policy) as never).validate()).not.toThrow();
      }
    });
  });

  describe("Strimzi", () => {
    it("installs the upstream OCI chart at the pinned version into the operators namespace", async () => {
      const { r } = await renderOperators();
      const chart = chartNamed(r, "ops-strimzi");
      expect(chart.chart).toBe("oci://quay.io/strimzi-helm/strimzi-kafka-operator");
      expect(chart.version).toBe(PINS.strimziChart.version);
      expect(chart.namespace).toBe("ml-dev-operators");
      expect(chart.name).toBe("strimzi");
    });

    it("watches exactly the given namespaces, not every namespace", async () => {
      const { r } = await renderOperators(
        operatorArgs({ watchNamespaces: ["ml-dev-platform", "ml-dev-kafka"] }),
      );
      const values = chartNamed(r, "ops-strimzi").values;
      expect(values.watchNamespaces).toEqual(["ml-dev-platform", "ml-dev-kafka"]);
      expect(values.watchAnyNamespace).toBe(false);
    });

    it("runs its own pod restricted (non-root high UID, no privilege escalation, all capabilities dropped, seccomp)", async () => {
      const { r } = await renderOperators();
      const values = chartNamed(r, "ops-strimzi").values;
      expect(values.podSecurityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(values.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
      });
      expect(values.resources.limits.memory).toBe("384Mi");
    });

    it("makes the Kafka pods it creates restricted-compliant and admits itself only from its own namespace", async () => {
      const { r } = await renderOperators();
      const values = chartNamed(r, "ops-strimzi").values;
      expect(values.extraEnvs).toContainEqual({
        name: "STRIMZI_POD_SECURITY_PROVIDER_CLASS",
        value: "restricted",
      });
      expect(values.image.operatorNamespaceLabels).toBe("kubernetes.io/metadata.name=ml-dev-operators");
      expect(values.generateNetworkPolicy).toBe(true);
    });

    it("runs two replicas behind leader election when highly available", async () => {
      const single = chartNamed((await renderOperators()).r, "ops-strimzi").values;
      const ha = chartNamed(
        (await renderOperators(operatorArgs({ ctx: ctx("kubernetes", { highAvailability: true }) }))).r,
        "ops-strimzi",
      ).values;
      expect(single.replicas).toBe(1);
      expect(ha.replicas).toBe(2);
      expect(ha.leaderElection).toEqual({ enable: true });
    });

    it("waits for its namespace, its network policies and the watched namespaces", async () => {
      const { dependsOn } = await renderOperators(operatorArgs(), () => [new Upstream("platform-ns")]);
      const deps = dependsOn.get("ops-strimzi") as string[];
      expect(deps).toEqual(
        expect.arrayContaining(["ops-ns", "ops-ns-default-deny", "ops-apiserver-egress", "platform-ns"]),
      );
    });

    it("accepts a v-prefixed version and pins the chart's own tag form", async () => {
      const ops = operatorsConfig({ strimzi: { version: "v0.48.0", channel: "stable" } });
      const { r } = await renderOperators(operatorArgs({ operators: ops }));
      expect(chartNamed(r, "ops-strimzi").version).toBe("0.48.0");
    });
  });

  describe("CloudNativePG", () => {
    it("installs the chart from the CloudNativePG repository at the pinned version", async () => {
      const { r } = await renderOperators();
      const chart = chartNamed(r, "ops-cloudnative-pg");
      expect(chart.chart).toBe("cloudnative-pg");
      expect(chart.repositoryOpts).toEqual({ repo: "https://cloudnative-pg.github.io/charts" });
      expect(chart.version).toBe(PINS.cloudnativePgChart.version);
      expect(chart.namespace).toBe("ml-dev-operators");
    });

    it("installs the Barman Cloud backup plugin beside the operator, reachable only by it", async () => {
      const { r } = await renderOperators();
      const plugin = chartNamed(r, "ops-barman-cloud");
      expect(plugin.chart).toBe("plugin-barman-cloud");
      expect(plugin.repositoryOpts).toEqual({ repo: "https://cloudnative-pg.github.io/charts" });
      expect(plugin.version).toBe(PINS.barmanCloudChart.version);
      expect(plugin.namespace).toBe("ml-dev-operators");
      const ingress = r.inputs(r.one(NETPOL, "ops-barman-cloud-ingress")).spec;
      expect(ingress.podSelector).toEqual({
        matchLabels: { "app.kubernetes.io/name": "plugin-barman-cloud" },
      });
      expect(ingress.ingress).toEqual([
        {
          from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "cloudnative-pg" } } }],
          ports: [{ protocol: "TCP", port: 9090 }],
        },
      ]);
    });

    it("installs no backup plugin without CloudNativePG", async () => {
      const { r } = await renderOperators(operatorArgs({ cloudnativePg: false }));
      expect(r.ofType(CHART).filter((c) => c.name === "ops-barman-cloud")).toEqual([]);
    });

    it("reconciles only the watched namespaces, through the operator's environment (read before its watch scope is built)", async () => {
      const { r } = await renderOperators(
        operatorArgs({ watchNamespaces: ["ml-dev-platform", "ml-dev-db"] }),
      );
      const values = chartNamed(r, "ops-cloudnative-pg").values;
      expect(values.additionalEnv).toEqual([{ name: "WATCH_NAMESPACE", value: "ml-dev-platform,ml-dev-db" }]);
      // The ConfigMap key is read after the watch scope is built: setting it there watches everything.
      expect(values.config).toEqual({ clusterWide: true });
    });

    it("runs restricted with resources and fail-closed webhooks", async () => {
      const values = chartNamed((await renderOperators()).r, "ops-cloudnative-pg").values;
      expect(values.podSecurityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(values.containerSecurityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(values.resources.requests).toEqual({ cpu: "100m", memory: "256Mi" });
      expect(values.webhook.validating.failurePolicy).toBe("Fail");
    });

    it("runs two replicas when highly available", async () => {
      const ha = await renderOperators(operatorArgs({ ctx: ctx("kubernetes", { highAvailability: true }) }));
      expect(chartNamed(ha.r, "ops-cloudnative-pg").values.replicaCount).toBe(2);
    });
  });

  describe("KServe", () => {
    const withKserve = (version = "v0.16.0") =>
      renderOperators(
        operatorArgs({
          kserve: true,
          operators: operatorsConfig({ kserve: { version, channel: "stable" } }),
        }),
      );

    it("is not installed unless asked for", async () => {
      const { r } = await renderOperators();
      expect(r.ofType(CHART).map((c) => c.name)).toEqual([
        "ops-strimzi",
        "ops-cloudnative-pg",
        "ops-barman-cloud",
      ]);
      expect(r.ofType(NETPOL).some((p) => p.name.includes("kserve"))).toBe(false);
    });

    it("installs the CRD chart, then the controller chart, from ghcr.io at the pinned version", async () => {
      const { r, dependsOn } = await withKserve();
      const crds = chartNamed(r, "ops-kserve-crd");
      const controller = chartNamed(r, "ops-kserve");
      expect(crds.chart).toBe("oci://ghcr.io/kserve/charts/kserve-crd");
      expect(controller.chart).toBe("oci://ghcr.io/kserve/charts/kserve");
      expect(crds.version).toBe("v0.16.0");
      expect(controller.version).toBe("v0.16.0");
      expect(dependsOn.get("ops-kserve")).toContain("ops-kserve-crd");
    });

    it("adds the v KServe tags carry when config omits it", async () => {
      const { r } = await withKserve("0.16.1");
      expect(chartNamed(r, "ops-kserve").version).toBe("v0.16.1");
    });

    it("runs raw deployments (no Knative, no Istio) under the mode name of the installed version", async () => {
      const current = chartNamed((await withKserve("v0.16.0")).r, "ops-kserve").values.kserve.controller;
      const older = chartNamed((await withKserve("v0.15.2")).r, "ops-kserve").values.kserve.controller;
      expect(current.deploymentMode).toBe("Standard");
      expect(older.deploymentMode).toBe("RawDeployment");
    });

    it("leaves exposure to the platform and tokens out of model pods", async () => {
      const values = chartNamed((await withKserve()).r, "ops-kserve").values.kserve;
      expect(values.controller.gateway.disableIngressCreation).toBe(true);
      expect(values.security.autoMountServiceAccountToken).toBe(false);
      expect(values.localmodel.enabled).toBe(false);
    });

    it("runs its controller, proxy and injected storage-initializer restricted", async () => {
      const values = chartNamed((await withKserve()).r, "ops-kserve").values.kserve;
      expect(values.controller.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      for (const sc of [
        values.controller.containerSecurityContext,
        values.controller.rbacProxy.securityContext,
        values.storage.containerSecurityContext,
      ]) {
        expect(sc).toMatchObject({
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          runAsNonRoot: true,
        });
      }
    });

    it("admits the API server to the KServe webhook", async () => {
      const { r } = await withKserve();
      const policy = r.inputs(r.one(NETPOL, "kserve-webhook-ingress"));
      expect(policy.spec.podSelector).toEqual({
        matchLabels: { "control-plane": "kserve-controller-manager" },
      });
      expect(policy.spec.ingress[0].ports).toEqual([{ protocol: "TCP", port: 9443 }]);
    });

    it("installs alone on a cluster whose Kafka and Postgres are managed services", async () => {
      const { r } = await renderOperators(
        operatorArgs({ strimzi: false, cloudnativePg: false, kserve: true, watchNamespaces: [] }),
      );
      expect(r.ofType(CHART).map((c) => c.name)).toEqual(["ops-kserve-crd", "ops-kserve"]);
      expect(r.ofType(NETPOL).some((p) => p.name.includes("operand-egress"))).toBe(false);
    });
  });

  it("lists the charts as what custom resources wait for", async () => {
    const { operators } = await renderOperators(operatorArgs({ kserve: true }));
    expect(operators.ready.map((res) => (res as unknown as { __name: string }).__name)).toEqual([
      "ops-strimzi",
      "ops-cloudnative-pg",
      "ops-barman-cloud",
      "ops-kserve-crd",
      "ops-kserve",
    ]);
  });

  it("publishes the operators' pods as peers for the operands' network policies", async () => {
    const { operators } = await renderOperators(operatorArgs({ kserve: true }));
    expect(operators.operatorPods.cloudnativePg).toEqual({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ml-dev-operators" } },
      podSelector: { matchLabels: { "app.kubernetes.io/name": "cloudnative-pg" } },
    });
    expect(operators.operatorPods.strimzi?.podSelector).toEqual({
      matchLabels: { "strimzi.io/kind": "cluster-operator" },
    });
    expect(operators.operatorPods.kserve?.podSelector).toEqual({
      matchLabels: { "control-plane": "kserve-controller-manager" },
    });
  });

  it("parents everything to the component", async () => {
    const { r } = await renderOperators(operatorArgs({ kserve: true }));
    const component = r.one("mlstack:operators:PlatformOperators");
    const inside = new Set(r.descendants(component).map((x) => x.urn));
    for (const res of r.resources.filter((x) => x.type !== "pulumi:pulumi:Stack" && x !== component)) {
      expect(inside.has(res.urn)).toBe(true);
    }
  });
});

describe("PlatformOperators with cert-manager (kubernetes)", () => {
  it("installs cert-manager before the Barman Cloud plugin and KServe, which issue certificates with it", async () => {
    const { dependsOn } = await renderOperators(operatorArgs({ kserve: true, certManager: true }));
    expect(dependsOn.get("ops-barman-cloud")).toContain("ops-cert-manager");
    expect(dependsOn.get("ops-kserve-crd")).toContain("ops-cert-manager");
    expect(dependsOn.get("ops-strimzi")).not.toContain("ops-cert-manager");
  });
});

describe("PlatformOperators on OpenShift", () => {
  const subscription = (r: Awaited<ReturnType<typeof render>>, name: string) =>
    r.inputs(r.one(SUBSCRIPTION, name));

  it("subscribes Strimzi from community-operators in openshift-operators on the configured channel", async () => {
    const { r } = await renderOperators(openshiftArgs());
    const sub = subscription(r, "ops-strimzi");
    expect(sub.metadata).toMatchObject({ name: "strimzi-kafka-operator", namespace: "openshift-operators" });
    expect(sub.spec).toMatchObject({
      name: "strimzi-kafka-operator",
      source: "community-operators",
      sourceNamespace: "openshift-marketplace",
      channel: "stable",
    });
  });

  it("makes Strimzi's Kafka pods restricted-compliant through the Subscription's operator env", async () => {
    const { r } = await renderOperators(openshiftArgs());
    expect(subscription(r, "ops-strimzi").spec.config.env).toEqual([
      { name: "STRIMZI_POD_SECURITY_PROVIDER_CLASS", value: "restricted" },
      { name: "STRIMZI_OPERATOR_NAMESPACE_LABELS", value: "kubernetes.io/metadata.name=openshift-operators" },
    ]);
  });

  it("subscribes CloudNativePG from certified-operators on the configured channel", async () => {
    const { r } = await renderOperators(openshiftArgs());
    expect(subscription(r, "ops-cloudnative-pg").spec).toMatchObject({
      name: "cloudnative-pg",
      source: "certified-operators",
      channel: "stable-v1",
    });
  });

  it("approves upgrades automatically in dev only, by hand in staging and prod", async () => {
    const approval = async (environment: "dev" | "staging" | "prod") => {
      const { r } = await renderOperators(openshiftArgs({ ctx: ctx("openshift", { environment }) }));
      return r.ofType(SUBSCRIPTION).map((s) => r.inputs(s).spec.installPlanApproval);
    };
    expect(await approval("dev")).toEqual(["Automatic", "Automatic"]);
    expect(await approval("staging")).toEqual(["Manual", "Manual"]);
    expect(await approval("prod")).toEqual(["Manual", "Manual"]);
  });

  it("pins each Subscription's starting CSV to the version table's operator release", async () => {
    const { r } = await renderOperators(openshiftArgs());
    expect(subscription(r, "ops-strimzi").spec).toMatchObject({
      name: "strimzi-kafka-operator",
      channel: "stable",
      startingCSV: "strimzi-cluster-operator.v1.2.0",
    });
    expect(subscription(r, "ops-cloudnative-pg").spec).toMatchObject({
      name: "cloudnative-pg",
      channel: "stable-v1",
      startingCSV: "cloudnative-pg.v1.30.1",
    });
  });

  it("follows operators.strimzi.version to that release's CSV", async () => {
    const operators = operatorsConfig();
    const { r } = await renderOperators(
      openshiftArgs({ operators: { ...operators, strimzi: { ...operators.strimzi, version: "1.1.0" } } }),
    );
    expect(subscription(r, "ops-strimzi").spec.startingCSV).toBe("strimzi-cluster-operator.v1.1.0");
  });

  it("narrows CloudNativePG to the watched namespaces through the Subscription's env", async () => {
    const { r } = await renderOperators(openshiftArgs({ watchNamespaces: ["ml-prod-platform"] }));
    expect(subscription(r, "ops-cloudnative-pg").spec.config).toEqual({
      env: [{ name: "WATCH_NAMESPACE", value: "ml-prod-platform" }],
    });
  });

  it("takes AMQ Streams and a pinned starting CSV through the catalog overrides", async () => {
    const { r } = await renderOperators(
      openshiftArgs({
        olm: {
          strimzi: { name: "amq-streams", source: "redhat-operators", startingCSV: "amqstreams.v2.9.0-0" },
        },
      }),
    );
    const sub = subscription(r, "ops-strimzi");
    expect(sub.metadata.name).toBe("amq-streams");
    expect(sub.spec).toMatchObject({
      name: "amq-streams",
      source: "redhat-operators",
      sourceNamespace: "openshift-marketplace",
      startingCSV: "amqstreams.v2.9.0-0",
    });
  });

  it("installs no chart, creates no namespace and needs no API server CIDRs without KServe", async () => {
    const { r } = await renderOperators(openshiftArgs({ apiServerCidrs: [] }));
    expect(r.ofType(CHART)).toHaveLength(0);
    expect(r.ofType(NAMESPACE)).toHaveLength(0);
    expect(r.ofType(NETPOL)).toHaveLength(0);
  });

  it("reports openshift-operators as the operators' namespace and its pods as peers", async () => {
    const { operators } = await renderOperators(openshiftArgs());
    expect(await new Promise((resolve) => operators.namespace.apply(resolve))).toBe("openshift-operators");
    expect(operators.operatorPods.cloudnativePg?.namespaceSelector).toEqual({
      matchLabels: { "kubernetes.io/metadata.name": "openshift-operators" },
    });
  });

  describe("KServe through Red Hat OpenShift AI", () => {
    const withKserve = (overrides: Partial<PlatformOperatorsArgs> = {}) =>
      renderOperators(openshiftArgs({ kserve: true, ...overrides }));

    it("subscribes rhods-operator in its own restricted, default-deny namespace with an all-namespaces OperatorGroup", async () => {
      const { r } = await withKserve();
      const ns = r.inputs(r.one(NAMESPACE));
      expect(ns.metadata.name).toBe("redhat-ods-operator");
      expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
      expect(r.inputs(r.one(NETPOL, "default-deny")).metadata.namespace).toBe("redhat-ods-operator");
      const group = r.inputs(r.one(OPERATOR_GROUP));
      expect(group.metadata.namespace).toBe("redhat-ods-operator");
      expect(group.spec).toEqual({});
      const sub = subscription(r, "ops-rhoai");
      expect(sub.metadata.namespace).toBe("redhat-ods-operator");
      expect(sub.spec).toMatchObject({
        name: "rhods-operator",
        source: "redhat-operators",
        // The 2.x channel whose DataScienceCluster v1 API the platform writes, not the bare stable (3.x).
        channel: "stable-2.25",
        startingCSV: "rhods-operator.2.25.9",
      });
    });

    it("lets the operator reach the API server and the API server reach its webhooks", async () => {
      const { r } = await withKserve();
      expect(r.inputs(r.one(NETPOL, "rhoai-apiserver-egress")).spec.egress[0].to).toEqual([
        { ipBlock: { cidr: "10.0.0.0/24" } },
      ]);
      const webhook = r.inputs(r.one(NETPOL, "rhoai-rhoai-webhook-ingress"));
      expect(webhook.spec.podSelector).toEqual({});
      expect(webhook.spec.ingress[0].ports).toEqual([{ protocol: "TCP", port: 9443 }]);
    });

    it("owns the DSCInitialization: the operator's default is switched off and Service Mesh is removed", async () => {
      const { r } = await withKserve();
      expect(subscription(r, "ops-rhoai").spec.config.env).toEqual([
        { name: "DISABLE_DSC_CONFIG", value: "true" },
      ]);
      const dsci = r.inputs(r.one(DSCI));
      expect(dsci.metadata.name).toBe("default-dsci");
      expect(dsci.spec.serviceMesh).toEqual({ managementState: "Removed" });
      expect(dsci.spec.applicationsNamespace).toBe("redhat-ods-applications");
    });

    it("enables KServe alone, in raw deployment mode without Knative", async () => {
      const { r } = await withKserve();
      const components = r.inputs(r.one(DSC)).spec.components;
      expect(components.kserve).toEqual({
        managementState: "Managed",
        defaultDeploymentMode: "RawDeployment",
        serving: { managementState: "Removed", name: "knative-serving" },
      });
      for (const [name, component] of Object.entries(components)) {
        if (name !== "kserve") expect(component).toEqual({ managementState: "Removed" });
      }
    });

    it("writes out every other component of the DataScienceCluster v1 API, Removed unless operators.openshiftAi says Managed", async () => {
      const operators = operatorsConfig({ openshiftAi: { dashboard: "Managed", workbenches: "Managed" } });
      const { r } = await withKserve({ operators });
      const components = r.inputs(r.one(DSC)).spec.components;
      expect(Object.keys(components).sort()).toEqual(["kserve", ...RHOAI_OTHER_COMPONENTS].sort());
      expect(components.dashboard).toEqual({ managementState: "Managed" });
      expect(components.workbenches).toEqual({ managementState: "Managed" });
      expect(components.datasciencepipelines).toEqual({ managementState: "Removed" });
    });

    it("creates the Subscription, then the DSCInitialization, then the DataScienceCluster", async () => {
      const { dependsOn } = await withKserve();
      expect(dependsOn.get("ops-rhoai")).toEqual(
        expect.arrayContaining(["ops-rhoai-ns", "ops-rhoai-operator-group", "ops-rhoai-apiserver-egress"]),
      );
      expect(dependsOn.get("ops-rhoai-dsci")).toEqual(["ops-rhoai"]);
      expect(dependsOn.get("ops-rhoai-dsc")).toEqual(["ops-rhoai-dsci"]);
    });

    it("waits for the DataScienceCluster before InferenceServices are created", async () => {
      const { operators } = await withKserve();
      const names = operators.ready.map((res) => (res as unknown as { __name: string }).__name);
      expect(names).toEqual([
        "ops-strimzi",
        "ops-cloudnative-pg",
        "ops-rhoai",
        "ops-rhoai-dsci",
        "ops-rhoai-dsc",
      ]);
      expect(operators.operatorPods.kserve?.namespaceSelector).toEqual({
        matchLabels: { "kubernetes.io/metadata.name": "redhat-ods-applications" },
      });
    });

    it("needs the API server CIDRs for its namespace's egress", () => {
      expect(() =>
        validatePlatformOperatorsArgs("ops", openshiftArgs({ kserve: true, apiServerCidrs: [] })),
      ).toThrow("apiServerCidrs [] is empty");
    });
  });
});

describe("chartVersion", () => {
  it("strips or adds the v each project's tags use", () => {
    expect(chartVersion("v0.49.0", false)).toBe("0.49.0");
    expect(chartVersion("0.49.0", false)).toBe("0.49.0");
    expect(chartVersion("0.16.0", true)).toBe("v0.16.0");
    expect(chartVersion("v0.16.0", true)).toBe("v0.16.0");
  });
});

describe("PlatformOperators refuses bad input before registering anything", () => {
  const ops = operatorsConfig();
  const refusals: Array<[string, PlatformOperatorsArgs, string]> = [
    [
      "operators the config says are already installed",
      operatorArgs({ operators: { ...ops, install: false } }),
      "operators.install false says the operators are already on the cluster",
    ],
    [
      "nothing to install",
      operatorArgs({ strimzi: false, cloudnativePg: false, kserve: false }),
      "there is nothing to install",
    ],
    [
      "Strimzi with no namespace to watch",
      operatorArgs({ watchNamespaces: [] }),
      "watchNamespaces [] is empty",
    ],
    [
      "a watched namespace that is not a DNS label",
      operatorArgs({ watchNamespaces: ["Platform"] }),
      'watchNamespaces[0] "Platform"',
    ],
    [
      "a namespace watched twice",
      operatorArgs({ watchNamespaces: ["a", "a"] }),
      'watchNamespaces[1] "a" is listed twice',
    ],
    [
      "watching the operators' own namespace",
      operatorArgs({ watchNamespaces: ["ml-dev-operators"] }),
      "includes the operators namespace",
    ],
    ["no API server CIDR", operatorArgs({ apiServerCidrs: [] }), "apiServerCidrs [] is empty"],
    [
      "an API server CIDR out of range",
      operatorArgs({ apiServerCidrs: ["10.0.0.300/24"] }),
      'apiServerCidrs[0] "10.0.0.300/24" is not a CIDR block',
    ],
    [
      "an API server CIDR with a bad prefix",
      operatorArgs({ apiServerCidrs: ["10.0.0.0/33"] }),
      "apiServerCidrs[0]",
    ],
    [
      "an API server address without prefix",
      operatorArgs({ apiServerCidrs: ["10.0.0.1"] }),
      "apiServerCidrs[0]",
    ],
    [
      "a reserved operators namespace",
      operatorArgs({ operators: { ...ops, namespace: "kube-system" } }),
      'namespace "kube-system" is reserved',
    ],
    [
      "a malformed chart version",
      operatorArgs({ operators: { ...ops, strimzi: { version: "latest", channel: "stable" } } }),
      'operators.strimzi.version "latest" is not a chart version',
    ],
    [
      "a malformed OLM channel",
      openshiftArgs({ operators: { ...ops, cloudnativePg: { version: "0.26.1", channel: "Stable V1" } } }),
      'operators.cloudnativePg.channel "Stable V1"',
    ],
    [
      "a malformed catalog source",
      openshiftArgs({ olm: { strimzi: { source: "Red Hat" } } }),
      'olm.strimzi.source "Red Hat" is not a catalog name',
    ],
    [
      "a malformed starting CSV",
      openshiftArgs({ olm: { cloudnativePg: { startingCSV: "CNPG 1.27" } } }),
      "olm.cloudnativePg.startingCSV",
    ],
    ["a malformed quota", operatorArgs({ quota: { ...OPERATORS_QUOTA, cpu: "four" } }), 'quota.cpu "four"'],
    [
      "an OpenShift AI component the DataScienceCluster v1 API does not have",
      openshiftArgs({ kserve: true, operators: { ...ops, openshiftAi: { notebooks: "Managed" } } }),
      'operators.openshiftAi.notebooks "Managed" is not an OpenShift AI component',
    ],
    [
      "an OpenShift AI management state other than Managed or Removed",
      openshiftArgs({ kserve: true, operators: { ...ops, openshiftAi: { dashboard: "Unmanaged" } } }),
      'operators.openshiftAi.dashboard "Unmanaged" is not one of Managed, Removed',
    ],
  ];
  it.each(refusals)("refuses %s", async (_what, args, message) => {
    expect(() => validatePlatformOperatorsArgs("ops", args)).toThrow(message);
    const r = await render(() => {
      expect(() => new PlatformOperators("ops", args)).toThrow(message);
    });
    expect(r.resources.map((x) => x.type)).toEqual(["pulumi:pulumi:Stack"]);
  });

  it("ignores versions it does not install and channels on Kubernetes", () => {
    const kserveVersionless = { ...ops, kserve: { version: "n/a", channel: "Not A Channel" } };
    expect(() =>
      validatePlatformOperatorsArgs("ops", operatorArgs({ operators: kserveVersionless })),
    ).not.toThrow();
  });

  it("names the component in the message", () => {
    expect(() => validatePlatformOperatorsArgs("ops", operatorArgs({ watchNamespaces: [] }))).toThrow(
      /^PlatformOperators ops: /,
    );
  });
});
