/**
 * On Cilium an ipBlock never matches the API server: every component whose NetworkPolicy opens the
 * API server by CIDR also renders a CiliumNetworkPolicy for the same pods, and nothing on other CNIs.
 */
import * as pulumi from "@pulumi/pulumi";
import { operatorNetworkPolicies } from "../../../components/operators/operatorNetwork";
import { strimziNetworkPolicies } from "../../../components/kafka/strimziNetworkPolicies";
import { Mlflow } from "../../../components/mlflow/Mlflow";
import { render } from "../../support/render";
import { mlflowArgs } from "../mlflow/fixtures";

const CILIUM = "kubernetes:cilium.io/v2:CiliumNetworkPolicy";

class Parent extends pulumi.ComponentResource {
  constructor() {
    super("test:index:Parent", "parent", {});
  }
}

const OPERATOR_ARGS = {
  namespace: "ml-dev-operators",
  labels: { "app.kubernetes.io/part-of": "mlstack" },
  apiServerCidrs: ["10.0.0.1/32"],
  webhooks: [
    { operator: "cloudnative-pg", pods: { matchLabels: { "app.kubernetes.io/name": "cnpg" } }, port: 9443 },
  ],
  operands: [],
};

const STRIMZI_ARGS = {
  cluster: "kafka",
  namespace: "ml-dev-platform",
  dns: { resolver: "kube-dns" as const },
  labels: {},
  apiServerCidrs: ["10.0.0.1/32"],
};

describe("operators namespace", () => {
  it("on Cilium: every pod reaches the kube-apiserver entity, and each webhook admits it on its own port and pods", async () => {
    const r = await render(() => {
      operatorNetworkPolicies("operators", { ...OPERATOR_ARGS, cni: "cilium" }, new Parent());
    });
    const egress = r.inputs(r.one(CILIUM, "apiserver-cilium"));
    expect(egress.metadata).toMatchObject({
      name: "allow-apiserver-egress-cilium",
      namespace: "ml-dev-operators",
    });
    expect(egress.spec.endpointSelector).toEqual({});
    expect(egress.spec.egress[0].toEntities).toEqual(["kube-apiserver"]);
    const webhook = r.inputs(r.one(CILIUM, "cloudnative-pg-webhook-cilium"));
    expect(webhook.spec.endpointSelector).toEqual({ matchLabels: { "app.kubernetes.io/name": "cnpg" } });
    expect(webhook.spec.ingress[0].toPorts).toEqual([{ ports: [{ port: "9443", protocol: "TCP" }] }]);
    expect(webhook.spec.egress).toBeUndefined();
  });

  it("on other CNIs: the NetworkPolicies alone", async () => {
    const r = await render(() => {
      operatorNetworkPolicies("operators", OPERATOR_ARGS, new Parent());
    });
    expect(r.ofType(CILIUM)).toEqual([]);
  });
});

describe("Strimzi", () => {
  it("on Cilium: the Kafka nodes and the Entity Operator each reach the kube-apiserver entity", async () => {
    const r = await render(() => {
      strimziNetworkPolicies("kafka", { ...STRIMZI_ARGS, cni: "cilium" }, new Parent());
    });
    const selectors = r
      .ofType(CILIUM)
      .map((p) => r.inputs(p).spec.endpointSelector.matchLabels["strimzi.io/name"]);
    expect(selectors.sort()).toEqual(["kafka-entity-operator", "kafka-kafka"]);
  });

  it("resolves names through the resolver it is given", async () => {
    const r = await render(() => {
      strimziNetworkPolicies("kafka", { ...STRIMZI_ARGS, dns: { resolver: "gke-cloud-dns" } }, new Parent());
    });
    const nodes = r.inputs(r.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "kafka-nodes-egress"));
    expect(JSON.stringify(nodes.spec.egress)).toContain("169.254.169.254/32");
    expect(r.ofType(CILIUM)).toEqual([]);
  });
});

describe("MLflow's oauth-proxy", () => {
  it("on Cilium: the MLflow pods reach the kube-apiserver entity (the proxy reviews tokens there)", async () => {
    const args = mlflowArgs({ target: "openshift", environment: "prod" }, { network: { cni: "cilium" } });
    const r = await render(() => {
      new Mlflow("mlflow", args);
    });
    const policy = r.inputs(r.one(CILIUM));
    expect(policy.metadata.name).toBe("mlflow-apiserver");
    expect(policy.spec.egress[0].toEntities).toEqual(["kube-apiserver"]);
  });

  it("basic auth on Cilium: no API access at all", async () => {
    const r = await render(() => {
      new Mlflow("mlflow", mlflowArgs({}, { network: { cni: "cilium" } }));
    });
    expect(r.ofType(CILIUM)).toEqual([]);
  });
});
