import * as pulumi from "@pulumi/pulumi";
import { LimitRange, Namespace, ResourceQuota, ServiceAccount } from "kubernetes-models/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import type { PlatformContext } from "../../../components/context";
import {
  TeamNamespace,
  TeamNamespaceArgs,
  validateTeamNamespaceArgs,
} from "../../../components/namespace/TeamNamespace";
import type { ResourceQuotaConfig } from "../../../stacks/config/types";
import { render } from "../../support/render";

const NAMESPACE = "kubernetes:core/v1:Namespace";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const QUOTA = "kubernetes:core/v1:ResourceQuota";
const LIMITS = "kubernetes:core/v1:LimitRange";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";
const SA = "kubernetes:core/v1:ServiceAccount";

function ctx(overrides: Partial<PlatformContext> = {}): PlatformContext {
  return {
    environment: "dev",
    target: "kubernetes",
    flavor: "kubernetes",
    protect: false,
    highAvailability: false,
    project: "mlstack",
    stack: "test",
    ...overrides,
  };
}

const quota: ResourceQuotaConfig = { cpu: "8", memory: "16Gi", gpu: 2, pods: 50, storage: "50Gi" };

function teamArgs(overrides: Partial<TeamNamespaceArgs> = {}): TeamNamespaceArgs {
  return {
    ctx: ctx(),
    namespace: "ml-dev-fraud",
    team: "fraud",
    groups: ["ml-fraud"],
    members: ["alice@example.com"],
    quota,
    serviceAccounts: [{ name: "fraud-detector" }],
    ...overrides,
  };
}

function renderTeam(args: TeamNamespaceArgs = teamArgs()) {
  return render(() => {
    new TeamNamespace("team-fraud", args);
  });
}

