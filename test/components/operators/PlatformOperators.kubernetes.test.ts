import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { OPERATORS_QUOTA } from "../../../components/operators/PlatformOperators";
import { PINS } from "../../../components/versions/pins";
import {
  CHART,
  NETPOL,
  NAMESPACE,
  ctx,
  operatorsConfig,
  operatorArgs,
  renderOperators,
  Upstream,
  chartNamed,
} from "./operatorsRender";

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
