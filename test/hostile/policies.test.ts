/**
 * Hostile input to the policy pack, through `mlstack check` as a user runs it (in process: the
 * files are written to a temp folder, the exit code and the JSON findings are asserted) and through
 * the CrossGuard handlers with the values shaped as the engine sends them — both must reach the
 * same verdict. Covers issue 10's bullets the pack owns: pod specs by shape, unknown values, RBAC
 * as Kubernetes authorizes it, secrets by value, and rules that mean the same everywhere.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { runCheck } from "../../cli/check/runCheck";
import { ruleByName } from "../../policies/catalog";
import type { EvaluationResource } from "../../policies/evaluate";
import { engineMessages } from "../policies/engine";
import { container, podSpec } from "../policies/helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const STACK_FRAME = /\n\s{4}at /;
const NS = "ml-prod-fraud";
const RBAC = "rbac.authorization.k8s.io/v1";
const LABELS = {
  "app.kubernetes.io/component": "model-serving",
  "mlstack.io/environment": "prod",
  "mlstack.io/team": "fraud",
};

// Credential-shaped test values, valid for nothing; built from parts so scanners do not trip.
const PEM = [
  "-----BEGIN EC ",
  "PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBn\n-----END EC PRIVATE KEY-----",
].join("");
const AWS_KEY_ID = ["ASIA", "Q4RT7ZKMB2N6WVP3"].join("");
const PASSWORD = "Corr3ct-Horse-Battery";
const DB_URL = `postgresql://fraud:${PASSWORD}@postgres-rw.ml-prod-platform.svc:5432/fraud`;

function object(apiVersion: string, kind: string, name: string, body: Json, metadata: Json = {}): Json {
  const clusterScoped = ["ClusterRole", "ClusterRoleBinding"].includes(kind);
  return {
    apiVersion,
    kind,
    metadata: { name, ...(clusterScoped ? {} : { namespace: NS }), labels: LABELS, ...metadata },
    ...body,
  };
}

/** A compliant pod spec, optionally mutated. */
function pod(mutate: (spec: Json) => void = () => undefined): Json {
  const spec = podSpec();
  mutate(spec);
  return spec;
}
const privileged = () => pod((s) => (s.containers[0].securityContext.privileged = true));
const template = (spec: Json) => ({ metadata: { labels: { app: "scorer" } }, spec });
const withEnv = (name: string, value: string) =>
  object("apps/v1", "Deployment", "scorer", {
    spec: { replicas: 2, template: template(pod((s) => s.containers[0].env.push({ name, value }))) },
  });
const role = (kind: "Role" | "ClusterRole", name: string, rules: Json[], labels: Json = LABELS) =>
  object(RBAC, kind, name, { rules }, { labels });
const binding = (
  kind: "RoleBinding" | "ClusterRoleBinding",
  roleName: string,
  subjects: Json[],
  roleKind = "ClusterRole",
) =>
  object(RBAC, kind, `bind-${roleName.replace(/[:]/g, "-")}`, {
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: roleKind, name: roleName },
    subjects,
  });

/** A `pulumi preview --json` document with one step per resource (and stack outputs). */
function preview(resources: Json[], outputs?: Json): Json {
  const urn = (type: string, name: string) => `urn:pulumi:prod::mlstack::${type}::${name}`;
  const stack = urn("pulumi:pulumi:Stack", "mlstack-prod");
  return {
    config: { "mlstack:environment": "prod" },
    steps: [
      {
        op: "create",
        urn: stack,
        newState: { urn: stack, type: "pulumi:pulumi:Stack", inputs: {}, outputs: outputs ?? {} },
      },
      ...resources.map((r) => {
        const type = `kubernetes:${r.apiVersion.includes("/") ? r.apiVersion : `core/${r.apiVersion}`}:${r.kind}`;
        const u = urn(type, r.metadata.name);
        return { op: "create", urn: u, newState: { urn: u, type, inputs: r, parent: stack } };
      }),
    ],
    ...(outputs ? { outputs } : {}),
  };
}

