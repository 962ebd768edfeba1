import { check, kube, messages } from "./helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RBAC = "rbac.authorization.k8s.io/v1";
const role = (rules: Json[], kind = "Role", name = "r", labels: Json = {}) =>
  kube(RBAC, kind, name, { rules }, labels ? { labels } : {});
const aggregated = (name: string, matchLabels: Json) =>
  kube(RBAC, "ClusterRole", name, {
    aggregationRule: { clusterRoleSelectors: [{ matchLabels }] },
    rules: [],
  });
const binding = (
  roleName: string,
  subjects: Json[] = [{ kind: "Group", name: "ml-fraud", apiGroup: "rbac.authorization.k8s.io" }],
  kind = "RoleBinding",
  roleKind = "ClusterRole",
) =>
  kube(RBAC, kind, `b-${roleName.replace(/:/g, "-")}`, {
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: roleKind, name: roleName },
    subjects,
  });

describe("k8s-rbac-no-public-subjects", () => {
  it.each([
    ["User", "system:anonymous"],
    ["Group", "system:unauthenticated"],
    ["Group", "system:authenticated"],
  ])("flags edit bound to %s %s", (kind, name) => {
    expect(messages([binding("edit", [{ kind, name }])], "k8s-rbac-no-public-subjects")).toEqual([
      expect.stringContaining(`grants ClusterRole edit to ${kind} ${name}`),
    ]);
  });
  it("flags a Role of the input bound to every authenticated caller", () => {
    const b = binding("reader", [{ kind: "Group", name: "system:authenticated" }], "RoleBinding", "Role");
    expect(
      messages(
        [role([{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }], "Role", "reader"), b],
        "k8s-rbac-no-public-subjects",
      ),
    ).toHaveLength(1);
  });
  it("accepts Kubernetes' own discovery bindings", () => {
    const both = [
      { kind: "Group", name: "system:authenticated" },
      { kind: "Group", name: "system:unauthenticated" },
    ];
    expect(
      messages(
        [binding("system:public-info-viewer", both, "ClusterRoleBinding")],
        "k8s-rbac-no-public-subjects",
      ),
    ).toEqual([]);
    expect(
      messages([binding("system:discovery", [both[0]], "ClusterRoleBinding")], "k8s-rbac-no-public-subjects"),
    ).toEqual([]);
  });
  it("flags system:discovery for unauthenticated callers (removed from the defaults by KEP-789)", () => {
    expect(
      messages(
        [
          binding(
            "system:discovery",
            [{ kind: "Group", name: "system:unauthenticated" }],
            "ClusterRoleBinding",
          ),
        ],
        "k8s-rbac-no-public-subjects",
      ),
    ).toHaveLength(1);
  });
  it("does not exempt a discovery role the input redefines with more than read-only URLs", () => {
    const redefined = role(
      [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }],
      "ClusterRole",
      "system:public-info-viewer",
    );
    const b = binding(
      "system:public-info-viewer",
      [{ kind: "User", name: "system:anonymous" }],
      "ClusterRoleBinding",
    );
    expect(messages([redefined, b], "k8s-rbac-no-public-subjects")).toHaveLength(1);
  });
  it("reports unknown subjects as not checked", () => {
    const b = kube(RBAC, "RoleBinding", "b", {
      roleRef: { kind: "ClusterRole", name: "view" },
      subjects: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    });
    expect(check([b], "k8s-rbac-no-public-subjects").violations).toEqual([
      expect.objectContaining({ notChecked: true }),
    ]);
  });
});

