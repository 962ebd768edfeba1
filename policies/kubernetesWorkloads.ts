/**
 * Kubernetes workload rules: Pod Security Standards (restricted), the OpenShift restricted-v2
 * SCC, and the Polaris / kube-score hygiene checks, applied to every pod-bearing kind and every
 * container list, wherever a pod spec sits (found by shape, see `podSpecs.ts`).
 *
 * Unknown values: a field whose value is unknown during preview is reported as *not checked* (a
 * finding at the rule's level), never passed; the engine validates again at `pulumi up`.
 */
import { byNamespace, isNamespaced, namespaceOf, objectName, selectorMatches } from "./kubernetesObjects";
import { isKubernetesObject } from "./platformLabels";
import {
  ContainerView,
  effectiveSecurityField,
  isWorkloadType,
  kubernetesGvk,
  mayCarryPods,
  podSites,
  PodView,
} from "./podSpecs";
import { isLiteralSecretValue, isSecretName, secretFlag, secretMaterial } from "./secretValues";
import type {
  PolicyResource,
  Reporter,
  ResourceRule,
  RuleContext,
  RuleMetadata,
  StackRule,
  StackView,
} from "./rule";
import { resourceRule, stackRule, UNKNOWN_NOT_CHECKED } from "./rule";
import { arr, at, isObject, isUnknown, num, obj, REDACTED_SECRET, str, strings } from "./values";

type WorkloadCheck = (pod: PodView, ctx: RuleContext, report: Reporter) => void;

/** A rule evaluated on every pod spec of every Kubernetes object (found by shape). */
function workloadRule(
  meta: Omit<RuleMetadata, "onUnknown" | "settings"> & Partial<Pick<RuleMetadata, "onUnknown" | "settings">>,
  checkPod: WorkloadCheck,
): ResourceRule & { checkPod: WorkloadCheck } {
  return {
    ...resourceRule({
      onUnknown: UNKNOWN_NOT_CHECKED,
      ...meta,
      appliesTo: mayCarryPods,
      check(resource, ctx, report) {
        checkWorkloadPods(resource, ctx, report, checkPod);
      },
    }),
    checkPod,
  };
}

/** Runs a pod check on every pod of a resource; a pod spec or container list that is unknown is reported as not checked. */
export function checkWorkloadPods(
  resource: PolicyResource,
  ctx: RuleContext,
  report: Reporter,
  checkPod: WorkloadCheck,
): void {
  const sites = podSites(resource);
  for (const where of sites.unknownAt) report.unknown(where);
  for (const pod of sites.pods) checkPod(pod, ctx, report);
}

/** Applies `fn` to the value at `path` of every container: unknown values are deferred. */
function eachContainer(
  pod: PodView,
  report: Reporter,
  path: string,
  fn: (value: unknown, c: ContainerView) => void,
  filter: (c: ContainerView) => boolean = () => true,
): void {
  for (const c of pod.containers) {
    if (!filter(c)) continue;
    const value = at(c.spec, path);
    if (isUnknown(value)) report.unknown(`${c.path}.${path}`);
    else fn(value, c);
  }
}

const notEphemeral = (c: ContainerView) => !c.ephemeral;

export const noPrivileged = workloadRule(
  {
    name: "k8s-no-privileged",
    description: "Containers must not run privileged.",
    severity: "critical",
    remediation: "Remove `securityContext.privileged: true` (or set it to false) on every container.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) =>
    eachContainer(pod, report, "securityContext.privileged", (v, c) => {
      if (v === true) report.violation(`${c.label} (${c.path}) runs privileged`);
    }),
);

export const noHostNamespaces = workloadRule(
  {
    name: "k8s-no-host-namespaces",
    description: "Pods must not share the node's network, PID or IPC namespace.",
    severity: "critical",
    remediation: "Remove `hostNetwork`, `hostPID` and `hostIPC` from the pod spec (or set them to false).",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) => {
    for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
      const v = pod.spec[field];
      if (isUnknown(v)) report.unknown(`${pod.path}.${field}`);
      else if (v === true) report.violation(`${pod.component}pod spec (${pod.path}) sets ${field}: true`);
    }
  },
);

export const noHostPath = workloadRule(
  {
    name: "k8s-no-hostpath",
    description: "Pods must not mount hostPath volumes.",
    severity: "critical",
    remediation: "Replace hostPath volumes with emptyDir, a PersistentVolumeClaim, a ConfigMap or a Secret.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) => {
    const volumes = pod.spec.volumes;
    if (isUnknown(volumes)) return report.unknown(`${pod.path}.volumes`);
    arr(volumes).forEach((v, i) => {
      if (isUnknown(v)) return report.unknown(`${pod.path}.volumes[${i}]`);
      if (isObject(v) && v.hostPath !== undefined) {
        report.violation(
          `${pod.component}volume "${str(v.name) ?? i}" (${pod.path}.volumes[${i}]) is a hostPath`,
        );
      }
    });
  },
);