interface Case {
  name: string;
  /** Kubernetes objects written as one multi-document YAML file, or a preview document written as JSON. */
  yaml?: Json[];
  preview?: Json;
  flags?: string[];
  /** A pack config written beside the input and passed with --config. */
  packConfig?: Json;
  exit: 0 | 1 | 2;
  /** The rule whose findings the case is about, and what they must say (an empty list: none). */
  rule?: string;
  findings?: RegExp[];
  /** Exit 2: the message on stderr. */
  stderr?: RegExp;
  /** Raw values that must appear nowhere in any output. */
  secrets?: string[];
}

const CASES: Case[] = [
  // Pod specs by shape: kinds the pack has no list entry for are checked, not skipped.
  {
    name: "a privileged ReplicationController",
    yaml: [
      object("v1", "ReplicationController", "legacy", {
        spec: { replicas: 1, template: template(privileged()) },
      }),
    ],
    exit: 1,
    rule: "k8s-no-privileged",
    findings: [/container "server" \(spec\.template\.spec\.containers\[0\]\) runs privileged/],
  },
  {
    name: "a privileged OpenShift DeploymentConfig",
    yaml: [
      object("apps.openshift.io/v1", "DeploymentConfig", "dc", {
        spec: { replicas: 2, template: template(privileged()) },
      }),
    ],
    exit: 1,
    rule: "k8s-no-privileged",
    findings: [/runs privileged/],
  },
  {
    name: "a privileged Argo Rollout",
    yaml: [
      object("argoproj.io/v1alpha1", "Rollout", "canary", {
        spec: {
          replicas: 2,
          strategy: { canary: { steps: [{ setWeight: 20 }] } },
          template: template(privileged()),
        },
      }),
    ],
    exit: 1,
    rule: "k8s-no-privileged",
    findings: [/runs privileged/],
  },
  {
    name: "a KServe ServingRuntime with a privileged, host-network model server",
    yaml: [
      object("serving.kserve.io/v1alpha1", "ServingRuntime", "triton", {
        spec: { supportedModelFormats: [{ name: "onnx" }], ...privileged(), hostNetwork: true },
      }),
    ],
    exit: 1,
    rule: "k8s-no-host-namespaces",
    findings: [/pod spec \(spec\) sets hostNetwork: true/],
  },
  {
    name: "an unknown CRD embedding a pod template",
    yaml: [
      object("training.acme.example/v1", "DistributedJob", "train", {
        spec: {
          workers: [
            {
              replicas: 4,
              template: template(
                pod((s) => (s.containers[0].securityContext.capabilities = { add: ["SYS_ADMIN"] })),
              ),
            },
          ],
        },
      }),
    ],
    exit: 1,
    rule: "k8s-capabilities-add-allowlist",
    findings: [/spec\.workers\[0\]\.template\.spec\.containers\[0\]\) adds capabilities SYS_ADMIN/],
  },
  {
    name: "an InferenceService whose predictor shares the host PID namespace",
    yaml: [
      object("serving.kserve.io/v1beta1", "InferenceService", "fraud", {
        spec: { predictor: { ...pod(), hostPID: true, minReplicas: 2 } },
      }),
    ],
    exit: 1,
    rule: "kserve-pod-hardening",
    findings: [/InferenceService fraud breaks the mandatory workload rules k8s-no-host-namespaces/],
  },
  // Values unknown at preview are not checked — never passed.
  {
    name: "an image that is Pulumi's unknown placeholder",
    preview: preview([
      object("apps/v1", "Deployment", "scorer", {
        spec: {
          replicas: 2,
          template: template(pod((s) => (s.containers[0] = container("server", { image: UNKNOWN })))),
        },
      }),
    ]),
    exit: 1,
    rule: "k8s-allowed-registries",
    findings: [/^not checked: spec\.template\.spec\.containers\[0\]\.image is not known to the policy/],
  },
  {
    name: "a security context that is unknown at preview",
    preview: preview([
      object("apps/v1", "Deployment", "scorer", {
        spec: { replicas: 2, template: template(pod((s) => (s.containers[0].securityContext = UNKNOWN))) },
      }),
    ]),
    exit: 1,
    rule: "k8s-no-privileged",
    findings: [/^not checked: spec\.template\.spec\.containers\[0\]\.securityContext\.privileged/],
  },
  // RBAC as Kubernetes authorizes it.
  {
    name: "edit bound to system:anonymous",
    yaml: [
      binding("RoleBinding", "edit", [
        { kind: "User", name: "system:anonymous", apiGroup: "rbac.authorization.k8s.io" },
      ]),
    ],
    exit: 1,
    rule: "k8s-rbac-no-public-subjects",
    findings: [
      /grants ClusterRole edit to User system:anonymous \(subjects\[0\]\): every caller, without credentials/,
    ],
  },
  {
    name: "view bound cluster-wide to system:unauthenticated",
    yaml: [binding("ClusterRoleBinding", "view", [{ kind: "Group", name: "system:unauthenticated" }])],
    exit: 1,
    rule: "k8s-rbac-no-public-subjects",
    findings: [/grants ClusterRole view to Group system:unauthenticated/],
  },
  {
    name: "an aggregated admin ClusterRole bound to a group",
    yaml: [
      object(RBAC, "ClusterRole", "platform-admin", {
        aggregationRule: {
          clusterRoleSelectors: [{ matchLabels: { "rbac.authorization.k8s.io/aggregate-to-admin": "true" } }],
        },
        rules: [],
      }),
      binding("ClusterRoleBinding", "platform-admin", [{ kind: "Group", name: "ml-admins" }]),
    ],
    exit: 1,
    rule: "k8s-rbac-no-escalation-verbs",
    findings: [/ClusterRole platform-admin grants impersonate on serviceaccounts/],
  },
  {
    name: "nodes/proxy, the kubelet's exec in every pod of a node",
    yaml: [
      role("ClusterRole", "metrics-reader", [
        { apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"] },
      ]),
    ],
    exit: 1,
    rule: "k8s-rbac-no-escalation-verbs",
    findings: [/grants get on nodes\/proxy \(the kubelet API\)/],
  },
  {
    name: "CSR approval",
    yaml: [
      role("ClusterRole", "csr-approver", [
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
      ]),
    ],
    exit: 1,
    rule: "k8s-rbac-no-escalation-verbs",
    findings: [/grants CSR approval/],
  },
  {
    name: "writes to admission webhook configurations",
    yaml: [
      role("ClusterRole", "webhook-admin", [
        {
          apiGroups: ["admissionregistration.k8s.io"],
          resources: ["mutatingwebhookconfigurations"],
          verbs: ["create", "update"],
        },
      ]),
    ],
    exit: 1,
    rule: "k8s-rbac-no-escalation-verbs",
    findings: [/grants create, update on mutatingwebhookconfigurations/],
  },
  {
    name: "pods/exec listed with verbs that authorize no exec",
    yaml: [
      role("Role", "pod-lister", [
        { apiGroups: [""], resources: ["pods", "pods/exec", "pods/attach"], verbs: ["list", "watch"] },
      ]),
    ],
    exit: 0,
    rule: "k8s-rbac-no-exec-attach",
    findings: [],
  },
  {
    name: "Kubernetes' own ClusterRoles in a dump of the cluster's RBAC",
    yaml: [
      role("ClusterRole", "cluster-admin", [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]),
      role("ClusterRole", "system:controller:clusterrole-aggregation-controller", [
        { apiGroups: ["*"], resources: ["*"], verbs: ["escalate", "get", "list", "watch"] },
      ]),
    ],
    exit: 0,
    rule: "k8s-rbac-no-wildcards",
    findings: [],
  },
  {
    name: "a pod silent on automount whose ServiceAccount in the same input says false",
    yaml: [
      object("v1", "ServiceAccount", "scorer", { automountServiceAccountToken: false }),
      object("networking.k8s.io/v1", "NetworkPolicy", "default-deny", {
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      }),
      object("apps/v1", "Deployment", "scorer", {
        spec: { replicas: 2, template: template(pod((s) => delete s.automountServiceAccountToken)) },
      }),
    ],
    exit: 0,
    rule: "k8s-no-automount-sa-token",
    findings: [],
  },
  // Secrets by value, not only by name.
  {
    name: "PGPASSWORD as a literal env value",
    yaml: [withEnv("PGPASSWORD", PASSWORD)],
    exit: 1,
    rule: "k8s-no-secret-literals-in-env",
    findings: [
      /sets env PGPASSWORD \(spec\.template\.spec\.containers\[0\]\.env\[2\]\), named like a credential, to a literal value/,
    ],
    secrets: [PASSWORD],
  },
  {
    name: "REDIS_AUTH as a literal env value",
    yaml: [withEnv("REDIS_AUTH", PASSWORD)],
    exit: 1,
    rule: "k8s-no-secret-literals-in-env",
    findings: [/sets env REDIS_AUTH/],
    secrets: [PASSWORD],
  },
  {
    name: "a PEM private key under an innocent env name",
    yaml: [withEnv("GREETING", PEM)],
    exit: 1,
    rule: "k8s-no-secret-literals-in-env",
    findings: [/sets env GREETING \(.*\) to a PEM private key/],
    secrets: [PEM, "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBn"],
  },
  {
    name: "a database URL with its password in container args",
    yaml: [
      object("apps/v1", "Deployment", "scorer", {
        spec: {
          replicas: 2,
          template: template(pod((s) => (s.containers[0].args = ["serve", "--backend-store-uri", DB_URL]))),
        },
      }),
    ],
    exit: 1,
    rule: "k8s-no-secret-literals-in-env",
    findings: [
      /passes a URL with an embedded password in args \(spec\.template\.spec\.containers\[0\]\.args\[2\]\)/,
    ],
    secrets: [PASSWORD, DB_URL],
  },
  {
    name: "an AWS key id in ConfigMap data under an innocent key",
    yaml: [
      object("v1", "ConfigMap", "settings", {
        data: { "app.ini": `[s3]\nregion = eu-west-1\nkey = ${AWS_KEY_ID}\n` },
      }),
    ],
    exit: 1,
    rule: "k8s-configmap-no-secrets",
    findings: [/^ConfigMap settings data\.app\.ini holds an AWS access key id$/],
    secrets: [AWS_KEY_ID],
  },
  {
    name: "a plaintext credential as a stack output",
    preview: preview([], { databaseUrl: DB_URL }),
    exit: 1,
    rule: "platform-no-plaintext-secret-outputs",
    findings: [/stack output databaseUrl holds a URL with an embedded password and is not secret/],
    secrets: [PASSWORD],
  },
  // Rules that mean the same everywhere.
  {
    name: "a CloudNativePG Cluster in plain YAML for prod without a retention annotation",
    yaml: [object("postgresql.cnpg.io/v1", "Cluster", "postgres", { spec: { instances: 3 } })],
    flags: ["--env", "prod"],
    exit: 1,
    rule: "platform-protect-stateful",
    findings: [/is not protected against deletion: annotate it with one of helm\.sh\/resource-policy: keep/],
  },
  {
    name: "a Strimzi Kafka in plain YAML for prod kept by Helm",
    yaml: [
      object(
        "kafka.strimzi.io/v1",
        "Kafka",
        "kafka",
        { spec: {} },
        { annotations: { "helm.sh/resource-policy": "keep" } },
      ),
    ],
    flags: ["--env", "prod"],
    exit: 1, // the bare Kafka breaks the Strimzi listener rules; the retention rule is satisfied
    rule: "platform-protect-stateful",
    findings: [],
  },
  {
    name: "the registry allowlist given to a rule that does not read it",
    yaml: [withEnv("PORT", "8080")],
    packConfig: { "kserve-pod-hardening": { registries: ["registry.bank.example"] } },
    exit: 2,
    stderr:
      /kserve-pod-hardening\.registries: kserve-pod-hardening does not read registries \(set it on k8s-allowed-registries\)/,
  },
];

