/**
 * Builders for policy tests: compliant objects of every kind the rules look at, so each test
 * breaks exactly one thing and asserts on exactly one rule.
 */
import { ruleByName } from "../../policies/catalog";
import { evaluateDetailed, EvaluationResource } from "../../policies/evaluate";
import { engineMessages } from "./engine";
import type { PackConfig } from "../../policies/packConfig";
import type { DeferredCheck, Violation } from "../../policies/rule";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const LABELS = {
  "app.kubernetes.io/name": "scorer",
  "app.kubernetes.io/part-of": "mlstack",
  "app.kubernetes.io/component": "model-serving",
  "app.kubernetes.io/managed-by": "pulumi",
  "mlstack.io/environment": "prod",
  "mlstack.io/team": "fraud",
};
export const SELECTOR = { "app.kubernetes.io/name": "scorer", "app.kubernetes.io/part-of": "mlstack" };
export const NS = "ml-prod-fraud";

/** A Pulumi resource with a test URN. */
export function resource(
  type: string,
  name: string,
  inputs: Json,
  extra: Partial<EvaluationResource> = {},
): EvaluationResource {
  return { urn: `urn:pulumi:test::mlstack::${type}::${name}`, type, name, inputs, ...extra };
}

/** A container meeting every workload rule on plain Kubernetes. */
export function container(name = "server", overrides: Json = {}): Json {
  return {
    name,
    image:
      "ghcr.io/mlstack/scorer:1.4.2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ports: [{ containerPort: 8080, name: "http" }],
    env: [
      { name: "MODEL_NAME", value: "scorer" },
      { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
    ],
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
    readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
    livenessProbe: { httpGet: { path: "/health", port: 8080 } },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    ...overrides,
  };
}

/** The OpenShift variant: no fixed UID / GID. */
export function openshiftContainer(name = "server", overrides: Json = {}): Json {
  const c = container(name, overrides);
  delete c.securityContext.runAsUser;
  delete c.securityContext.runAsGroup;
  return c;
}

export function podSpec(overrides: Json = {}, flavor: "kubernetes" | "openshift" = "kubernetes"): Json {
  const base: Json = {
    serviceAccountName: "scorer",
    automountServiceAccountToken: false,
    securityContext:
      flavor === "openshift"
        ? { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } }
        : {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            fsGroup: 10001,
            seccompProfile: { type: "RuntimeDefault" },
          },
    containers: [flavor === "openshift" ? openshiftContainer() : container()],
    volumes: [{ name: "tmp", emptyDir: {} }],
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: SELECTOR },
      },
    ],
  };
  return { ...base, ...overrides };
}

export const WORKLOAD_KINDS = [
  "Pod",
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "Job",
  "CronJob",
  "InferenceService",
] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

const API_VERSIONS: Record<WorkloadKind, string> = {
  Pod: "v1",
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  ReplicaSet: "apps/v1",
  Job: "batch/v1",
  CronJob: "batch/v1",
  InferenceService: "serving.kserve.io/v1beta1",
};

export function typeOf(apiVersion: string, kind: string): string {
  return `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`;
}

/** A Kubernetes object as Pulumi records it. */
export function kube(
  apiVersion: string,
  kind: string,
  name: string,
  body: Json = {},
  metadata: Json = {},
  extra: Partial<EvaluationResource> = {},
): EvaluationResource {
  const clusterScoped = ["Namespace", "ClusterRole", "ClusterRoleBinding"].includes(kind);
  return resource(
    typeOf(apiVersion, kind),
    name,
    {
      apiVersion,
      kind,
      metadata: { name, ...(clusterScoped ? {} : { namespace: NS }), labels: LABELS, ...metadata },
      ...body,
    },
    extra,
  );
}

