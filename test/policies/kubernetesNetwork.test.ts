import { check, kube, messages, namespaceKit, NS, UNKNOWN, workload } from "./helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const without = (kit: ReturnType<typeof namespaceKit>, name: string, kind: string) =>
  kit.filter((r) => !(r.name === name && r.type.endsWith(`:${kind}`)));
const RBAC = "rbac.authorization.k8s.io/v1";

describe("k8s-namespace-pss-labels", () => {
  it("accepts a namespace enforcing, warning and auditing restricted", () => {
    expect(messages(namespaceKit(), "k8s-namespace-pss-labels")).toEqual([]);
  });
  it("flags a namespace without the labels, or with a weaker level", () => {
    const ns = namespaceKit()[0];
    (ns.inputs as Json).metadata.labels["pod-security.kubernetes.io/enforce"] = "baseline";
    delete (ns.inputs as Json).metadata.labels["pod-security.kubernetes.io/audit"];
    expect(messages([ns], "k8s-namespace-pss-labels")).toEqual([
      expect.stringContaining("enforce: baseline"),
      expect.stringContaining("lacks pod-security.kubernetes.io/audit"),
    ]);
  });
});

describe("k8s-namespace-default-deny", () => {
  it("accepts a namespace with a default-deny policy for both directions", () => {
    expect(messages(namespaceKit(), "k8s-namespace-default-deny")).toEqual([]);
  });
  it("accepts one default-deny policy per direction", () => {
    const kit = without(namespaceKit(), "default-deny", "NetworkPolicy");
    kit.push(
      kube("networking.k8s.io/v1", "NetworkPolicy", "deny-in", {
        spec: { podSelector: {}, policyTypes: ["Ingress"] },
      }),
    );
    kit.push(
      kube("networking.k8s.io/v1", "NetworkPolicy", "deny-out", {
        spec: { podSelector: {}, policyTypes: ["Egress"], egress: [] },
      }),
    );
    expect(messages(kit, "k8s-namespace-default-deny")).toEqual([]);
  });
  it("flags a namespace without its companion default-deny policy", () => {
    expect(
      messages(without(namespaceKit(), "default-deny", "NetworkPolicy"), "k8s-namespace-default-deny"),
    ).toEqual([`Namespace ${NS} has no default-deny NetworkPolicy for Ingress and Egress`]);
  });
  it("does not count a policy that denies ingress only, or one in another namespace", () => {
    const kit = without(namespaceKit(), "default-deny", "NetworkPolicy");
    kit.push(kube("networking.k8s.io/v1", "NetworkPolicy", "deny-in", { spec: { podSelector: {} } }));
    kit.push(
      kube(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        "elsewhere",
        { spec: { podSelector: {}, policyTypes: ["Egress"] } },
        { namespace: "other" },
      ),
    );
    expect(messages(kit, "k8s-namespace-default-deny")).toEqual([expect.stringContaining("for Egress")]);
  });
  it("places a policy whose namespace is unknown through its dependency on the Namespace", () => {
    const kit = namespaceKit();
    const deny = kit.find((r) => r.name === "default-deny")!;
    (deny.inputs as Json).metadata.namespace = UNKNOWN;
    deny.propertyDependencies = { metadata: [kit[0].urn] };
    expect(check(kit, "k8s-namespace-default-deny")).toEqual({ violations: [], deferred: [] });
  });
  it("reports a namespace as not checked when a policy cannot be placed at all", () => {
    const kit = without(namespaceKit(), "default-deny", "NetworkPolicy");
    kit.push(
      kube(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        "deny",
        { spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
        { namespace: UNKNOWN },
      ),
    );
    expect(check(kit, "k8s-namespace-default-deny")).toEqual({
      violations: [expect.objectContaining({ notChecked: true, enforcementLevel: "mandatory" })],
      deferred: [expect.objectContaining({ policy: "k8s-namespace-default-deny" })],
    });
  });
});

describe("k8s-workload-has-netpol", () => {
  it("accepts a workload selected by a policy (the default deny counts)", () => {
    expect(messages([...namespaceKit(), workload("Deployment")], "k8s-workload-has-netpol")).toEqual([]);
  });
  it("flags a workload no policy in its namespace selects", () => {
    const w = workload("Deployment", undefined, "other");
    (w.inputs as Json).metadata.namespace = "ml-prod-pricing";
    expect(messages([...namespaceKit(), w], "k8s-workload-has-netpol")).toEqual([
      expect.stringContaining("no NetworkPolicy in namespace ml-prod-pricing"),
    ]);
  });
  it("matches selectors with matchExpressions against the pod template labels", () => {
    const policy = kube("networking.k8s.io/v1", "NetworkPolicy", "by-expr", {
      spec: {
        podSelector: {
          matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["scorer"] }],
        },
        policyTypes: ["Ingress"],
      },
    });
    const miss = kube("networking.k8s.io/v1", "NetworkPolicy", "miss", {
      spec: { podSelector: { matchLabels: { "app.kubernetes.io/name": "other" } } },
    });
    expect(messages([policy, workload("StatefulSet")], "k8s-workload-has-netpol")).toEqual([]);
    expect(messages([miss, workload("StatefulSet")], "k8s-workload-has-netpol")).toHaveLength(1);
  });
  it("selects InferenceService pods by the labels KServe gives them", () => {
    const policy = kube("networking.k8s.io/v1", "NetworkPolicy", "isvc", {
      spec: { podSelector: { matchLabels: { "serving.kserve.io/inferenceservice": "scorer" } } },
    });
    expect(messages([policy, workload("InferenceService")], "k8s-workload-has-netpol")).toEqual([]);
  });
});

