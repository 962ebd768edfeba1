import {
  PlatformOperatorsArgs,
  validatePlatformOperatorsArgs,
} from "../../../components/operators/PlatformOperators";
import { RHOAI_OTHER_COMPONENTS } from "../../../components/operators/kserve";
import { render } from "../../support/render";
import {
  CHART,
  NETPOL,
  NAMESPACE,
  SUBSCRIPTION,
  OPERATOR_GROUP,
  DSCI,
  DSC,
  ctx,
  operatorsConfig,
  openshiftArgs,
  renderOperators,
} from "./operatorsRender";

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
