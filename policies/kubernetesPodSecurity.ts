/**
 * Pod Security Standards (restricted) and the OpenShift restricted-v2 SCC, per pod spec: privilege,
 * host namespaces and paths, capabilities, users and groups, seccomp, volume types, /proc, sysctls,
 * AppArmor, SELinux, probe hosts and the read-only root filesystem.
 *
 * Unknown values: a field whose value is unknown during preview is reported as *not checked* (a
 * finding at the rule's level), never passed; the engine validates again at `pulumi up`.
 */
import { effectiveSecurityField } from "./podSpecs";
import { arr, at, isObject, isUnknown, num, obj, str, strings } from "./values";
import type { PodPart } from "./workloadRule";
import {
  eachContainer,
  eachVolume,
  flagPart,
  podAndContainers,
  podFieldRule,
  podLabel,
  podPart,
  workloadRule,
} from "./workloadRule";

export const noPrivileged = podFieldRule(
  {
    name: "k8s-no-privileged",
    description: "Containers must not run privileged.",
    severity: "critical",
    remediation: "Remove `securityContext.privileged: true` (or set it to false) on every container.",
    defaultLevel: "mandatory",
  },
  "securityContext.privileged",
  (v) => v === true,
  () => "runs privileged",
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
    for (const field of ["hostNetwork", "hostPID", "hostIPC"])
      flagPart(
        podPart(pod),
        report,
        field,
        (v) => v === true,
        () => `sets ${field}: true`,
      );
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
  (pod, _ctx, report) =>
    eachVolume(pod, report, (v, where, label) => {
      if (isObject(v) && v.hostPath !== undefined) report.violation(`${label} (${where}) is a hostPath`);
    }),
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

export const noHostProcess = podFieldRule(
  {
    name: "k8s-no-host-process",
    description: "Windows pods must not run as HostProcess containers.",
    severity: "critical",
    remediation: "Remove `securityContext.windowsOptions.hostProcess: true` from the pod and its containers.",
    defaultLevel: "mandatory",
  },
  "securityContext.windowsOptions.hostProcess",
  (v) => v === true,
  () => "runs as a Windows HostProcess",
  podAndContainers,
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

export const noPrivilegeEscalation = podFieldRule(
  {
    name: "k8s-no-privilege-escalation",
    description: "Containers must set allowPrivilegeEscalation: false.",
    severity: "high",
    remediation: "Set `securityContext.allowPrivilegeEscalation: false` on every container.",
    defaultLevel: "mandatory",
  },
  "securityContext.allowPrivilegeEscalation",
  (v) => v !== false,
  () => "does not set allowPrivilegeEscalation: false",
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

export const runAsUserNonZero = podFieldRule(
  {
    name: "k8s-run-as-user-nonzero",
    description: "Pods and containers must not set runAsUser: 0.",
    severity: "high",
    remediation: "Remove `runAsUser: 0`; run as a non-root UID.",
    defaultLevel: "mandatory",
  },
  "securityContext.runAsUser",
  (v) => v !== undefined && num(v) === 0,
  () => "sets runAsUser: 0",
  podAndContainers,
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
    const flagFixed = (part: PodPart, field: string) =>
      flagPart(
        part,
        report,
        `securityContext.${field}`,
        (v) => v !== undefined,
        (v) => `fixes ${field} (${String(v)})`,
      );
    for (const field of ["runAsUser", "fsGroup", "seLinuxOptions.level"]) flagFixed(podPart(pod), field);
    for (const field of ["runAsUser", "seLinuxOptions.level"]) {
      for (const c of pod.containers) flagFixed(c, field);
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
  (pod, _ctx, report) =>
    eachVolume(pod, report, (v, where, label) => {
      const kinds = Object.keys(obj(v)).filter((k) => k !== "name");
      const bad = kinds.filter((k) => !RESTRICTED_VOLUME_TYPES.includes(k));
      if (bad.length > 0) report.violation(`${label} (${where}) is of type ${bad.join(", ")}`);
    }),
);

export const procMountDefault = podFieldRule(
  {
    name: "k8s-proc-mount-default",
    description: "Containers keep the default /proc mount (procMount: Default).",
    severity: "high",
    remediation: "Remove `securityContext.procMount` or set it to Default.",
    defaultLevel: "mandatory",
  },
  "securityContext.procMount",
  (v) => v !== undefined && v !== "Default",
  (v) => `sets procMount: ${String(v)}`,
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
        report.violation(`${podLabel(pod)} (${pod.path}) sets unsafe sysctl ${name}`);
      }
    }
  },
);

const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";
const APPARMOR_TYPE = "securityContext.appArmorProfile.type";

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
    const flagUnconfined = (part: PodPart, what?: string) =>
      flagPart(
        part,
        report,
        APPARMOR_TYPE,
        (v) => v === "Unconfined",
        () => "runs AppArmor-unconfined",
        what,
      );
    flagUnconfined(podPart(pod), `${pod.path}.securityContext.appArmorProfile`);
    for (const c of pod.containers) flagUnconfined(c);
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
    for (const part of podAndContainers(pod)) {
      const path = "securityContext.seLinuxOptions";
      check(at(part.spec, path), `${part.path}.${path}`, part.label);
    }
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

export const readOnlyRootFs = podFieldRule(
  {
    name: "k8s-read-only-root-fs",
    description: "Containers mount their root filesystem read-only.",
    severity: "medium",
    remediation:
      "Set `securityContext.readOnlyRootFilesystem: true`; mount an emptyDir where the program writes (/tmp).",
    defaultLevel: "advisory",
  },
  "securityContext.readOnlyRootFilesystem",
  (v) => v !== true,
  () => "has a writable root filesystem",
);