describe("TeamNamespace", () => {
  describe("the namespace", () => {
    it("enforces, warns and audits Pod Security restricted at the latest version", async () => {
      const r = await renderTeam();
      const labels = r.inputs(r.one(NAMESPACE)).metadata.labels;
      for (const mode of ["enforce", "warn", "audit"]) {
        expect(labels[`pod-security.kubernetes.io/${mode}`]).toBe("restricted");
        expect(labels[`pod-security.kubernetes.io/${mode}-version`]).toBe("latest");
      }
    });

    it("carries the platform labels with the owning team", async () => {
      const labels = (await renderTeam().then((r) => r.inputs(r.one(NAMESPACE)))).metadata.labels;
      expect(labels).toMatchObject({
        "app.kubernetes.io/name": "ml-dev-fraud",
        "app.kubernetes.io/part-of": "mlstack",
        "app.kubernetes.io/component": "namespace",
        "app.kubernetes.io/managed-by": "pulumi",
        "mlstack.io/environment": "dev",
        "mlstack.io/team": "fraud",
      });
    });

    it("uses the physical name it is given", async () => {
      const r = await renderTeam();
      expect(r.inputs(r.one(NAMESPACE)).metadata.name).toBe("ml-dev-fraud");
    });

    it("turns off OpenShift's PSA label sync so restricted stays authoritative", async () => {
      const r = await renderTeam(teamArgs({ ctx: ctx({ target: "openshift", flavor: "openshift" }) }));
      const labels = r.inputs(r.one(NAMESPACE)).metadata.labels;
      expect(labels["security.openshift.io/scc.podSecurityLabelSync"]).toBe("false");
      expect(labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    });

    it("leaves OpenShift labels off plain Kubernetes", async () => {
      const r = await renderTeam();
      expect(r.inputs(r.one(NAMESPACE)).metadata.labels).not.toHaveProperty(
        "security.openshift.io/scc.podSecurityLabelSync",
      );
    });

    it("is protected when the stack protects stateful resources, since deleting it deletes its volumes", async () => {
      expect((await renderTeam(teamArgs({ ctx: ctx({ protect: true }) }))).one(NAMESPACE).protect).toBe(true);
      expect((await renderTeam()).one(NAMESPACE).protect).toBe(false);
    });
  });

  describe("network policies", () => {
    it("denies all ingress and egress for every pod by default", async () => {
      const r = await renderTeam();
      const deny = r.inputs(r.one(NETPOL, "default-deny"));
      expect(deny.metadata).toMatchObject({ name: "default-deny-all", namespace: "ml-dev-fraud" });
      expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    });

    it("allows DNS only to kube-dns in kube-system on port 53 over UDP and TCP (kubernetes)", async () => {
      const r = await renderTeam();
      const dns = r.inputs(r.one(NETPOL, "dns-egress"));
      expect(dns.spec.policyTypes).toEqual(["Egress"]);
      expect(dns.spec.ingress).toBeUndefined();
      expect(dns.spec.egress).toEqual([
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ]);
    });

    it("allows DNS to the OpenShift DNS daemonset on 5353 and 53 (openshift)", async () => {
      const r = await renderTeam(teamArgs({ ctx: ctx({ target: "openshift", flavor: "openshift" }) }));
      const [rule] = r.inputs(r.one(NETPOL, "dns-egress")).spec.egress;
      expect(rule.to).toEqual([
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "openshift-dns" } },
          podSelector: { matchLabels: { "dns.operator.openshift.io/daemonset-dns": "default" } },
        },
      ]);
      expect(rule.ports).toEqual([
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
        { protocol: "UDP", port: 5353 },
        { protocol: "TCP", port: 5353 },
      ]);
    });

    it("allows DNS to GKE's metadata server and node-local cache by default on gcp (Cloud DNS), never only to kube-dns pods", async () => {
      const r = await renderTeam(teamArgs({ ctx: ctx({ target: "gcp" }) }));
      const [rule] = r.inputs(r.one(NETPOL, "dns-egress")).spec.egress;
      expect(rule.to).toEqual(
        expect.arrayContaining([
          { ipBlock: { cidr: "169.254.169.254/32" } },
          { ipBlock: { cidr: "169.254.20.10/32" } },
        ]),
      );
      expect(rule.ports).toEqual([
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
      ]);
    });

    it("allows DNS to the configured node-local cache address and its pods when told the cluster runs one", async () => {
      const r = await renderTeam(teamArgs({ dns: { resolver: "node-local", address: "169.254.25.10" } }));
      const [rule] = r.inputs(r.one(NETPOL, "dns-egress")).spec.egress;
      expect(rule.to).toEqual([
        { ipBlock: { cidr: "169.254.25.10/32" } },
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
          podSelector: {
            matchExpressions: [{ key: "k8s-app", operator: "In", values: ["kube-dns", "node-local-dns"] }],
          },
        },
      ]);
    });

    it("opens nothing else", async () => {
      const r = await renderTeam();
      expect(r.ofType(NETPOL)).toHaveLength(2);
    });
  });

  describe("quota", () => {
    it("caps CPU, memory, GPUs, pods and storage requests and forbids NodePort and LoadBalancer services", async () => {
      const r = await renderTeam();
      expect(r.inputs(r.one(QUOTA)).spec.hard).toEqual({
        "requests.cpu": "8",
        "requests.memory": "16Gi",
        "requests.nvidia.com/gpu": "2",
        pods: "50",
        "requests.storage": "50Gi",
        "services.nodeports": "0",
        "services.loadbalancers": "0",
      });
    });

    it("gives containers small default requests, bounded default limits and the namespace budget as maximum", async () => {
      const r = await renderTeam();
      const [container, pvc] = r.inputs(r.one(LIMITS)).spec.limits;
      expect(container).toEqual({
        type: "Container",
        defaultRequest: { cpu: "100m", memory: "256Mi" },
        default: { cpu: "1", memory: "1Gi" },
        max: { cpu: "8", memory: "16Gi" },
      });
      expect(pvc).toEqual({ type: "PersistentVolumeClaim", max: { storage: "50Gi" } });
    });

    it("clamps container defaults to a quota smaller than them", async () => {
      const small = { cpu: "500m", memory: "512Mi", gpu: 0, pods: 5, storage: "1Gi" };
      const r = await renderTeam(teamArgs({ quota: small }));
      const [container] = r.inputs(r.one(LIMITS)).spec.limits;
      expect(container.defaultRequest).toEqual({ cpu: "100m", memory: "256Mi" });
      expect(container.default).toEqual({ cpu: "500m", memory: "512Mi" });
    });

    it("creates neither quota nor limits without a quota (the platform namespace)", async () => {
      const r = await renderTeam(teamArgs({ quota: undefined }));
      expect(r.ofType(QUOTA)).toHaveLength(0);
      expect(r.ofType(LIMITS)).toHaveLength(0);
    });
  });

  describe("RBAC", () => {
    it("binds the team's groups and members to the team role", async () => {
      const r = await renderTeam();
      const binding = r.inputs(r.one(BINDING));
      expect(binding.roleRef).toEqual({
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: "team-member",
      });
      expect(binding.subjects).toEqual([
        { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "ml-fraud" },
        { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice@example.com" },
      ]);
      expect(binding.metadata.namespace).toBe("ml-dev-fraud");
    });

    it("grants no wildcard and no escalation verb", async () => {
      const r = await renderTeam();
      for (const rule of r.inputs(r.one(ROLE)).rules) {
        for (const field of ["apiGroups", "resources", "verbs"]) expect(rule[field]).not.toContain("*");
        for (const verb of ["escalate", "bind", "impersonate", "deletecollection"])
          expect(rule.verbs).not.toContain(verb);
      }
    });

    it("grants nothing on Secrets, exec, attach, port-forward, tokens or RBAC objects", async () => {
      const r = await renderTeam();
      const resources = r
        .inputs(r.one(ROLE))
        .rules.flatMap((rule: { resources: string[] }) => rule.resources);
      for (const forbidden of [
        "secrets",
        "pods/exec",
        "pods/attach",
        "pods/portforward",
        "serviceaccounts/token",
        "roles",
        "rolebindings",
      ]) {
        expect(resources).not.toContain(forbidden);
      }
    });

    it("lets the team manage its workloads and InferenceServices and read pod logs", async () => {
      const rules = (await renderTeam().then((r) => r.inputs(r.one(ROLE)))).rules as Array<{
        apiGroups: string[];
        resources: string[];
        verbs: string[];
      }>;
      const verbsOn = (group: string, resource: string) =>
        rules
          .filter((x) => x.apiGroups.includes(group) && x.resources.includes(resource))
          .flatMap((x) => x.verbs);
      expect(verbsOn("apps", "deployments")).toEqual(
        expect.arrayContaining(["create", "update", "patch", "delete"]),
      );
      expect(verbsOn("batch", "jobs")).toEqual(expect.arrayContaining(["create", "delete"]));
      expect(verbsOn("serving.kserve.io", "inferenceservices")).toEqual(
        expect.arrayContaining(["create", "patch"]),
      );
      expect(verbsOn("", "pods/log")).toEqual(["get", "list", "watch"]);
      expect(verbsOn("", "pods")).not.toContain("create");
      expect(verbsOn("networking.k8s.io", "networkpolicies")).toEqual(["get", "list", "watch"]);
      expect(verbsOn("networking.k8s.io", "ingresses")).toEqual(["get", "list", "watch"]);
    });

    it("lets the team read Routes on OpenShift only", async () => {
      const hasRoutes = (rules: Array<{ apiGroups: string[] }>) =>
        rules.some((rule) => rule.apiGroups.includes("route.openshift.io"));
      const k8sRole = (await renderTeam().then((r) => r.inputs(r.one(ROLE)))).rules;
      const ocpRole = (
        await renderTeam(teamArgs({ ctx: ctx({ target: "openshift", flavor: "openshift" }) })).then((r) =>
          r.inputs(r.one(ROLE)),
        )
      ).rules;
      expect(hasRoutes(k8sRole)).toBe(false);
      expect(hasRoutes(ocpRole)).toBe(true);
    });

    it("creates no role or binding when nobody is to be bound", async () => {
      const r = await renderTeam(teamArgs({ groups: [], members: [] }));
      expect(r.ofType(ROLE)).toHaveLength(0);
      expect(r.ofType(BINDING)).toHaveLength(0);
    });

    it("binds members alone when there is no group", async () => {
      const r = await renderTeam(teamArgs({ groups: [] }));
      expect(r.inputs(r.one(BINDING)).subjects).toEqual([
        { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice@example.com" },
      ]);
    });
  });

  describe("service accounts", () => {
    it("creates one per workload with no automounted token", async () => {
      const r = await renderTeam(
        teamArgs({ serviceAccounts: [{ name: "fraud-detector" }, { name: "fraud-batch" }] }),
      );
      const accounts = r.ofType(SA).map((sa) => r.inputs(sa));
      expect(accounts.map((sa) => sa.metadata.name).sort()).toEqual(["fraud-batch", "fraud-detector"]);
      for (const sa of accounts) {
        expect(sa.automountServiceAccountToken).toBe(false);
        expect(sa.metadata.namespace).toBe("ml-dev-fraud");
      }
    });

    it("carries the workload identity's annotations, including ones known only later", async () => {
      const r = await renderTeam(
        teamArgs({
          serviceAccounts: [
            {
              name: "fraud-detector",
              annotations: pulumi
                .output("arn:aws:iam::123:role/fraud")
                .apply((arn) => ({ "eks.amazonaws.com/role-arn": arn })),
            },
          ],
        }),
      );
      expect(r.inputs(r.one(SA)).metadata.annotations).toEqual({
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123:role/fraud",
      });
    });

    it("exposes each account's name and lists it among what workloads wait for", async () => {
      let names: Record<string, pulumi.Output<string>> = {};
      let ready: pulumi.Resource[] = [];
      let namespaceName: pulumi.Output<string> | undefined;
      await render(() => {
        const ns = new TeamNamespace("team-fraud", teamArgs());
        names = ns.serviceAccountNames;
        ready = ns.ready;
        namespaceName = ns.namespaceName;
      });
      const resolved = await new Promise((resolve) => names["fraud-detector"].apply(resolve));
      expect(resolved).toBe("fraud-detector");
      expect(await new Promise((resolve) => (namespaceName as pulumi.Output<string>).apply(resolve))).toBe(
        "ml-dev-fraud",
      );
      // namespace, 2 policies, quota, limits, role, binding, 1 service account
      expect(ready).toHaveLength(8);
    });
  });

  it("parents every object to the component", async () => {
    const r = await renderTeam();
    const component = r.one("mlstack:namespace:TeamNamespace");
    const children = r.descendants(component).map((c) => c.type);
    expect(children.sort()).toEqual([BINDING, LIMITS, NAMESPACE, NETPOL, NETPOL, QUOTA, ROLE, SA].sort());
  });

  it("renders objects that validate against the Kubernetes OpenAPI schemas", async () => {
    const r = await renderTeam();
    const models: Record<string, (data: never) => { validate(): void }> = {
      [NAMESPACE]: (d) => new Namespace(d),
      [NETPOL]: (d) => new NetworkPolicy(d),
      [QUOTA]: (d) => new ResourceQuota(d),
      [LIMITS]: (d) => new LimitRange(d),
      [ROLE]: (d) => new Role(d),
      [BINDING]: (d) => new RoleBinding(d),
      [SA]: (d) => new ServiceAccount(d),
    };
    for (const resource of r.resources.filter((x) => models[x.type])) {
      expect(() => models[resource.type](r.inputs(resource) as never).validate()).not.toThrow();
    }
  });

  describe("refuses bad input before registering anything", () => {
    const refusals: Array<[string, Partial<TeamNamespaceArgs>, string]> = [
      [
        "a namespace that is not a DNS label",
        { namespace: "ML_Fraud" },
        'namespace "ML_Fraud" is not a DNS label',
      ],
      ["a namespace longer than 63 characters", { namespace: `a${"b".repeat(63)}` }, "is not a DNS label"],
      ["the default namespace", { namespace: "default" }, 'namespace "default" is reserved'],
      ["a kube- namespace", { namespace: "kube-system" }, "is reserved"],
      ["an openshift- namespace", { namespace: "openshift-ml" }, "is reserved"],
      ["a team that is not a DNS label", { team: "Fraud Team" }, 'team "Fraud Team" is not a DNS label'],
      [
        "OpenShift's resolver off OpenShift",
        { dns: { resolver: "openshift" } },
        'dns.resolver "openshift" is only for target openshift',
      ],
      [
        "a node-local address that is not IPv4",
        { dns: { resolver: "node-local", address: "cache.local" } },
        'dns.address "cache.local" is not an IPv4 address',
      ],
      ["an empty group", { groups: [""] }, 'groups[0] "" is not a user or group name: not empty'],
      ["a group with surrounding spaces", { groups: [" ml-fraud"] }, "no surrounding spaces"],
      ["a system group", { groups: ["system:authenticated"] }, "is a Kubernetes system identity"],
      ["a system user", { members: ["system:serviceaccount:x:y"] }, 'members[0] "system:serviceaccount:x:y"'],
      ["a duplicate group", { groups: ["ml-fraud", "ml-fraud"] }, 'groups[1] "ml-fraud" is listed twice'],
      [
        "a service account that is not a DNS label",
        { serviceAccounts: [{ name: "Fraud" }] },
        "serviceAccounts[0].name",
      ],
      [
        "the default service account",
        { serviceAccounts: [{ name: "default" }] },
        "is the namespace's default account",
      ],
      [
        "two service accounts with one name",
        { serviceAccounts: [{ name: "a" }, { name: "a" }] },
        'serviceAccounts[1].name "a" is used by another service account',
      ],
      ["a quota CPU that is not a quantity", { quota: { ...quota, cpu: "eight" } }, 'quota.cpu "eight"'],
      ["a quota memory that is not a quantity", { quota: { ...quota, memory: "16 GB" } }, "quota.memory"],
      ["a fractional GPU quota", { quota: { ...quota, gpu: 0.5 } }, "quota.gpu 0.5 must be a whole number"],
      ["a negative GPU quota", { quota: { ...quota, gpu: -1 } }, "quota.gpu -1"],
      [
        "a zero pod quota",
        { quota: { ...quota, pods: 0 } },
        "quota.pods 0 must be a whole number of pods, 1 or more",
      ],
    ];
    it.each(refusals)("refuses %s", async (_what, overrides, message) => {
      expect(() => validateTeamNamespaceArgs("team-fraud", teamArgs(overrides))).toThrow(message);
      let resources: string[] = [];
      await render(() => {
        expect(() => new TeamNamespace("team-fraud", teamArgs(overrides))).toThrow(message);
      }).then((r) => (resources = r.resources.map((x) => x.type)));
      expect(resources).not.toContain("mlstack:namespace:TeamNamespace");
      expect(resources).not.toContain(NAMESPACE);
    });

    it("names the component in the message", () => {
      expect(() => validateTeamNamespaceArgs("team-fraud", teamArgs({ namespace: "Bad" }))).toThrow(
        /^TeamNamespace team-fraud: namespace "Bad"/,
      );
    });
  });
});