export const noHostPorts = workloadRule(
  {
    name: "k8s-no-host-ports",
    description: "Containers must not bind host ports.",
    severity: "high",
    remediation: "Remove `hostPort` from container ports; expose the pod through a Service instead.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) =>
    eachContainer(pod, report, "ports", (ports, c) => {
      arr(ports).forEach((p, i) => {
        const hostPort = at(p, "hostPort");
        if (isUnknown(hostPort)) report.unknown(`${c.path}.ports[${i}].hostPort`);
        else if (hostPort !== undefined && num(hostPort) !== 0) {
          report.violation(`${c.label} (${c.path}.ports[${i}]) binds host port ${String(hostPort)}`);
        }
      });
    }),
);

export const noHostProcess = workloadRule(
  {
    name: "k8s-no-host-process",
    description: "Windows pods must not run as HostProcess containers.",
    severity: "critical",
    remediation: "Remove `securityContext.windowsOptions.hostProcess: true` from the pod and its containers.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) => {
    const podLevel = at(pod.spec, "securityContext.windowsOptions.hostProcess");
    if (isUnknown(podLevel)) report.unknown(`${pod.path}.securityContext.windowsOptions.hostProcess`);
    else if (podLevel === true)
      report.violation(`${pod.component}pod spec (${pod.path}) runs as a Windows HostProcess`);
    eachContainer(pod, report, "securityContext.windowsOptions.hostProcess", (v, c) => {
      if (v === true) report.violation(`${c.label} (${c.path}) runs as a Windows HostProcess`);
    });
  },
);

export const dropAllCapabilities = workloadRule(
  {
    name: "k8s-drop-all-capabilities",
    description: "Containers must drop all Linux capabilities.",
    severity: "high",
    remediation: 'Set `securityContext.capabilities.drop: ["ALL"]` on every container.',
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) =>
    eachContainer(pod, report, "securityContext.capabilities.drop", (drop, c) => {
      if (containsUnknownItem(drop)) report.unknown(`${c.path}.securityContext.capabilities.drop`);
      else if (!strings(drop).includes("ALL"))
        report.violation(`${c.label} (${c.path}) does not drop ALL capabilities`);
    }),
);

function containsUnknownItem(value: unknown): boolean {
  return arr(value).some(isUnknown);
}

export const capabilitiesAddAllowlist = workloadRule(
  {
    name: "k8s-capabilities-add-allowlist",
    description: "Containers may add no capability other than NET_BIND_SERVICE.",
    severity: "high",
    remediation: "Remove every entry of `securityContext.capabilities.add` except NET_BIND_SERVICE.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) =>
    eachContainer(pod, report, "securityContext.capabilities.add", (add, c) => {
      const extra = strings(add).filter((cap) => !isUnknown(cap) && cap !== "NET_BIND_SERVICE");
      if (containsUnknownItem(add)) report.unknown(`${c.path}.securityContext.capabilities.add`);
      if (extra.length > 0) report.violation(`${c.label} (${c.path}) adds capabilities ${extra.join(", ")}`);
    }),
);

export const noPrivilegeEscalation = workloadRule(
  {
    name: "k8s-no-privilege-escalation",
    description: "Containers must set allowPrivilegeEscalation: false.",
    severity: "high",
    remediation: "Set `securityContext.allowPrivilegeEscalation: false` on every container.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) =>
    eachContainer(pod, report, "securityContext.allowPrivilegeEscalation", (v, c) => {
      if (v !== false)
        report.violation(`${c.label} (${c.path}) does not set allowPrivilegeEscalation: false`);
    }),
);

export const runAsNonRoot = workloadRule(
  {
    name: "k8s-run-as-non-root",
    description:
      "Pods must set runAsNonRoot: true, at pod level or on every container, and no container may set it false.",
    severity: "high",
    remediation: "Set `securityContext.runAsNonRoot: true` in the pod spec (or on every container).",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) => {
    const podLevel = at(pod.spec, "securityContext.runAsNonRoot");
    if (isUnknown(podLevel)) return report.unknown(`${pod.path}.securityContext.runAsNonRoot`);
    for (const c of pod.containers) {
      const own = at(c.spec, "securityContext.runAsNonRoot");
      if (isUnknown(own)) report.unknown(`${c.path}.securityContext.runAsNonRoot`);
      else if (own === false) report.violation(`${c.label} (${c.path}) sets runAsNonRoot: false`);
      else if (own !== true && podLevel !== true) {
        report.violation(
          `${c.label} (${c.path}) may run as root: runAsNonRoot is set neither on it nor on the pod`,
        );
      }
    }
  },
);

export const runAsUserNonZero = workloadRule(
  {
    name: "k8s-run-as-user-nonzero",
    description: "Pods and containers must not set runAsUser: 0.",
    severity: "high",
    remediation: "Remove `runAsUser: 0`; run as a non-root UID.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) => {
    const podUser = at(pod.spec, "securityContext.runAsUser");
    if (isUnknown(podUser)) report.unknown(`${pod.path}.securityContext.runAsUser`);
    else if (podUser !== undefined && num(podUser) === 0)
      report.violation(`${pod.component}pod spec (${pod.path}) sets runAsUser: 0`);
    eachContainer(pod, report, "securityContext.runAsUser", (v, c) => {
      if (v !== undefined && num(v) === 0) report.violation(`${c.label} (${c.path}) sets runAsUser: 0`);
    });
  },
);

/** UIDs below this may collide with users of the node or of base images (kube-score, Polaris). */
export const MIN_HIGH_UID = 10000;

export const highUid = workloadRule(
  {
    name: "k8s-high-uid",
    description:
      "On plain Kubernetes (and EKS / GKE), containers run with an explicit UID and GID of 10000 or more. Not applied on OpenShift, which assigns them.",
    severity: "medium",
    remediation:
      "Set `runAsUser` and `runAsGroup` to 10000 or more (mlstack uses 10001) in the pod security context.",
    defaultLevel: "advisory",
    settings: ["target"],
  },
  (pod, ctx, report) => {
    if (ctx.flavor !== "kubernetes") return;
    for (const c of pod.containers) {
      for (const field of ["runAsUser", "runAsGroup"]) {
        const v = effectiveSecurityField(pod, c, field);
        if (isUnknown(v)) report.unknown(`${c.path}.securityContext.${field}`);
        else if (v === undefined)
          report.violation(`${c.label} (${c.path}) has no ${field}: the image decides`);
        else if ((num(v) ?? 0) < MIN_HIGH_UID)
          report.violation(`${c.label} (${c.path}) runs with ${field} ${String(v)} (< ${MIN_HIGH_UID})`);
      }
    }
  },
);

export const openshiftNoFixedUid = workloadRule(
  {
    name: "openshift-no-fixed-uid",
    description:
      "On OpenShift, pods leave runAsUser, fsGroup and the SELinux level to the restricted-v2 SCC, which assigns them per namespace.",
    severity: "medium",
    remediation:
      "Remove `runAsUser`, `fsGroup` and `seLinuxOptions.level` from the pod and container security contexts.",
    defaultLevel: "advisory",
    settings: ["target"],
  },
  (pod, ctx, report) => {
    if (ctx.flavor !== "openshift") return;
    for (const field of ["runAsUser", "fsGroup", "seLinuxOptions.level"]) {
      const v = at(pod.spec, `securityContext.${field}`);
      if (isUnknown(v)) report.unknown(`${pod.path}.securityContext.${field}`);
      else if (v !== undefined)
        report.violation(`${pod.component}pod spec (${pod.path}) fixes ${field} (${String(v)})`);
    }
    for (const field of ["runAsUser", "seLinuxOptions.level"]) {
      eachContainer(pod, report, `securityContext.${field}`, (v, c) => {
        if (v !== undefined) report.violation(`${c.label} (${c.path}) fixes ${field} (${String(v)})`);
      });
    }
  },
);

export const seccompRequired = workloadRule(
  {
    name: "k8s-seccomp-required",
    description:
      "Every container runs under a seccomp profile: RuntimeDefault or Localhost (OpenShift's restricted-v2 SCC admits RuntimeDefault only).",
    severity: "high",
    remediation: "Set `securityContext.seccompProfile.type: RuntimeDefault` in the pod spec.",
    defaultLevel: "mandatory",
    settings: ["target"],
  },
  (pod, ctx, report) => {
    const allowed = ctx.flavor === "openshift" ? ["RuntimeDefault"] : ["RuntimeDefault", "Localhost"];
    for (const c of pod.containers) {
      const profile = effectiveSecurityField(pod, c, "seccompProfile");
      const type = at(profile, "type");
      if (isUnknown(profile) || isUnknown(type)) report.unknown(`${c.path}.securityContext.seccompProfile`);
      else if (type === undefined) report.violation(`${c.label} (${c.path}) has no seccomp profile`);
      else if (!allowed.includes(String(type))) {
        report.violation(
          `${c.label} (${c.path}) uses seccomp profile ${String(type)} (allowed: ${allowed.join(", ")})`,
        );
      } else if (type === "Localhost" && !str(at(profile, "localhostProfile"))) {
        report.violation(`${c.label} (${c.path}) uses a Localhost seccomp profile without localhostProfile`);
      }
    }
  },
);

/** Volume sources Pod Security Standards `restricted` admits. */
export const RESTRICTED_VOLUME_TYPES = [
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "image",
  "persistentVolumeClaim",
  "projected",
  "secret",
];

export const restrictedVolumeTypes = workloadRule(
  {
    name: "k8s-restricted-volume-types",
    description: `Pods use only the volume types Pod Security Standards restricted admits (${RESTRICTED_VOLUME_TYPES.join(", ")}).`,
    severity: "high",
    remediation: "Replace other volume sources with a PersistentVolumeClaim (or a CSI ephemeral volume).",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) => {
    const volumes = pod.spec.volumes;
    if (isUnknown(volumes)) return report.unknown(`${pod.path}.volumes`);
    arr(volumes).forEach((v, i) => {
      if (isUnknown(v)) return report.unknown(`${pod.path}.volumes[${i}]`);
      const kinds = Object.keys(obj(v)).filter((k) => k !== "name");
      const bad = kinds.filter((k) => !RESTRICTED_VOLUME_TYPES.includes(k));
      if (bad.length > 0) {
        report.violation(
          `${pod.component}volume "${str(at(v, "name")) ?? i}" (${pod.path}.volumes[${i}]) is of type ${bad.join(", ")}`,
        );
      }
    });
  },
);

export const procMountDefault = workloadRule(
  {
    name: "k8s-proc-mount-default",
    description: "Containers keep the default /proc mount (procMount: Default).",
    severity: "high",
    remediation: "Remove `securityContext.procMount` or set it to Default.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) =>
    eachContainer(pod, report, "securityContext.procMount", (v, c) => {
      if (v !== undefined && v !== "Default")
        report.violation(`${c.label} (${c.path}) sets procMount: ${String(v)}`);
    }),
);

/** Sysctls Pod Security Standards consider safe (namespaced and isolated). */
export const SAFE_SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_wmem",
];

export const safeSysctls = workloadRule(
  {
    name: "k8s-safe-sysctls",
    description: "Pods set only the sysctls Pod Security Standards consider safe.",
    severity: "high",
    remediation: `Remove sysctls other than ${SAFE_SYSCTLS.join(", ")} from the pod security context.`,
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) => {
    const sysctls = at(pod.spec, "securityContext.sysctls");
    if (isUnknown(sysctls)) return report.unknown(`${pod.path}.securityContext.sysctls`);
    for (const s of arr(sysctls)) {
      const name = at(s, "name");
      if (isUnknown(name)) report.unknown(`${pod.path}.securityContext.sysctls`);
      else if (typeof name === "string" && !SAFE_SYSCTLS.includes(name)) {
        report.violation(`${pod.component}pod spec (${pod.path}) sets unsafe sysctl ${name}`);
      }
    }
  },
);

const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

export const appArmorNotUnconfined = workloadRule(
  {
    name: "k8s-apparmor-not-unconfined",
    description: "No pod or container runs AppArmor-unconfined (field or legacy annotation).",
    severity: "high",
    remediation:
      "Remove `appArmorProfile.type: Unconfined` (and `unconfined` AppArmor annotations); use RuntimeDefault.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) => {
    const podType = at(pod.spec, "securityContext.appArmorProfile.type");
    if (isUnknown(podType)) report.unknown(`${pod.path}.securityContext.appArmorProfile`);
    else if (podType === "Unconfined")
      report.violation(`${pod.component}pod spec (${pod.path}) runs AppArmor-unconfined`);
    eachContainer(pod, report, "securityContext.appArmorProfile.type", (v, c) => {
      if (v === "Unconfined") report.violation(`${c.label} (${c.path}) runs AppArmor-unconfined`);
    });
    for (const [key, value] of Object.entries(pod.annotations)) {
      if (key.startsWith(APPARMOR_ANNOTATION_PREFIX) && value === "unconfined") {
        report.violation(
          `${pod.component}pod annotation ${key} makes container "${key.slice(APPARMOR_ANNOTATION_PREFIX.length)}" AppArmor-unconfined`,
        );
      }
    }
  },
);

/** SELinux types a restricted pod may use. */
export const ALLOWED_SELINUX_TYPES = [
  "container_t",
  "container_init_t",
  "container_kvm_t",
  "container_engine_t",
];

export const seLinuxRestricted = workloadRule(
  {
    name: "k8s-selinux-restricted",
    description: "SELinux options keep a container_t-family type and set no user or role.",
    severity: "high",
    remediation: `Remove seLinuxOptions.user and .role; use a type among ${ALLOWED_SELINUX_TYPES.join(", ")} (or none).`,
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) => {
    const check = (options: unknown, where: string, label: string) => {
      if (isUnknown(options)) return report.unknown(where);
      if (!isObject(options)) return;
      const type = options.type;
      if (
        typeof type === "string" &&
        type !== "" &&
        !isUnknown(type) &&
        !ALLOWED_SELINUX_TYPES.includes(type)
      ) {
        report.violation(`${label} (${where}) uses SELinux type ${type}`);
      }
      for (const field of ["user", "role"]) {
        const v = options[field];
        if (typeof v === "string" && v !== "" && !isUnknown(v))
          report.violation(`${label} (${where}) sets SELinux ${field} ${v}`);
      }
    };
    check(
      at(pod.spec, "securityContext.seLinuxOptions"),
      `${pod.path}.securityContext.seLinuxOptions`,
      `${pod.component}pod spec`,
    );
    for (const c of pod.containers)
      check(
        at(c.spec, "securityContext.seLinuxOptions"),
        `${c.path}.securityContext.seLinuxOptions`,
        c.label,
      );
  },
);

const HANDLERS = [
  "livenessProbe",
  "readinessProbe",
  "startupProbe",
  "lifecycle.postStart",
  "lifecycle.preStop",
];

export const probeHostUnset = workloadRule(
  {
    name: "k8s-probe-host-unset",
    description:
      "Probes and lifecycle handlers do not set `host` (which would let a pod reach other hosts through the kubelet).",
    severity: "medium",
    remediation:
      "Remove `host` from httpGet / tcpSocket probes and lifecycle handlers; they then target the pod itself.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) => {
    for (const c of pod.containers) {
      for (const handler of HANDLERS) {
        for (const action of ["httpGet", "tcpSocket"]) {
          const host = at(c.spec, `${handler}.${action}.host`);
          if (isUnknown(host)) report.unknown(`${c.path}.${handler}.${action}.host`);
          else if (typeof host === "string" && host !== "")
            report.violation(`${c.label} (${c.path}) ${handler} targets host ${host}`);
        }
      }
    }
  },
);

export const readOnlyRootFs = workloadRule(
  {
    name: "k8s-read-only-root-fs",
    description: "Containers mount their root filesystem read-only.",
    severity: "medium",
    remediation:
      "Set `securityContext.readOnlyRootFilesystem: true`; mount an emptyDir where the program writes (/tmp).",
    defaultLevel: "advisory",
  },
  (pod, _ctx, report) =>
    eachContainer(pod, report, "securityContext.readOnlyRootFilesystem", (v, c) => {
      if (v !== true) report.violation(`${c.label} (${c.path}) has a writable root filesystem`);
    }),
);

/** Annotation (on the workload or its pod template) that justifies mounting the API token: its value says why. */
export const API_ACCESS_ANNOTATION = "mlstack.io/needs-api-access";

const isServiceAccount = (type: string) => type === "kubernetes:core/v1:ServiceAccount";

export const noAutomountSaToken: StackRule = stackRule({
  name: "k8s-no-automount-sa-token",
  description: `Pods do not mount a service-account token unless they call the Kubernetes API (annotation ${API_ACCESS_ANNOTATION}: <reason> opts out). A pod that leaves automountServiceAccountToken unset mounts none when its ServiceAccount, in the same input, sets automountServiceAccountToken: false — as Kubernetes decides it.`,
  severity: "medium",
  remediation: `Set \`automountServiceAccountToken: false\` in the pod spec or on its ServiceAccount, or annotate the pod template with ${API_ACCESS_ANNOTATION}: "<why it calls the API>".`,
  defaultLevel: "advisory",
  onUnknown: UNKNOWN_NOT_CHECKED,
  check(stack, _ctx, report) {
    const accounts = byNamespace(stack.matching(isServiceAccount), stack);
    for (const resource of stack.matching(mayCarryPods)) {
      const sites = podSites(resource);
      for (const where of sites.unknownAt) report.unknown(where, resource);
      for (const pod of sites.pods) checkTokenMount(pod, accounts, stack, report);
    }
  },
});

/**
 * Kubernetes mounts the token unless the pod spec says false, or the pod spec is silent and its
 * ServiceAccount says false (the pod's setting wins over the account's).
 */
function checkTokenMount(
  pod: PodView,
  accounts: Map<string | undefined, PolicyResource[]>,
  stack: StackView,
  report: Reporter,
): void {
  const resource = pod.resource;
  if (pod.fragment) return;
  const v = pod.spec.automountServiceAccountToken;
  if (isUnknown(v)) return report.unknown(`${pod.path}.automountServiceAccountToken`, resource);
  if (v === false) return;
  const reason =
    pod.annotations[API_ACCESS_ANNOTATION] ??
    str(obj(at(resource.props, "metadata.annotations"))[API_ACCESS_ANNOTATION]);
  if (reason && reason.trim() !== "") return;
  if (v === undefined) {
    const accountName = pod.spec.serviceAccountName ?? pod.spec.serviceAccount ?? "default";
    if (isUnknown(accountName)) return report.unknown(`${pod.path}.serviceAccountName`, resource);
    const account = (accounts.get(namespaceOf(resource, stack)) ?? []).find(
      (a) => objectName(a) === accountName,
    );
    const accountSetting = account?.props.automountServiceAccountToken;
    if (isUnknown(accountSetting))
      return report.unknown(`ServiceAccount ${String(accountName)} automountServiceAccountToken`, resource);
    if (accountSetting === false) return;
  }
  report.violation(
    `${pod.component}pod spec (${pod.path}) mounts a service-account token (automountServiceAccountToken is ${v === true ? "true" : "unset, and its ServiceAccount does not set it false"})`,
    resource,
  );
}

export const noDefaultServiceAccount = workloadRule(
  {
    name: "k8s-no-default-service-account",
    description:
      "Pods run under their own service account, not the namespace's `default` (a KServe ServingRuntime, whose containers run under the InferenceService's account, is judged through the InferenceService).",
    severity: "medium",
    remediation: "Create a ServiceAccount for the workload and set `serviceAccountName` to it.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) => {
    if (pod.fragment) return;
    const v = pod.spec.serviceAccountName ?? pod.spec.serviceAccount;
    if (isUnknown(v)) return report.unknown(`${pod.path}.serviceAccountName`);
    if (v === undefined || v === "" || v === "default") {
      report.violation(`${pod.component}pod spec (${pod.path}) runs as the default service account`);
    }
  },
);

/** An image reference split into registry, repository, tag and digest (Docker's normalisation rules). */
export interface ImageReference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
  /** `registry/repository`, e.g. `docker.io/library/nginx`. */
  name: string;
}

function canonicalRegistry(registry: string): string {
  return registry === "index.docker.io" || registry === "registry-1.docker.io" ? "docker.io" : registry;
}

/** Parsed references, kept: three image rules read every container's image. */
const IMAGES = new Map<string, ImageReference>();

export function parseImage(image: string): ImageReference {
  let ref = IMAGES.get(image);
  if (!ref) {
    ref = parseImageReference(image);
    IMAGES.set(image, ref);
  }
  return ref;
}

function parseImageReference(image: string): ImageReference {
  let rest = image.trim();
  let digest: string | undefined;
  const atSign = rest.indexOf("@");
  if (atSign >= 0) {
    digest = rest.slice(atSign + 1);
    rest = rest.slice(0, atSign);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const first = rest.split("/")[0];
  const hasRegistry =
    rest.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = canonicalRegistry(hasRegistry ? first : "docker.io");
  let repository = hasRegistry ? rest.slice(first.length + 1) : rest;
  if (registry === "docker.io" && !repository.includes("/")) repository = `library/${repository}`;
  return { registry, repository, tag, digest, name: `${registry}/${repository}` };
}

/** Whether an image comes from one of the allowed registries (entries may include a path: `docker.io/seldonio`). */
export function registryAllowed(image: ImageReference, allowed: readonly string[]): boolean {
  return allowed.some((entry) => {
    const trimmed = entry.trim().replace(/\/+$/, "");
    const slash = trimmed.indexOf("/");
    const normalized =
      slash < 0
        ? canonicalRegistry(trimmed)
        : `${canonicalRegistry(trimmed.slice(0, slash))}${trimmed.slice(slash)}`;
    return (
      image.name === normalized || image.name.startsWith(`${normalized}/`) || image.registry === normalized
    );
  });
}

function eachImage(
  pod: PodView,
  report: Reporter,
  fn: (image: ImageReference, raw: string, c: ContainerView) => void,
): void {
  eachContainer(pod, report, "image", (v, c) => {
    // KServe model servers without an image take it from their ServingRuntime.
    if (typeof v === "string" && v.trim() !== "") fn(parseImage(v), v, c);
    else if (c.list !== "model") report.violation(`${c.label} (${c.path}) has no image`);
  });
}

export const imageTagPinned = workloadRule(
  {
    name: "k8s-image-tag-pinned",
    description: "Images name an explicit tag other than `latest` (or a digest).",
    severity: "high",
    remediation:
      "Reference images by a version tag (`:3.6.0-1`) or a digest (`@sha256:…`), never `:latest` or no tag.",
    defaultLevel: "mandatory",
  },
  (pod, _ctx, report) =>
    eachImage(pod, report, (image, raw, c) => {
      if (image.digest) return;
      if (!image.tag) report.violation(`${c.label} (${c.path}) uses image ${raw} without a tag`);
      else if (image.tag === "latest")
        report.violation(`${c.label} (${c.path}) uses image ${raw} with the mutable tag latest`);
    }),
);

export const imageDigest = workloadRule(
  {
    name: "k8s-image-digest",
    description: "Images are pinned by digest, so what runs is exactly what was reviewed.",
    severity: "low",
    remediation: "Append the image digest: `repo/image:tag@sha256:<digest>`.",
    defaultLevel: "advisory",
  },
  (pod, _ctx, report) =>
    eachImage(pod, report, (image, raw, c) => {
      if (!image.digest?.startsWith("sha256:"))
        report.violation(`${c.label} (${c.path}) uses image ${raw} without a sha256 digest`);
    }),
);

export const allowedRegistries = workloadRule(
  {
    name: "k8s-allowed-registries",
    description: "Images come only from the configured registries.",
    severity: "high",
    remediation:
      "Mirror the image into an allowed registry, or add its registry to the `registries` pack config (and `mlstack:registries`).",
    defaultLevel: "mandatory",
    settings: ["registries"],
  },
  (pod, ctx, report) =>
    eachImage(pod, report, (image, raw, c) => {
      if (!registryAllowed(image, ctx.registries)) {
        report.violation(
          `${c.label} (${c.path}) uses image ${raw} from ${image.registry}, outside the allowed registries (${ctx.registries.join(", ")})`,
        );
      }
    }),
);

function resourceQuantityRule(
  name: string,
  field: "requests" | "limits",
  resources: Array<"cpu" | "memory">,
  level: "mandatory" | "advisory",
  description: string,
  remediation: string,
) {
  return workloadRule(
    {
      name,
      description,
      severity: "medium",
      remediation,
      defaultLevel: level,
      onUnknown: UNKNOWN_NOT_CHECKED,
    },
    (pod, _ctx, report) =>
      eachContainer(
        pod,
        report,
        `resources.${field}`,
        (values, c) => {
          const missing = resources.filter((r) => {
            const v = at(values, r);
            if (isUnknown(v)) report.unknown(`${c.path}.resources.${field}.${r}`);
            return v === undefined || v === null || v === "";
          });
          if (missing.length > 0)
            report.violation(
              `${c.label} (${c.path}) has no ${missing.join(" or ")} ${field === "requests" ? "request" : "limit"}`,
            );
        },
        notEphemeral,
      ),
  );
}

export const requestsSet = resourceQuantityRule(
  "k8s-requests-set",
  "requests",
  ["cpu", "memory"],
  "mandatory",
  "Containers request CPU and memory (ephemeral containers cannot, and are skipped).",
  "Set `resources.requests.cpu` and `resources.requests.memory` on every container and init container.",
);
export const memoryLimit = resourceQuantityRule(
  "k8s-memory-limit",
  "limits",
  ["memory"],
  "mandatory",
  "Containers have a memory limit.",
  "Set `resources.limits.memory` on every container and init container.",
);
export const cpuLimit = resourceQuantityRule(
  "k8s-cpu-limit",
  "limits",
  ["cpu"],
  "advisory",
  "Containers have a CPU limit.",
  "Set `resources.limits.cpu` on every container and init container.",
);

function probeRule(name: string, probe: string, level: "mandatory" | "advisory") {
  return workloadRule(
    {
      name,
      description: `Long-running containers (not Jobs, CronJobs or run-to-completion Pods; init containers only as native sidecars) declare a ${probe}.`,
      severity: "medium",
      remediation: `Add a ${probe} (httpGet on the health endpoint, or tcpSocket) to the container.`,
      defaultLevel: level,
    },
    (pod, _ctx, report) =>
      eachContainer(
        pod,
        report,
        probe,
        (v, c) => {
          if (v === undefined || v === null) report.violation(`${c.label} (${c.path}) has no ${probe}`);
        },
        (c) => c.longRunning,
      ),
  );
}

export const readinessProbe = probeRule("k8s-readiness-probe", "readinessProbe", "mandatory");
export const livenessProbe = probeRule("k8s-liveness-probe", "livenessProbe", "advisory");

export const noSecretLiteralsInEnv = workloadRule(
  {
    name: "k8s-no-secret-literals-in-env",
    description:
      "Credentials reach containers through secretKeyRef or secret volumes, never as a literal: no env value named like a credential (PGPASSWORD, REDIS_AUTH, *_TOKEN, *_CREDENTIALS…), and no env value, command or argument holding secret material under any name (private keys, AWS / GCP keys, JWTs, GitHub / Slack tokens, passwords in URLs or connection strings, --password flags, values the program marked secret). Findings name the variable or argument, never the value.",
    severity: "high",
    remediation:
      "Put the value in a Secret and use `valueFrom.secretKeyRef` (or mount the Secret as a volume); pass it to a command as `$(VAR)` from such a variable, never inline.",
    defaultLevel: "mandatory",
    engineNote:
      "The engine unwraps secrets, so a value the program marked secret is judged by its name and content like any other (offline it is flagged for being a secret literal).",
  },
  (pod, _ctx, report) => {
    const secretPaths = new Set(pod.resource.secretPaths ?? []);
    for (const c of pod.containers) {
      checkEnvLiterals(c, secretPaths, report);
      for (const field of ["command", "args"]) checkCommandLine(c, field, secretPaths, report);
    }
  },
);

function checkEnvLiterals(c: ContainerView, secretPaths: ReadonlySet<string>, report: Reporter): void {
  const env = c.spec.env;
  if (isUnknown(env)) return report.unknown(`${c.path}.env`);
  arr(env).forEach((e, i) => {
    const where = `${c.path}.env[${i}]`;
    if (isUnknown(e)) return report.unknown(where);
    if (!isObject(e) || !("value" in e)) return;
    const name = str(e.name) ?? `#${i}`;
    const value = e.value;
    if (isUnknown(value)) return report.unknown(`${where}.value (env ${name})`);
    const material = typeof value === "string" ? secretMaterial(value) : undefined;
    if (value === REDACTED_SECRET || secretPaths.has(`${where}.value`)) {
      report.violation(`${c.label} sets env ${name} (${where}) to a secret as a literal value`);
    } else if (material) {
      report.violation(`${c.label} sets env ${name} (${where}) to ${material}`);
    } else if (isSecretName(name) && isLiteralSecretValue(value)) {
      report.violation(`${c.label} sets env ${name} (${where}), named like a credential, to a literal value`);
    }
  });
}

function checkCommandLine(
  c: ContainerView,
  field: string,
  secretPaths: ReadonlySet<string>,
  report: Reporter,
): void {
  const list = c.spec[field];
  if (isUnknown(list)) return report.unknown(`${c.path}.${field}`);
  const items = arr(list);
  const flagged = new Set<number>();
  items.forEach((a, i) => {
    const where = `${c.path}.${field}[${i}]`;
    if (isUnknown(a)) return report.unknown(where);
    if (a === REDACTED_SECRET || secretPaths.has(where)) {
      flagged.add(i);
      report.violation(`${c.label} passes a value the program marked secret in ${field} (${where})`);
      return;
    }
    const material = typeof a === "string" ? secretMaterial(a) : undefined;
    if (material) {
      flagged.add(i);
      report.violation(`${c.label} passes ${material} in ${field} (${where})`);
    }
  });
  const flag = secretFlag(items.map((a) => (typeof a === "string" ? a : "")));
  if (flag && !flagged.has(flag.index) && !flagged.has(flag.index + 1))
    report.violation(
      `${c.label} passes a credential on the command line with ${flag.flag} (${c.path}.${field}[${flag.index}])`,
    );
}

function replicasOf(resource: PolicyResource): unknown {
  return at(resource.props, "spec.replicas");
}

export const noBarePods = resourceRule({
  name: "k8s-no-bare-pods",
  description:
    "Pods are created by a controller (Deployment, StatefulSet, Job…), which recreates them when a node fails.",
  severity: "low",
  remediation: "Wrap the pod in a Deployment (long-running) or a Job (run to completion).",
  defaultLevel: "advisory",
  onUnknown: UNKNOWN_NOT_CHECKED,
  appliesTo: (type) => kubernetesGvk(type)?.kind === "Pod" && kubernetesGvk(type)?.group === "core",
  check(resource, _ctx, report) {
    const owners = at(resource.props, "metadata.ownerReferences");
    if (isUnknown(owners)) return report.unknown("metadata.ownerReferences");
    if (!arr(owners).some((o) => at(o, "controller") === true))
      report.violation(`Pod ${objectName(resource)} has no controlling owner`);
  },
});

const SPREAD_KINDS = [
  "Deployment",
  "StatefulSet",
  "ReplicaSet",
  "ReplicationController",
  "DeploymentConfig",
  "Rollout",
  "InferenceService",
];

export const spread = workloadRule(
  {
    name: "k8s-spread",
    description:
      "In prod, replicated workloads spread across nodes or zones (topologySpreadConstraints or pod anti-affinity).",
    severity: "low",
    remediation:
      "Add `topologySpreadConstraints` over `topology.kubernetes.io/zone` and `kubernetes.io/hostname` (or a podAntiAffinity).",
    defaultLevel: "advisory",
    settings: ["environment"],
  },
  (pod, ctx, report) => {
    if (!SPREAD_KINDS.includes(pod.kind) || ctx.environmentOf(pod.resource) !== "prod") return;
    if (pod.kind === "InferenceService" && pod.component !== "predictor ") return;
    const spreadConstraints = pod.spec.topologySpreadConstraints;
    const antiAffinity = at(pod.spec, "affinity.podAntiAffinity");
    if (isUnknown(spreadConstraints) || isUnknown(antiAffinity))
      return report.unknown(`${pod.path}.topologySpreadConstraints`);
    if (arr(spreadConstraints).length === 0 && !isObject(antiAffinity)) {
      report.violation(
        `${pod.component}pod spec (${pod.path}) has neither topologySpreadConstraints nor podAntiAffinity`,
      );
    }
  },
);

/** Every rule checked per pod (kserve-pod-hardening applies these to InferenceService components). */
export const podRules = [
  noPrivileged,
  noHostNamespaces,
  noHostPath,
  noHostPorts,
  noHostProcess,
  dropAllCapabilities,
  capabilitiesAddAllowlist,
  noPrivilegeEscalation,
  runAsNonRoot,
  runAsUserNonZero,
  highUid,
  openshiftNoFixedUid,
  seccompRequired,
  restrictedVolumeTypes,
  procMountDefault,
  safeSysctls,
  appArmorNotUnconfined,
  seLinuxRestricted,
  probeHostUnset,
  readOnlyRootFs,
  noDefaultServiceAccount,
  imageTagPinned,
  imageDigest,
  allowedRegistries,
  requestsSet,
  memoryLimit,
  cpuLimit,
  readinessProbe,
  livenessProbe,
  noSecretLiteralsInEnv,
  spread,
];

const HA_KINDS = ["Deployment", "StatefulSet", "DeploymentConfig", "Rollout"];
const PDB_KIND = "PodDisruptionBudget";

/** Minimum replicas an autoscaler keeps for a workload (HPA `minReplicas`, KEDA `minReplicaCount`), if one targets it. */
function autoscalerMinimum(workload: PolicyResource, kind: string, autoscalers: PolicyResource[]): unknown {
  const name = objectName(workload);
  for (const a of autoscalers) {
    const target = at(a.props, "spec.scaleTargetRef");
    const targetName = at(target, "name");
    const targetKind = at(target, "kind") ?? "Deployment";
    if (targetName !== name || targetKind !== kind) continue;
    const isKeda = kubernetesGvk(a.type)?.group === "keda.sh";
    const min = at(a.props, isKeda ? "spec.minReplicaCount" : "spec.minReplicas");
    return min === undefined ? (isKeda ? 0 : 1) : min;
  }
  return undefined;
}

/** Whether a PodDisruptionBudget lets no pod be evicted (maxUnavailable 0, or minAvailable covering every replica). */
function pdbBlocksDisruption(pdb: PolicyResource, replicas: number): boolean | "unknown" {
  const maxUnavailable = at(pdb.props, "spec.maxUnavailable");
  const minAvailable = at(pdb.props, "spec.minAvailable");
  if (isUnknown(maxUnavailable) || isUnknown(minAvailable)) return "unknown";
  if (maxUnavailable !== undefined)
    return maxUnavailable === 0 || maxUnavailable === "0" || maxUnavailable === "0%";
  if (minAvailable === undefined) return false;
  if (typeof minAvailable === "string" && minAvailable.endsWith("%"))
    return Number(minAvailable.slice(0, -1)) >= 100;
  const n = num(minAvailable);
  return n !== undefined && n >= replicas;
}

export const haReplicasPdb: StackRule = stackRule({
  name: "k8s-ha-replicas-pdb",
  description:
    "In prod, Deployments, StatefulSets, OpenShift DeploymentConfigs and Argo Rollouts run at least 2 replicas (or an autoscaler keeps 2) and a PodDisruptionBudget that allows disruption covers them.",
  severity: "medium",
  remediation:
    "Set `replicas: 2` or more (or an HPA with minReplicas ≥ 2) and add a PodDisruptionBudget with maxUnavailable: 1.",
  defaultLevel: "advisory",
  settings: ["environment"],
  onUnknown:
    "Replica counts, selectors and namespaces that are unknown are reported as not checked (a finding at the rule's level).",
  check(stack, ctx, report) {
    const workloads = stack.matching(
      (t) => isWorkloadType(t) && HA_KINDS.includes(kubernetesGvk(t)?.kind ?? ""),
    );
    if (workloads.length === 0) return;
    const pdbs = byNamespace(
      stack.matching((t) => kubernetesGvk(t)?.kind === PDB_KIND),
      stack,
    );
    const autoscalers = stack.matching((t) => {
      const kind = kubernetesGvk(t)?.kind;
      return kind === "HorizontalPodAutoscaler" || kind === "ScaledObject";
    });
    const scalersByNs = byNamespace(autoscalers, stack);
    for (const w of workloads) {
      if (ctx.environmentOf(w) !== "prod") continue;
      const kind = kubernetesGvk(w.type)?.kind ?? "";
      const ns = namespaceOf(w, stack);
      const scaled = autoscalerMinimum(w, kind, scalersByNs.get(ns) ?? []);
      const declared = replicasOf(w);
      const replicasValue = scaled !== undefined ? scaled : (declared ?? 1);
      if (isUnknown(replicasValue)) {
        report.unknown("spec.replicas", w);
        continue;
      }
      const replicas = num(replicasValue) ?? 1;
      if (replicas < 2) {
        report.violation(
          `${kind} ${objectName(w)} runs ${replicas} replica${replicas === 1 ? "" : "s"}${scaled !== undefined ? " (autoscaler minimum)" : ""}`,
          w,
        );
      }
      const labels = podSites(w).pods[0]?.labels;
      if (!labels) continue;
      if (ns === undefined) {
        report.unknown("metadata.namespace", w);
        continue;
      }
      let covering: PolicyResource | undefined;
      let unknown = false;
      for (const pdb of pdbs.get(ns) ?? []) {
        const match = selectorMatches(at(pdb.props, "spec.selector"), labels);
        if (match === "unknown") unknown = true;
        else if (match) covering = covering ?? pdb;
      }
      if (!covering) {
        if (unknown) report.unknown("PodDisruptionBudget selector", w);
        else report.violation(`${kind} ${objectName(w)} has no PodDisruptionBudget selecting its pods`, w);
        continue;
      }
      const blocks = pdbBlocksDisruption(covering, Math.max(replicas, 1));
      if (blocks === "unknown") report.unknown("PodDisruptionBudget limits", covering);
      else if (blocks) {
        report.violation(
          `PodDisruptionBudget ${objectName(covering)} allows no voluntary disruption of ${kind} ${objectName(w)} (node drains will hang)`,
          w,
        );
      }
    }
  },
});

export const noDefaultNamespace = resourceRule({
  name: "k8s-no-default-namespace",
  description: "Namespaced objects name their namespace, and it is not `default`.",
  severity: "medium",
  remediation: "Set `metadata.namespace` to the team or platform namespace (Helm releases: `namespace`).",
  defaultLevel: "mandatory",
  onUnknown: UNKNOWN_NOT_CHECKED,
  appliesTo: (type) => (isKubernetesObject(type) && isNamespaced(type)) || isHelmRelease(type),
  check(resource, _ctx, report) {
    const helm = isHelmRelease(resource.type);
    const path = helm ? "namespace" : "metadata.namespace";
    const ns = at(resource.props, path);
    const label = helm
      ? `Helm release ${resource.name}`
      : `${kubernetesGvk(resource.type)?.kind} ${objectName(resource)}`;
    if (isUnknown(ns) || (!helm && isUnknown(resource.props.metadata))) report.unknown(path);
    else if (ns === undefined || ns === "")
      report.violation(`${label} has no namespace (it lands in whatever namespace is current)`);
    else if (ns === "default") report.violation(`${label} is in the default namespace`);
  },
});

function isHelmRelease(type: string): boolean {
  return type.startsWith("kubernetes:helm.sh/") && (type.endsWith(":Release") || type.endsWith(":Chart"));
}

const isConfigMap = (type: string) => type === "kubernetes:core/v1:ConfigMap";

export const configMapNoSecrets = resourceRule({
  name: "k8s-configmap-no-secrets",
  description:
    "ConfigMaps hold no credentials: no key named like a password, token, secret, auth or key with a value, and under any key no value holding secret material (private keys, AWS / GCP keys, JWTs, GitHub / Slack tokens, passwords in URLs or connection strings, `password = …` lines). Findings name the key, never the value.",
  severity: "high",
  remediation: "Move the value to a Secret and reference it with secretKeyRef or a secret volume.",
  defaultLevel: "mandatory",
  onUnknown: UNKNOWN_NOT_CHECKED,
  appliesTo: isConfigMap,
  check(resource, _ctx, report) {
    for (const field of ["data", "binaryData"]) {
      const data = resource.props[field];
      if (isUnknown(data)) {
        report.unknown(field);
        continue;
      }
      for (const [key, value] of Object.entries(obj(data))) {
        if (isUnknown(value)) {
          report.unknown(`${field}.${key}`);
          continue;
        }
        const material = typeof value === "string" && field === "data" ? secretMaterial(value) : undefined;
        if (material) report.violation(`ConfigMap ${objectName(resource)} ${field}.${key} holds ${material}`);
        else if (isSecretName(key) && isLiteralSecretValue(value)) {
          report.violation(
            `ConfigMap ${objectName(resource)} ${field}.${key} is named like a credential and holds a value`,
          );
        }
      }
    }
  },
});

/** Workload rules evaluated per resource. */
export const kubernetesWorkloadRules: ResourceRule[] = [
  ...podRules,
  noBarePods,
  noDefaultNamespace,
  configMapNoSecrets,
];
/** Workload rules that relate several resources. */
export const kubernetesWorkloadStackRules: StackRule[] = [noAutomountSaToken, haReplicasPdb];