describe("k8s-netpol-no-allow-all", () => {
  const policy = (spec: Json) =>
    kube("networking.k8s.io/v1", "NetworkPolicy", "p", { spec: { podSelector: {}, ...spec } });
  it.each([
    ["an ingress rule with no from", { ingress: [{ ports: [{ port: 8080 }] }] }],
    ["0.0.0.0/0", { egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] }],
    ["::/0", { ingress: [{ from: [{ ipBlock: { cidr: "::/0" } }] }] }],
    ["namespaceSelector {}", { ingress: [{ from: [{ namespaceSelector: {} }] }] }],
  ])("flags %s", (_what, spec) => {
    expect(messages([policy(spec)], "k8s-netpol-no-allow-all")).toHaveLength(1);
  });
  it("accepts rules naming their peers, and a deny-all policy", () => {
    expect(messages(namespaceKit(), "k8s-netpol-no-allow-all")).toEqual([]);
  });
});

describe("k8s-namespace-quota", () => {
  it("accepts a namespace with a ResourceQuota and a LimitRange", () => {
    expect(messages(namespaceKit(), "k8s-namespace-quota")).toEqual([]);
  });
  it("flags a namespace without its companion LimitRange", () => {
    expect(messages(without(namespaceKit(), "limits", "LimitRange"), "k8s-namespace-quota")).toEqual([
      `Namespace ${NS} has no LimitRange`,
    ]);
  });
});