/** What the engine is handed for the same input: the resources the files describe. */
function engineResources(c: Case): EvaluationResource[] {
  if (c.preview) {
    return (c.preview.steps as Json[]).map((s) => ({
      urn: s.newState.urn,
      type: s.newState.type,
      name: s.newState.urn.split("::").pop(),
      inputs: s.newState.inputs,
      outputs: s.newState.outputs,
    }));
  }
  return (c.yaml ?? []).map((o) => ({
    urn: `input.yaml#${o.kind}/${o.metadata.name}`,
    type: `kubernetes:${o.apiVersion.includes("/") ? o.apiVersion : `core/${o.apiVersion}`}:${o.kind}`,
    name: o.metadata.name,
    inputs: o,
  }));
}

describe("hostile input to the policy pack", () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-hostile-policies-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("has at least 20 cases", () => expect(CASES.length).toBeGreaterThanOrEqual(20));

  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const sub = fs.mkdtempSync(path.join(dir, "case-"));
    const input = path.join(sub, c.preview ? "preview.json" : "input.yaml");
    fs.writeFileSync(
      input,
      c.preview ? JSON.stringify(c.preview) : c.yaml!.map((o) => stringify(o)).join("---\n"),
    );
    const args = [input, ...(c.flags ?? [])];
    if (c.packConfig) {
      fs.writeFileSync(path.join(sub, "pack.json"), JSON.stringify(c.packConfig));
      args.push("--config", path.join(sub, "pack.json"));
    }
    const outputs: Record<string, string> = {};
    let stderr = "";
    let code = -1;
    for (const format of ["json", "text", "sarif"]) {
      let stdout = "";
      stderr = "";
      code = await runCheck([...args, "--format", format], {
        cwd: sub,
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
      });
      outputs[format] = stdout;
      expect(stderr).not.toMatch(STACK_FRAME);
    }
    expect({ exit: code, stderr: c.exit === 2 ? "" : stderr }).toEqual({ exit: c.exit, stderr: "" });
    if (c.exit === 2) {
      expect(stderr).toMatch(c.stderr!);
      return;
    }
    const report = JSON.parse(outputs.json) as { violations: Array<{ policy: string; message: string }> };
    const found = report.violations.filter((v) => v.policy === c.rule).map((v) => v.message);
    expect(found).toHaveLength(c.findings!.length);
    c.findings!.forEach((re, i) => expect(found[i]).toMatch(re));
    for (const secret of c.secrets ?? [])
      for (const [format, out] of Object.entries(outputs))
        expect({ format, leaked: out.includes(secret) }).toEqual({ format, leaked: false });

    // The same verdict under the CrossGuard engine, with the values shaped as it sends them.
    const env = c.flags?.includes("prod") ? { environment: "prod" as const } : {};
    const engine = engineMessages(engineResources(c), ruleByName(c.rule!)!, env, c.preview?.outputs)!;
    if (c.rule === "platform-no-plaintext-secret-outputs") {
      // The engine unwraps secrets, so it reports the plaintext credential as not checked (still a finding).
      expect(engine).toEqual([
        expect.stringMatching(/^not checked: whether stack output databaseUrl is secret/),
      ]);
    } else {
      expect(engine.sort()).toEqual([...found].sort());
    }
  });
});