describe("TeamNamespace shared egress", () => {
  const ctx = {
    environment: "dev",
    target: "kubernetes",
    flavor: "kubernetes",
    protect: false,
    highAvailability: false,
    project: "mlstack",
    stack: "test",
  } as const;
  const toMlflow = {
    to: [
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ml-dev-platform" } },
        podSelector: { matchLabels: { "app.kubernetes.io/name": "mlflow" } },
      },
    ],
    ports: [{ protocol: "TCP", port: 5000 }],
  };

  it("lets every pod of the namespace reach the named platform service and nothing else", async () => {
    const r = await render(() => {
      new TeamNamespace("ns-fraud", {
        ctx,
        namespace: "ml-dev-fraud",
        team: "fraud",
        groups: ["g"],
        members: [],
        serviceAccounts: [],
        sharedEgress: [toMlflow],
      });
    });
    const policy = r
      .ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
      .map((p) => r.inputs(p))
      .find((p) => p.metadata.name === "allow-platform-egress");
    expect(policy?.spec).toEqual({ podSelector: {}, policyTypes: ["Egress"], egress: [toMlflow] });
  });

  it("refuses a shared egress rule without peers before registering anything", () => {
    expect(
      () =>
        new TeamNamespace("ns-fraud", {
          ctx,
          namespace: "ml-dev-fraud",
          team: "fraud",
          groups: ["g"],
          members: [],
          serviceAccounts: [],
          sharedEgress: [{ ports: [{ port: 5000 }] }],
        }),
    ).toThrow("sharedEgress[0]");
  });
});
