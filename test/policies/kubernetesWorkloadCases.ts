/** Compliant pod specs and the rule-breaking cases shared by the kubernetesWorkloads.*.test.ts files. */
import { container, openshiftContainer, podSpec, podSpecOf, workload, WorkloadKind } from "./helpers";

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type List = "containers" | "initContainers" | "ephemeralContainers";

/** A pod with a regular, an init and an ephemeral container, all compliant. */
export function fullPodSpec(flavor: "kubernetes" | "openshift" = "kubernetes"): Json {
  const make = flavor === "openshift" ? openshiftContainer : container;
  const init = make("setup");
  delete init.readinessProbe;
  delete init.livenessProbe;
  delete init.ports;
  const debug = make("debug");
  for (const k of ["readinessProbe", "livenessProbe", "ports", "resources"]) delete debug[k];
  return podSpec({ containers: [make()], initContainers: [init], ephemeralContainers: [debug] }, flavor);
}

export function withContainer(
  kind: WorkloadKind,
  list: List,
  mutate: (c: Json) => void,
  flavor: "kubernetes" | "openshift" = "kubernetes",
) {
  const r = workload(kind, fullPodSpec(flavor));
  mutate(podSpecOf(r)[list][0]);
  return r;
}

export function withPod(kind: WorkloadKind, mutate: (spec: Json) => void) {
  const r = workload(kind, fullPodSpec());
  mutate(podSpecOf(r));
  return r;
}

export const ALL_LISTS: List[] = ["containers", "initContainers", "ephemeralContainers"];

/** Container-level rules, each with a change that breaks it. */
export const CONTAINER_CASES: Array<[string, string, (c: Json) => void, List[]]> = [
  ["k8s-no-privileged", "privileged: true", (c) => (c.securityContext.privileged = true), ALL_LISTS],
  ["k8s-no-host-ports", "a hostPort", (c) => (c.ports = [{ containerPort: 80, hostPort: 80 }]), ALL_LISTS],
  [
    "k8s-no-host-process",
    "windowsOptions.hostProcess",
    (c) => (c.securityContext.windowsOptions = { hostProcess: true }),
    ALL_LISTS,
  ],
  [
    "k8s-drop-all-capabilities",
    "drop without ALL",
    (c) => (c.securityContext.capabilities = { drop: ["NET_RAW"] }),
    ALL_LISTS,
  ],
  [
    "k8s-capabilities-add-allowlist",
    "add SYS_ADMIN",
    (c) => (c.securityContext.capabilities.add = ["NET_BIND_SERVICE", "SYS_ADMIN"]),
    ALL_LISTS,
  ],
  [
    "k8s-no-privilege-escalation",
    "no allowPrivilegeEscalation",
    (c) => delete c.securityContext.allowPrivilegeEscalation,
    ALL_LISTS,
  ],
  ["k8s-run-as-non-root", "runAsNonRoot: false", (c) => (c.securityContext.runAsNonRoot = false), ALL_LISTS],
  ["k8s-run-as-user-nonzero", "runAsUser: 0", (c) => (c.securityContext.runAsUser = 0), ALL_LISTS],
  ["k8s-high-uid", "runAsUser 1000", (c) => (c.securityContext.runAsUser = 1000), ALL_LISTS],
  [
    "k8s-seccomp-required",
    "seccomp Unconfined",
    (c) => (c.securityContext.seccompProfile = { type: "Unconfined" }),
    ALL_LISTS,
  ],
  [
    "k8s-proc-mount-default",
    "procMount Unmasked",
    (c) => (c.securityContext.procMount = "Unmasked"),
    ALL_LISTS,
  ],
  [
    "k8s-apparmor-not-unconfined",
    "AppArmor Unconfined",
    (c) => (c.securityContext.appArmorProfile = { type: "Unconfined" }),
    ALL_LISTS,
  ],
  [
    "k8s-selinux-restricted",
    "SELinux type spc_t",
    (c) => (c.securityContext.seLinuxOptions = { type: "spc_t" }),
    ALL_LISTS,
  ],
  [
    "k8s-probe-host-unset",
    "a probe with host",
    (c) => (c.startupProbe = { httpGet: { host: "169.254.169.254", path: "/", port: 80 } }),
    ALL_LISTS,
  ],
  [
    "k8s-read-only-root-fs",
    "a writable root filesystem",
    (c) => (c.securityContext.readOnlyRootFilesystem = false),
    ALL_LISTS,
  ],
  ["k8s-image-tag-pinned", "the latest tag", (c) => (c.image = "ghcr.io/mlstack/scorer:latest"), ALL_LISTS],
  ["k8s-image-digest", "no digest", (c) => (c.image = "ghcr.io/mlstack/scorer:1.4.2"), ALL_LISTS],
  [
    "k8s-allowed-registries",
    "an image from another registry",
    (c) => (c.image = "evil.example.com/miner:1.0"),
    ALL_LISTS,
  ],
  [
    "k8s-no-secret-literals-in-env",
    "a literal API_TOKEN",
    (c) => (c.env = [{ name: "API_TOKEN", value: "s3cr3t-value" }]),
    ALL_LISTS,
  ],
  [
    "k8s-requests-set",
    "no memory request",
    (c) => delete c.resources.requests.memory,
    ["containers", "initContainers"],
  ],
  [
    "k8s-memory-limit",
    "no memory limit",
    (c) => delete c.resources.limits.memory,
    ["containers", "initContainers"],
  ],
  ["k8s-cpu-limit", "no cpu limit", (c) => delete c.resources.limits.cpu, ["containers", "initContainers"]],
];