describe("roles judged as Kubernetes authorizes them", () => {
  it("resolves an aggregated ClusterRole through its selector to the roles it collects", () => {
    const parts = role(
      [{ apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] }],
      "ClusterRole",
      "exec-part",
      {
        "acme.io/aggregate-to-ops": "true",
      },
    );
    const ops = aggregated("ops", { "acme.io/aggregate-to-ops": "true" });
    expect(messages([parts, ops], "k8s-rbac-no-exec-attach")).toEqual([
      "ClusterRole exec-part grants create on pods/exec",
      "ClusterRole ops grants create on pods/exec",
    ]);
  });
  it("resolves an aggregated admin ClusterRole through Kubernetes' own aggregation labels", () => {
    const myAdmin = aggregated("my-admin", { "rbac.authorization.k8s.io/aggregate-to-admin": "true" });
    expect(messages([myAdmin], "k8s-rbac-no-escalation-verbs")).toEqual([
      "ClusterRole my-admin grants impersonate on serviceaccounts",
    ]);
    expect(messages([myAdmin], "k8s-rbac-secrets-read-scoped")).toHaveLength(1);
  });
  it("judges built-in roles where they are bound, not where they are defined", () => {
    const clusterAdminDefinition = role(
      [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
      "ClusterRole",
      "cluster-admin",
    );
    const systemRole = role(
      [{ apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"] }],
      "ClusterRole",
      "system:kubelet-api-admin",
    );
    expect(messages([clusterAdminDefinition, systemRole], "k8s-rbac-no-wildcards")).toEqual([]);
    expect(messages([clusterAdminDefinition, systemRole], "k8s-rbac-no-escalation-verbs")).toEqual([]);
    expect(
      messages([systemRole, binding("system:kubelet-api-admin")], "k8s-rbac-no-escalation-verbs"),
    ).toEqual([
      "RoleBinding b-system-kubelet-api-admin binds the built-in ClusterRole system:kubelet-api-admin, which grants get on nodes/proxy (the kubelet API)",
    ]);
    expect(messages([binding("edit")], "k8s-rbac-no-escalation-verbs")).toEqual([
      "RoleBinding b-edit binds the built-in ClusterRole edit, which grants impersonate on serviceaccounts",
    ]);
    expect(messages([binding("edit")], "k8s-rbac-no-exec-attach")).toHaveLength(2);
    expect(messages([binding("view")], "k8s-rbac-no-exec-attach")).toEqual([]);
    expect(
      messages(
        [binding("system:auth-delegator", undefined, "ClusterRoleBinding")],
        "k8s-rbac-no-escalation-verbs",
      ),
    ).toEqual([]);
  });
  it("judges exec and attach by the verbs that authorize them", () => {
    const onlyRead = role([
      { apiGroups: [""], resources: ["pods/exec", "pods/attach"], verbs: ["list", "watch"] },
    ]);
    expect(messages([onlyRead], "k8s-rbac-no-exec-attach")).toEqual([]);
    const websocket = role([{ apiGroups: [""], resources: ["pods/exec"], verbs: ["get"] }]);
    expect(messages([websocket], "k8s-rbac-no-exec-attach")).toEqual(["Role r grants get on pods/exec"]);
    const debug = role([{ apiGroups: [""], resources: ["pods/ephemeralcontainers"], verbs: ["patch"] }]);
    expect(messages([debug], "k8s-rbac-no-exec-attach")).toEqual([
      "Role r grants patch on pods/ephemeralcontainers",
    ]);
    const wildcard = role([{ apiGroups: [""], resources: ["pods/*"], verbs: ["create"] }]);
    expect(messages([wildcard], "k8s-rbac-no-exec-attach")).toHaveLength(2);
  });
  it.each([
    [
      "nodes/proxy",
      [{ apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"] }],
      "get on nodes/proxy (the kubelet API)",
    ],
    [
      "token minting",
      [{ apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"] }],
      "create on serviceaccounts/token",
    ],
    [
      "CSR approval",
      [
        {
          apiGroups: ["certificates.k8s.io"],
          resources: ["certificatesigningrequests/approval"],
          verbs: ["update"],
        },
        {
          apiGroups: ["certificates.k8s.io"],
          resources: ["signers"],
          verbs: ["approve"],
          resourceNames: ["kubernetes.io/kube-apiserver-client"],
        },
      ],
      "CSR approval (certificatesigningrequests/approval and signers approve)",
    ],
    [
      "webhook configuration writes",
      [
        {
          apiGroups: ["admissionregistration.k8s.io"],
          resources: ["validatingwebhookconfigurations"],
          verbs: ["patch", "delete"],
        },
      ],
      "patch, delete on validatingwebhookconfigurations",
    ],
  ])("k8s-rbac-no-escalation-verbs flags %s", (_what, rules, finding) => {
    expect(messages([role(rules, "ClusterRole")], "k8s-rbac-no-escalation-verbs")).toEqual([
      `ClusterRole r grants ${finding}`,
    ]);
  });
  it("reads * as including escalate, bind and impersonate only where those verbs act", () => {
    const rbacAdmin = role([
      { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"], verbs: ["*"] },
    ]);
    expect(messages([rbacAdmin], "k8s-rbac-no-escalation-verbs")).toEqual(["Role r grants * on roles"]);
    const configAdmin = role([{ apiGroups: [""], resources: ["configmaps"], verbs: ["*"] }]);
    expect(messages([configAdmin], "k8s-rbac-no-escalation-verbs")).toEqual([]);
    expect(messages([configAdmin], "k8s-rbac-no-wildcards")).toHaveLength(1);
  });
  it("accepts reading webhook configurations, listing nodes/proxy and approving nothing", () => {
    const benign = role(
      [
        {
          apiGroups: ["admissionregistration.k8s.io"],
          resources: ["mutatingwebhookconfigurations"],
          verbs: ["get", "list"],
        },
        {
          apiGroups: ["certificates.k8s.io"],
          resources: ["certificatesigningrequests/approval"],
          verbs: ["update"],
        },
        { apiGroups: [""], resources: ["nodes/proxy"], verbs: ["list"] },
      ],
      "ClusterRole",
    );
    expect(messages([benign], "k8s-rbac-no-escalation-verbs")).toEqual([]);
  });
  it("reports a binding that lost its roleRef as not checked", () => {
    const b = kube(RBAC, "ClusterRoleBinding", "b", { subjects: [{ kind: "Group", name: "g" }] });
    expect(check([b], "k8s-rbac-no-cluster-admin-binding").violations).toEqual([
      expect.objectContaining({
        notChecked: true,
        message: expect.stringContaining("roleRef.name (missing)"),
      }),
    ]);
  });
});
