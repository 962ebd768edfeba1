/**
 * The cluster's network as it really is: which resolver pods reach, how Cilium is told about the
 * API server, and which labels monitors may carry.
 */
import { ciliumApiServerPolicySpec, apiServerEgressRule } from "../../../components/kube/apiServer";
import { clusterDnsProblem, defaultClusterDns, dnsEgressRule } from "../../../components/kube/clusterDns";
import { monitorLabelsProblem, monitorObjectLabels } from "../../../components/kube/monitorLabels";

const DNS_PORTS_53 = [
  { protocol: "UDP", port: 53 },
  { protocol: "TCP", port: 53 },
];

describe("cluster DNS", () => {
  it("defaults to Cloud DNS for GKE on gcp, kube-dns on kubernetes and aws, openshift-dns on openshift", () => {
    expect(defaultClusterDns("gcp")).toEqual({ resolver: "gke-cloud-dns" });
    expect(defaultClusterDns("kubernetes")).toEqual({ resolver: "kube-dns" });
    expect(defaultClusterDns("aws")).toEqual({ resolver: "kube-dns" });
    expect(defaultClusterDns("openshift")).toEqual({ resolver: "openshift" });
  });

  it("kube-dns: the CoreDNS / kube-dns pods in kube-system on 53 only", () => {
    expect(dnsEgressRule({ resolver: "kube-dns" })).toEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
          podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
        },
      ],
      ports: DNS_PORTS_53,
    });
  });

  it("gke-cloud-dns: the node's metadata server (169.254.169.254) and GKE's node-local cache, which no pod selector can match", () => {
    const rule = dnsEgressRule({ resolver: "gke-cloud-dns" });
    expect(rule.to).toEqual(
      expect.arrayContaining([
        { ipBlock: { cidr: "169.254.169.254/32" } },
        { ipBlock: { cidr: "169.254.20.10/32" } },
      ]),
    );
    expect(rule.ports).toEqual(DNS_PORTS_53);
  });

  it("node-local: the cache's link-local address (169.254.20.10 unless configured) and its pods, on 53 only", () => {
    expect(dnsEgressRule({ resolver: "node-local" }).to).toContainEqual({
      ipBlock: { cidr: "169.254.20.10/32" },
    });
    const custom = dnsEgressRule({ resolver: "node-local", address: "169.254.25.10" });
    expect(custom.to).toContainEqual({ ipBlock: { cidr: "169.254.25.10/32" } });
    expect(custom.to).not.toContainEqual({ ipBlock: { cidr: "169.254.20.10/32" } });
    expect(custom.ports).toEqual(DNS_PORTS_53);
  });

  it("openshift: the DNS operator's pods on 53 and 5353 (CoreDNS's port behind the Service)", () => {
    const rule = dnsEgressRule({ resolver: "openshift" });
    expect(rule.to).toEqual([
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-dns" } },
        podSelector: { matchLabels: { "dns.operator.openshift.io/daemonset-dns": "default" } },
      },
    ]);
    expect((rule.ports as { port: number }[]).map((p) => p.port)).toEqual([53, 53, 5353, 5353]);
  });

  it.each([
    [{ resolver: "coredns" }, "kubernetes", "is not one of: kube-dns, node-local, gke-cloud-dns, openshift"],
    [
      { resolver: "kube-dns" },
      "openshift",
      "OpenShift pods always resolve through the openshift-dns operator",
    ],
    [{ resolver: "openshift" }, "gcp", "is only for target openshift (target is gcp)"],
    [{ resolver: "gke-cloud-dns" }, "aws", "an EKS cluster does not have"],
    [{ resolver: "kube-dns", address: "10.96.0.10" }, "kubernetes", "is only for resolver node-local"],
    [{ resolver: "node-local", address: "169.254.20.10/32" }, "kubernetes", "is not an IPv4 address"],
  ] as const)("refuses %j on target %s", (dns, target, allowed) => {
    expect(clusterDnsProblem(dns as never, target)?.allowed).toContain(allowed);
  });

  it("accepts each target's default and a node-local cache anywhere but OpenShift", () => {
    for (const target of ["kubernetes", "aws", "gcp", "openshift"] as const)
      expect(clusterDnsProblem(defaultClusterDns(target), target)).toBeUndefined();
    expect(clusterDnsProblem({ resolver: "node-local", address: "169.254.25.10" }, "aws")).toBeUndefined();
  });
});

describe("the API server on Cilium", () => {
  it("lets the pods reach the kube-apiserver entity on 443 and 6443, which no ipBlock selects on Cilium", () => {
    const spec = ciliumApiServerPolicySpec({
      name: "p",
      namespace: "ns",
      labels: {},
      pods: { matchLabels: { app: "x" } },
      egress: true,
    });
    expect(spec).toEqual({
      endpointSelector: { matchLabels: { app: "x" } },
      egress: [
        {
          toEntities: ["kube-apiserver"],
          toPorts: [
            {
              ports: [
                { port: "443", protocol: "TCP" },
                { port: "6443", protocol: "TCP" },
              ],
            },
          ],
        },
      ],
    });
  });

  it("admits the API server (and the nodes it tunnels through on GKE / AKS) to webhook ports only", () => {
    const spec = ciliumApiServerPolicySpec({
      name: "p",
      namespace: "ns",
      labels: {},
      pods: {},
      egress: false,
      webhookPorts: [9443],
    });
    expect(spec.egress).toBeUndefined();
    expect(spec.ingress).toEqual([
      {
        fromEntities: ["kube-apiserver", "remote-node", "host"],
        toPorts: [{ ports: [{ port: "9443", protocol: "TCP" }] }],
      },
    ]);
  });

  it("keeps the plain NetworkPolicy rule for every other CNI: the CIDRs on 443 and 6443", () => {
    expect(apiServerEgressRule(["10.0.0.1/32"])).toEqual({
      to: [{ ipBlock: { cidr: "10.0.0.1/32" } }],
      ports: [
        { protocol: "TCP", port: 443 },
        { protocol: "TCP", port: 6443 },
      ],
    });
  });
});

describe("monitor labels", () => {
  it("accepts the label a stock kube-prometheus-stack selects on", () => {
    expect(monitorLabelsProblem({ release: "kube-prometheus-stack" })).toBeUndefined();
  });

  it.each([
    [{ "bad key!": "x" }, "is not a Kubernetes label key"],
    [{ release: "not a value" }, "is not a Kubernetes label value"],
    [{ release: 3 }, "is not a Kubernetes label value"],
    [{ "app.kubernetes.io/name": "x" }, "is one of the platform's own labels"],
    [{ "mlstack.io/team": "x" }, "is one of the platform's own labels"],
  ])("refuses %j", (labels, allowed) => {
    expect(monitorLabelsProblem(labels)?.allowed).toContain(allowed);
  });

  it("never lets an extra label override the platform's", () => {
    expect(monitorObjectLabels({ "app.kubernetes.io/name": "kafka" }, { release: "kps" })).toEqual({
      "app.kubernetes.io/name": "kafka",
      release: "kps",
    });
  });
});