/** Pod-level rules, each with a change that breaks it. */
export const POD_CASES: Array<[string, string, (spec: Json) => void]> = [
  ["k8s-no-host-namespaces", "hostNetwork", (s) => (s.hostNetwork = true)],
  ["k8s-no-host-namespaces", "hostPID", (s) => (s.hostPID = true)],
  ["k8s-no-host-namespaces", "hostIPC", (s) => (s.hostIPC = true)],
  [
    "k8s-no-hostpath",
    "a hostPath volume",
    (s) => s.volumes.push({ name: "host", hostPath: { path: "/var/run" } }),
  ],
  [
    "k8s-restricted-volume-types",
    "an nfs volume",
    (s) => s.volumes.push({ name: "share", nfs: { server: "nfs", path: "/" } }),
  ],
  [
    "k8s-safe-sysctls",
    "an unsafe sysctl",
    (s) => (s.securityContext.sysctls = [{ name: "kernel.msgmax", value: "65536" }]),
  ],
  [
    "k8s-no-host-process",
    "a pod-level hostProcess",
    (s) => (s.securityContext.windowsOptions = { hostProcess: true }),
  ],
  ["k8s-run-as-user-nonzero", "a pod-level runAsUser 0", (s) => (s.securityContext.runAsUser = 0)],
  [
    "k8s-no-automount-sa-token",
    "automountServiceAccountToken unset",
    (s) => delete s.automountServiceAccountToken,
  ],
  ["k8s-no-default-service-account", "serviceAccountName default", (s) => (s.serviceAccountName = "default")],
  ["k8s-no-default-service-account", "no serviceAccountName", (s) => delete s.serviceAccountName],
  [
    "k8s-selinux-restricted",
    "a pod-level SELinux user",
    (s) => (s.securityContext.seLinuxOptions = { user: "system_u" }),
  ],
  [
    "k8s-apparmor-not-unconfined",
    "a pod-level Unconfined profile",
    (s) => (s.securityContext.appArmorProfile = { type: "Unconfined" }),
  ],
];

export const RULES_CHECKED_ON_COMPLIANT = [
  ...new Set([
    ...CONTAINER_CASES.map((c) => c[0]),
    ...POD_CASES.map((c) => c[0]),
    "k8s-readiness-probe",
    "k8s-liveness-probe",
    "k8s-spread",
    "k8s-no-default-namespace",
    "kserve-pod-hardening",
  ]),
];