describe("services", () => {
  const svc = (spec: Json, annotations: Json = {}) =>
    kube("v1", "Service", "svc", { spec: { ports: [{ port: 80 }], ...spec } }, { annotations });
  it("k8s-service-no-nodeport flags NodePort and accepts ClusterIP", () => {
    expect(messages([svc({ type: "NodePort" })], "k8s-service-no-nodeport")).toHaveLength(1);
    expect(messages([svc({ type: "ClusterIP" })], "k8s-service-no-nodeport")).toEqual([]);
  });
  it("k8s-service-no-public-lb flags a public LoadBalancer and externalIPs", () => {
    expect(messages([svc({ type: "LoadBalancer" })], "k8s-service-no-public-lb")).toEqual([
      expect.stringContaining("without an internal"),
    ]);
    expect(messages([svc({ externalIPs: ["203.0.113.10"] })], "k8s-service-no-public-lb")).toEqual([
      expect.stringContaining("externalIPs"),
    ]);
  });
  it.each([
    ["service.beta.kubernetes.io/aws-load-balancer-scheme", "internal"],
    ["networking.gke.io/load-balancer-type", "Internal"],
    ["service.beta.kubernetes.io/azure-load-balancer-internal", "true"],
  ])("k8s-service-no-public-lb accepts an internal load balancer (%s)", (key, value) => {
    expect(messages([svc({ type: "LoadBalancer" }, { [key]: value })], "k8s-service-no-public-lb")).toEqual(
      [],
    );
  });
});

describe("k8s-ingress-tls", () => {
  const ingress = (spec: Json) => kube("networking.k8s.io/v1", "Ingress", "web", { spec });
  const rule = (host?: string) => ({
    ...(host !== undefined ? { host } : {}),
    http: {
      paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "s", port: { number: 80 } } } }],
    },
  });
  it("accepts TLS for every exact host", () => {
    expect(
      messages(
        [
          ingress({
            tls: [{ hosts: ["ml.bank.example"], secretName: "tls" }],
            rules: [rule("ml.bank.example")],
          }),
        ],
        "k8s-ingress-tls",
      ),
    ).toEqual([]);
  });
  it.each([
    ["no TLS", { rules: [rule("ml.bank.example")] }],
    ["a rule without host", { tls: [{ hosts: ["ml.bank.example"] }], rules: [rule()] }],
    ["a wildcard host", { tls: [{ hosts: ["*.bank.example"] }], rules: [rule("*.bank.example")] }],
    ["a host missing from tls", { tls: [{ hosts: ["a.bank.example"] }], rules: [rule("b.bank.example")] }],
  ])("flags %s", (_what, spec) => {
    expect(messages([ingress(spec)], "k8s-ingress-tls").length).toBeGreaterThan(0);
  });
});

describe("openshift-route-tls", () => {
  const route = (spec: Json) =>
    kube("route.openshift.io/v1", "Route", "web", { spec: { to: { kind: "Service", name: "s" }, ...spec } });
  it("accepts edge termination with Redirect", () => {
    expect(
      messages(
        [route({ tls: { termination: "edge", insecureEdgeTerminationPolicy: "Redirect" } })],
        "openshift-route-tls",
      ),
    ).toEqual([]);
  });
  it("flags a route without TLS and one allowing plain HTTP", () => {
    expect(messages([route({})], "openshift-route-tls")).toEqual([expect.stringContaining("no TLS")]);
    expect(
      messages(
        [route({ tls: { termination: "edge", insecureEdgeTerminationPolicy: "Allow" } })],
        "openshift-route-tls",
      ),
    ).toEqual([expect.stringContaining("Allow")]);
  });
});

