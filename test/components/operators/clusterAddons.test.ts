/**
 * Dev needs nothing pre-installed: on kubernetes PlatformOperators installs KEDA (streaming models
 * scale on consumer lag) and cert-manager (the Barman Cloud plugin and KServe issue their
 * certificates with it), pinned by the version table, restricted, behind default-deny policies
 * that open exactly the flows they need.
 */
import type { PlatformContext } from "../../../components/context";
import { PlatformOperators, PlatformOperatorsArgs } from "../../../components/operators/PlatformOperators";
import { validatePlatformOperatorsArgs } from "../../../components/operators/PlatformOperators";
import { PINS } from "../../../components/versions/pins";
import { parseConfig } from "../../../stacks/config";
import { platformContext, platformOperatorsArgs } from "../../../stacks/componentArgs";
import { preflightProblems } from "../../../stacks/preflight";
import { baseConfig, baseRawConfig } from "../../support/config";
import { render } from "../../support/render";

const CHART = "kubernetes:helm.sh/v4:Chart";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const NAMESPACE = "kubernetes:core/v1:Namespace";

function ctx(flavor: "kubernetes" | "openshift" = "kubernetes", highAvailability = false): PlatformContext {
  return {
    environment: "dev",
    target: flavor,
    flavor,
    protect: false,
    highAvailability,
    project: "mlstack",
    stack: "test",
  } as PlatformContext;
}

function args(overrides: Partial<PlatformOperatorsArgs> = {}): PlatformOperatorsArgs {
  return {
    ctx: ctx(),
    operators: { ...baseConfig().operators, install: true },
    strimzi: true,
    cloudnativePg: true,
    kserve: false,
    watchNamespaces: ["ml-dev-platform"],
    apiServerCidrs: ["10.0.0.0/24"],
    keda: { namespace: "keda", kafkaPorts: [9093] },
    certManager: true,
    ...overrides,
  };
}

async function renderWith(a: PlatformOperatorsArgs) {
  return render(() => {
    new PlatformOperators("ops", a);
  });
}

const chart = (r: Awaited<ReturnType<typeof render>>, name: string) => {
  const charts = r.ofType(CHART).filter((c) => c.name === name);
  expect(charts).toHaveLength(1);
  return { inputs: r.inputs(charts[0]), resource: charts[0] };
};

describe("KEDA", () => {
  it("installs the kedacore chart at the version table's pin into its own restricted, default-deny namespace", async () => {
    const r = await renderWith(args());
    const { inputs } = chart(r, "ops-keda");
    expect(inputs).toMatchObject({
      chart: "keda",
      repositoryOpts: { repo: "https://kedacore.github.io/charts" },
      version: PINS.kedaChart.version,
      namespace: "keda",
    });
    const ns = r.ofType(NAMESPACE).map((n) => r.inputs(n).metadata);
    const keda = ns.find((m) => m.name === "keda");
    expect(keda?.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(
      r
        .ofType(NETPOL)
        .some(
          (p) =>
            r.inputs(p).metadata.namespace === "keda" && r.inputs(p).metadata.name === "default-deny-all",
        ),
    ).toBe(true);
  });

  it("runs every KEDA pod restricted", async () => {
    const values = chart(await renderWith(args()), "ops-keda").inputs.values;
    for (const part of ["operator", "metricServer", "webhooks"]) {
      expect(values.podSecurityContext[part]).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(values.securityContext[part]).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      });
    }
  });

  it("opens exactly the API server to its metrics server and webhooks, the operator to the Kafka listener, and the metrics server to the operator's gRPC", async () => {
    const r = await renderWith(args());
    const policy = (name: string) => {
      const found = r
        .ofType(NETPOL)
        .find((p) => r.inputs(p).metadata.name === name && r.inputs(p).metadata.namespace === "keda");
      expect(found).toBeDefined();
      return r.inputs(found!).spec;
    };
    expect(policy("allow-keda-metrics-webhook-ingress").ingress[0].ports).toEqual([
      { protocol: "TCP", port: 6443 },
    ]);
    expect(policy("allow-keda-webhooks-webhook-ingress").ingress[0].ports).toEqual([
      { protocol: "TCP", port: 9443 },
    ]);
    const toKafka = policy("allow-keda-operand-egress");
    expect(toKafka.podSelector).toEqual({ matchLabels: { app: "keda-operator" } });
    expect(toKafka.egress[0].ports).toEqual([{ protocol: "TCP", port: 9093 }]);
    expect(toKafka.egress[0].to[0].podSelector).toEqual({ matchLabels: { "strimzi.io/kind": "Kafka" } });
    expect(policy("allow-keda-metrics-to-operator").ingress[0]).toEqual({
      from: [{ podSelector: { matchLabels: { app: "keda-operator-metrics-apiserver" } } }],
      ports: [{ protocol: "TCP", port: 9666 }],
    });
    expect(policy("allow-keda-metrics-egress-to-operator").egress[0].ports).toEqual([
      { protocol: "TCP", port: 9666 },
    ]);
  });

  it("is not installed without a streaming model, nor when operators.keda.install is false", () => {
    const raw = baseRawConfig();
    const withStreaming = parseConfig(raw, { project: "mlstack", stack: "test" });
    expect(platformOperatorsArgs(withStreaming, platformContext(withStreaming), []).keda).toEqual({
      namespace: "keda",
      kafkaPorts: [9093],
    });
    raw.operators = { keda: { install: false } };
    const off = parseConfig(raw, { project: "mlstack", stack: "test" });
    expect(platformOperatorsArgs(off, platformContext(off), []).keda).toBeUndefined();
    const noStreaming = parseConfig(
      { ...baseRawConfig(), serving: { models: [] } },
      { project: "mlstack", stack: "test" },
    );
    expect(platformOperatorsArgs(noStreaming, platformContext(noStreaming), []).keda).toBeUndefined();
  });
});

