/**
 * The shipped stacks' network policies fit the cluster each one targets: the resolver pods really
 * use, the CNI that enforces the policies, and the Prometheus that really scrapes.
 */
import { revealSecrets } from "../../cli/mockRuntime";
import type { PlanResult } from "../../cli/plan";
import type { Json } from "../support/config";
import { shippedPlan } from "../support/shippedPlans";

const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const CILIUM = "kubernetes:cilium.io/v2:CiliumNetworkPolicy";
const plans = new Map<string, PlanResult>();

beforeAll(async () => {
  for (const stack of ["dev", "prod", "prod-gcp"]) plans.set(stack, await shippedPlan(stack));
}, 300_000);

function inputsOf(stack: string, type: string): Json[] {
  const plan = plans.get(stack) as PlanResult;
  return plan.resources.filter((r) => r.type === type).map((r) => revealSecrets(r.inputs) as Json);
}

function dnsPolicies(stack: string): Json[] {
  return inputsOf(stack, NETPOL).filter((p) => p.metadata.name === "allow-dns-egress");
}

describe("prod-gcp (GKE Autopilot, Cloud DNS)", () => {
  it("lets every namespace resolve through the node's metadata server on 53, where Cloud DNS answers", () => {
    const policies = dnsPolicies("prod-gcp");
    expect(policies.length).toBeGreaterThan(0);
    for (const policy of policies) {
      const [rule] = policy.spec.egress;
      expect(rule.to).toContainEqual({ ipBlock: { cidr: "169.254.169.254/32" } });
      expect(rule.ports).toEqual([
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
      ]);
    }
  });
});

describe("prod (OpenShift)", () => {
  it("admits the user-workload monitoring Prometheus to the scraped pods, not openshift-monitoring", () => {
    const peers = JSON.stringify(inputsOf("prod", NETPOL).map((p) => p.spec.ingress ?? []));
    expect(peers).toContain('"kubernetes.io/metadata.name":"openshift-user-workload-monitoring"');
    expect(peers).not.toContain('"kubernetes.io/metadata.name":"openshift-monitoring"');
  });

  it("resolves through openshift-dns and renders no Cilium policy", () => {
    for (const policy of dnsPolicies("prod"))
      expect(policy.spec.egress[0].to[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"]).toBe(
        "openshift-dns",
      );
    expect(inputsOf("prod", CILIUM)).toEqual([]);
  });
});

describe("dev (Cilium)", () => {
  it("opens the API server by entity wherever a NetworkPolicy opens it by ipBlock: operators, Strimzi nodes and entity operator, CloudNativePG instances", () => {
    const cilium = inputsOf("dev", CILIUM);
    const egressTo = cilium.filter((p) =>
      (p.spec.egress ?? []).some((e: Json) => (e.toEntities ?? []).includes("kube-apiserver")),
    );
    expect(egressTo.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual([
      "keda/allow-apiserver-egress-cilium",
      "ml-dev-operators/allow-apiserver-egress-cilium",
      "ml-dev-platform/kafka-entity-operator-egress-apiserver",
      "ml-dev-platform/kafka-kafka-nodes-egress-apiserver",
      "ml-dev-platform/postgres-instances-apiserver",
    ]);
  });

  it("admits the API server to CloudNativePG's webhook by entity", () => {
    const webhook = inputsOf("dev", CILIUM).find(
      (p) => p.metadata.name === "allow-cloudnative-pg-webhook-ingress-cilium",
    ) as Json;
    expect(webhook.spec.ingress[0].fromEntities).toContain("kube-apiserver");
    expect(webhook.spec.ingress[0].toPorts[0].ports).toEqual([{ port: "9443", protocol: "TCP" }]);
  });
});
