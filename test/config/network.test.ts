/** `mlstack:network`: the resolver, the CNI, the monitoring namespace and monitor labels, per target. */
import { parseConfig } from "../../stacks/config";
import { NetworkSchema, parseNetwork } from "../../stacks/config/network";
import { Reader } from "../../stacks/config/reader";
import { validateSection } from "../../stacks/config/validate";
import type { Target } from "../../stacks/config/types";
import { baseRawConfig } from "../support/config";

function parse(value: unknown, target: Target) {
  const r = new Reader();
  const network = parseNetwork(r, validateSection(NetworkSchema, value, r, "network"), target);
  return { network, problems: r.problems };
}

describe("mlstack:network defaults per target", () => {
  it("gcp resolves through Cloud DNS for GKE (Autopilot's default), not kube-dns pods", () => {
    expect(parse(undefined, "gcp").network.dns).toEqual({ resolver: "gke-cloud-dns" });
  });

  it("kubernetes and aws resolve through the kube-dns / CoreDNS pods; openshift through openshift-dns", () => {
    expect(parse(undefined, "kubernetes").network.dns).toEqual({ resolver: "kube-dns" });
    expect(parse(undefined, "aws").network.dns).toEqual({ resolver: "kube-dns" });
    expect(parse(undefined, "openshift").network.dns).toEqual({ resolver: "openshift" });
  });

  it("openshift admits the user-workload monitoring Prometheus, which scrapes user namespaces", () => {
    const c = parseConfig(
      { ...baseRawConfig(), environment: "prod", target: "openshift" },
      {
        project: "mlstack",
        stack: "test",
      },
    );
    expect(c.network.monitoringNamespace).toBe("openshift-user-workload-monitoring");
    expect(parse(undefined, "kubernetes").network.monitoringNamespace).toBe("monitoring");
  });

  it("assumes a CNI whose ipBlock matches the API server, and no extra monitor labels", () => {
    const { network } = parse(undefined, "kubernetes");
    expect(network.cni).toBe("other");
    expect(network.monitorLabels).toEqual({});
  });

  it("takes a node-local cache with its address, Cilium and a release label", () => {
    const { network, problems } = parse(
      {
        dns: { resolver: "node-local", address: "169.254.25.10" },
        cni: "cilium",
        monitorLabels: { release: "kube-prometheus-stack" },
      },
      "aws",
    );
    expect(problems).toEqual([]);
    expect(network.dns).toEqual({ resolver: "node-local", address: "169.254.25.10" });
    expect(network.cni).toBe("cilium");
    expect(network.monitorLabels).toEqual({ release: "kube-prometheus-stack" });
  });
});

describe("mlstack:network refusals name the key, the value and what is allowed", () => {
  it.each([
    [
      { dns: { resolver: "coredns" } },
      "kubernetes",
      'mlstack:network.dns.resolver: "coredns" is not one of: kube-dns',
    ],
    [
      { dns: { resolver: "kube-dns" } },
      "openshift",
      'mlstack:network.dns.resolver: "kube-dns" is not openshift',
    ],
    [{ dns: { resolver: "openshift" } }, "kubernetes", "is only for target openshift"],
    [{ dns: { resolver: "gke-cloud-dns" } }, "aws", "an EKS cluster does not have"],
    [
      { dns: { resolver: "kube-dns", address: "10.0.0.10" } },
      "kubernetes",
      'mlstack:network.dns.address: "10.0.0.10" is only for resolver node-local',
    ],
    [{ dns: { resolver: "node-local", address: "cache" } }, "kubernetes", "is not an IPv4 address"],
    [{ dns: { server: "1.1.1.1" } }, "kubernetes", "mlstack:network.dns.server"],
    [{ cni: "calico" }, "kubernetes", 'mlstack:network.cni: "calico" is not one of: cilium, other'],
    [
      { cni: "cilium" },
      "gcp",
      'mlstack:network.cni: "cilium" is not for target gcp: GKE Dataplane V2 serves no CiliumNetworkPolicy CRD',
    ],
    [{ monitorLabels: { "Not A Key": "x" } }, "kubernetes", "is not a Kubernetes label key"],
    [
      { monitorLabels: { release: "two words" } },
      "kubernetes",
      'mlstack:network.monitorLabels.release: "two words" is not a Kubernetes label value',
    ],
    [
      { monitorLabels: { "app.kubernetes.io/part-of": "x" } },
      "kubernetes",
      "is one of the platform's own labels",
    ],
    [
      { monitorLabels: ["release"] },
      "kubernetes",
      'mlstack:network.monitorLabels: ["release"] is not an object',
    ],
  ] as const)("refuses %j on %s", (value, target, message) => {
    const { problems } = parse(value, target);
    expect(problems.join("\n")).toContain(message);
  });
});