describe("cert-manager", () => {
  it("installs the jetstack chart with its CRDs at the version table's pin, restricted", async () => {
    const { inputs } = chart(await renderWith(args()), "ops-cert-manager");
    expect(inputs).toMatchObject({
      chart: "cert-manager",
      repositoryOpts: { repo: "https://charts.jetstack.io" },
      version: PINS.certManagerChart.version,
      namespace: "ml-dev-operators",
    });
    expect(inputs.values.crds).toEqual({ enabled: true });
    // Leader election stays in the operators namespace instead of the chart's default kube-system.
    expect(inputs.values.global).toEqual({ leaderElection: { namespace: "ml-dev-operators" } });
    for (const part of [
      inputs.values,
      inputs.values.webhook,
      inputs.values.cainjector,
      inputs.values.startupapicheck,
    ]) {
      expect(part.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(part.containerSecurityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      });
    }
  });

  it("admits the API server to its webhook", async () => {
    const r = await renderWith(args());
    const webhook = r
      .ofType(NETPOL)
      .find((p) => r.inputs(p).metadata.name === "allow-cert-manager-webhook-ingress");
    expect(r.inputs(webhook!).spec.ingress[0].ports).toEqual([{ protocol: "TCP", port: 10250 }]);
  });

  it("is left to the cluster when operators.certManager.install is false", async () => {
    const r = await renderWith(args({ certManager: false }));
    expect(r.ofType(CHART).filter((c) => c.name === "ops-cert-manager")).toHaveLength(0);
  });
});

describe("on OpenShift", () => {
  it("refuses to install KEDA or cert-manager (OperatorHub provides them), by config key", () => {
    expect(() =>
      validatePlatformOperatorsArgs("ops", args({ ctx: ctx("openshift"), certManager: false })),
    ).toThrow("install the Custom Metrics Autoscaler from OperatorHub");
    const raw = baseRawConfig();
    raw.target = "openshift";
    raw.operators = { install: true, certManager: { install: true } };
    expect(preflightProblems(parseConfig(raw, { project: "mlstack", stack: "test" }))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^mlstack:operators\.certManager\.install: true asks mlstack to install cert-manager on OpenShift/,
        ),
      ]),
    );
  });

  it("defaults both off", () => {
    const raw = baseRawConfig();
    raw.target = "openshift";
    const config = parseConfig(raw, { project: "mlstack", stack: "test" });
    expect([config.operators.keda.install, config.operators.certManager.install]).toEqual([false, false]);
  });
});

describe("KEDA refuses", () => {
  it("a namespace shared with the operators or a watched namespace", () => {
    expect(() =>
      validatePlatformOperatorsArgs(
        "ops",
        args({ keda: { namespace: "ml-dev-operators", kafkaPorts: [9093] } }),
      ),
    ).toThrow('keda.namespace "ml-dev-operators" is the operators namespace or a watched namespace');
  });

  it("a namespace that is not a DNS label", () => {
    expect(() =>
      validatePlatformOperatorsArgs("ops", args({ keda: { namespace: "KEDA", kafkaPorts: [9093] } })),
    ).toThrow('keda.namespace "KEDA"');
  });

  it("a Kafka port out of range", () => {
    expect(() =>
      validatePlatformOperatorsArgs("ops", args({ keda: { namespace: "keda", kafkaPorts: [0] } })),
    ).toThrow("keda.kafkaPorts[0] 0 is not a TCP port");
  });
});