describe("RBAC", () => {
  const role = (rules: Json[], kind = "Role") => kube(RBAC, kind, "r", { rules });
  const binding = (roleName: string, kind = "RoleBinding") =>
    kube(RBAC, kind, "b", {
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
      subjects: [{ kind: "Group", name: "ml-fraud" }],
    });
  const readPods = { apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get", "list", "watch"] };

  it.each([
    ["verbs", { apiGroups: [""], resources: ["pods"], verbs: ["*"] }],
    ["resources", { apiGroups: [""], resources: ["*"], verbs: ["get"] }],
    ["apiGroups", { apiGroups: ["*"], resources: ["pods"], verbs: ["get"] }],
  ])("k8s-rbac-no-wildcards flags * in %s", (_what, rule) => {
    expect(messages([role([rule])], "k8s-rbac-no-wildcards")).toHaveLength(1);
  });
  it("k8s-rbac-no-wildcards accepts named verbs and resources", () => {
    expect(messages([role([readPods])], "k8s-rbac-no-wildcards")).toEqual([]);
  });
  it("k8s-rbac-no-escalation-verbs flags escalate, bind and impersonate", () => {
    expect(
      messages(
        [
          role([
            { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"], verbs: ["bind", "escalate"] },
            { apiGroups: [""], resources: ["users"], verbs: ["impersonate"] },
          ]),
        ],
        "k8s-rbac-no-escalation-verbs",
      ),
    ).toHaveLength(2);
    expect(messages([role([readPods])], "k8s-rbac-no-escalation-verbs")).toEqual([]);
  });
  it("k8s-rbac-no-exec-attach flags pods/exec and pods/attach", () => {
    expect(
      messages(
        [role([{ apiGroups: [""], resources: ["pods/exec", "pods/attach"], verbs: ["create"] }])],
        "k8s-rbac-no-exec-attach",
      ),
    ).toEqual([
      expect.stringContaining("create on pods/exec"),
      expect.stringContaining("create on pods/attach"),
    ]);
    expect(messages([role([readPods])], "k8s-rbac-no-exec-attach")).toEqual([]);
  });
  it("k8s-rbac-secrets-read-scoped flags cluster-wide secret reads and accepts named secrets", () => {
    expect(
      messages(
        [role([{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }], "ClusterRole")],
        "k8s-rbac-secrets-read-scoped",
      ),
    ).toHaveLength(1);
    expect(messages([binding("edit", "ClusterRoleBinding")], "k8s-rbac-secrets-read-scoped")).toHaveLength(1);
    expect(
      messages(
        [
          role(
            [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["db"] }],
            "ClusterRole",
          ),
          binding("edit"),
        ],
        "k8s-rbac-secrets-read-scoped",
      ),
    ).toEqual([]);
  });
  it("k8s-rbac-no-cluster-admin-binding flags bindings to cluster-admin", () => {
    expect(
      messages(
        [binding("cluster-admin", "ClusterRoleBinding"), binding("cluster-admin")],
        "k8s-rbac-no-cluster-admin-binding",
      ),
    ).toHaveLength(2);
    expect(messages([binding("view")], "k8s-rbac-no-cluster-admin-binding")).toEqual([]);
  });
  it("openshift-no-privileged-scc flags bindings to privileged SCCs and roles using them", () => {
    expect(messages([binding("system:openshift:scc:anyuid")], "openshift-no-privileged-scc")).toEqual([
      expect.stringContaining("anyuid"),
    ]);
    expect(
      messages(
        [binding("system:openshift:scc:privileged", "ClusterRoleBinding")],
        "openshift-no-privileged-scc",
      ),
    ).toHaveLength(1);
    expect(
      messages(
        [
          role([
            {
              apiGroups: ["security.openshift.io"],
              resources: ["securitycontextconstraints"],
              verbs: ["use"],
              resourceNames: ["privileged"],
            },
          ]),
        ],
        "openshift-no-privileged-scc",
      ),
    ).toHaveLength(1);
    expect(
      messages(
        [
          role([
            {
              apiGroups: ["security.openshift.io"],
              resources: ["securitycontextconstraints"],
              verbs: ["use"],
              resourceNames: ["restricted-v2"],
            },
          ]),
          binding("system:openshift:scc:restricted-v2"),
        ],
        "openshift-no-privileged-scc",
      ),
    ).toEqual([]);
  });
});

describe("unknown values in network objects", () => {
  it("reports unknown Ingress rules as not checked", () => {
    const ing = kube("networking.k8s.io/v1", "Ingress", "i", {
      spec: { tls: [{ hosts: ["a.example.com"], secretName: "t" }], rules: UNKNOWN },
    });
    expect(check([ing], "k8s-ingress-tls").violations).toEqual([
      expect.objectContaining({ notChecked: true, message: expect.stringContaining("spec.rules") }),
    ]);
  });
});