/** A workload of any pod-bearing kind wrapping `spec` (for a Job, restartPolicy Never). */
export function workload(kind: WorkloadKind, spec: Json = podSpec(), name = "scorer"): EvaluationResource {
  const template = { metadata: { labels: { ...LABELS } }, spec };
  const bodies: Record<WorkloadKind, Json> = {
    Pod: { spec },
    Deployment: { spec: { replicas: 2, selector: { matchLabels: SELECTOR }, template } },
    StatefulSet: { spec: { replicas: 2, serviceName: name, selector: { matchLabels: SELECTOR }, template } },
    DaemonSet: { spec: { selector: { matchLabels: SELECTOR }, template } },
    ReplicaSet: { spec: { replicas: 2, selector: { matchLabels: SELECTOR }, template } },
    Job: { spec: { template: { ...template, spec: { restartPolicy: "Never", ...spec } } } },
    CronJob: {
      spec: {
        schedule: "0 2 * * *",
        jobTemplate: { spec: { template: { ...template, spec: { restartPolicy: "Never", ...spec } } } },
      },
    },
    InferenceService: { spec: { predictor: { ...spec, minReplicas: 2 } } },
  };
  return kube(API_VERSIONS[kind], kind, name, bodies[kind]);
}

/** Where the containers of a workload's pod spec are, for mutating them in tests. */
export function podSpecOf(r: EvaluationResource): Json {
  const inputs = r.inputs as Json;
  switch (inputs.kind) {
    case "Pod":
      return inputs.spec;
    case "CronJob":
      return inputs.spec.jobTemplate.spec.template.spec;
    case "InferenceService":
      return inputs.spec.predictor;
    default:
      return inputs.spec.template.spec;
  }
}

export interface Findings {
  violations: Violation[];
  deferred: DeferredCheck[];
}

/**
 * Runs the pack and returns what one rule found — and runs the rule through its CrossGuard handler
 * with the values shaped as the engine sends them, failing the test when the two disagree (rules
 * whose `engineNote` documents a difference are compared where that difference cannot arise).
 */
export function check(
  resources: EvaluationResource[],
  rule: string,
  config: PackConfig = {},
  outputs?: Record<string, unknown>,
): Findings {
  const result = evaluateDetailed(resources, config, { outputs });
  const findings = {
    violations: result.violations.filter((v) => v.policy === rule),
    deferred: result.deferred.filter((d) => d.policy === rule),
  };
  expectEngineParity(resources, rule, config, outputs, findings.violations);
  return findings;
}

/** Rules the engine was compared on, with whether a finding was among them (for the coverage test). */
export const PARITY_CHECKED = new Map<string, boolean>();

function expectEngineParity(
  resources: EvaluationResource[],
  name: string,
  config: PackConfig,
  outputs: Record<string, unknown> | undefined,
  violations: Violation[],
): void {
  const rule = ruleByName(name);
  if (!rule || (rule.engineNote && (outputs !== undefined || JSON.stringify(resources).includes(SECRET_SIG))))
    return;
  const engine = engineMessages(resources, rule, config, outputs);
  if (engine === undefined) return;
  const offline = violations.map((v) => v.message).sort();
  expect({ rule: name, engine: engine.sort() }).toEqual({ rule: name, engine: offline });
  PARITY_CHECKED.set(name, (PARITY_CHECKED.get(name) ?? false) || offline.length > 0);
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The messages one rule reports. */
export function messages(
  resources: EvaluationResource[],
  rule: string,
  config: PackConfig = {},
  outputs?: Record<string, unknown>,
): string[] {
  return check(resources, rule, config, outputs).violations.map((v) => v.message);
}

/** The engine's unknown placeholder, as in a `pulumi preview --json` document. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Everything a namespace needs around a workload: PSA labels, default deny, an allow policy, quota, limits, a PDB. */
export function namespaceKit(): EvaluationResource[] {
  const ns = resource("kubernetes:core/v1:Namespace", NS, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: NS,
      labels: {
        ...LABELS,
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
      },
    },
  });
  return [
    ns,
    kube("networking.k8s.io/v1", "NetworkPolicy", "default-deny", {
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    }),
    kube("networking.k8s.io/v1", "NetworkPolicy", "scorer", {
      spec: {
        podSelector: { matchLabels: SELECTOR },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
            ],
            ports: [{ port: 8080 }],
          },
        ],
      },
    }),
    kube("v1", "ResourceQuota", "quota", { spec: { hard: { "requests.cpu": "8" } } }),
    kube("v1", "LimitRange", "limits", { spec: { limits: [{ type: "Container", default: { cpu: "1" } }] } }),
    kube("policy/v1", "PodDisruptionBudget", "scorer", {
      spec: { maxUnavailable: 1, selector: { matchLabels: SELECTOR } },
    }),
  ];
}
