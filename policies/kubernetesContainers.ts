/**
 * Container hygiene rules (Polaris / kube-score), per container of every pod spec: images pinned
 * and from allowed registries, CPU and memory requests and limits, probes, and no credential
 * passed as a literal in env, command or arguments.
 *
 * Unknown values: a field whose value is unknown during preview is reported as *not checked* (a
 * finding at the rule's level), never passed; the engine validates again at `pulumi up`.
 */
import { ContainerView, PodView } from "./podSpecs";
import { isLiteralSecretValue, isSecretName, secretFlag, secretMaterial } from "./secretValues";
import type { Reporter } from "./rule";
import { eachItem } from "./fieldChecks";
import { arr, at, isObject, isUnknown, memoized, REDACTED_SECRET, str } from "./values";
import { eachContainer, notEphemeral, workloadRule } from "./workloadRule";

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

/** An image reference, parsed once (three image rules read every container's image). */
export const parseImage = memoized(parseImageReference);

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
  const checkEnvVar = (e: unknown, where: string, i: number): void => {
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
  };
  eachItem(c.spec, "env", report, checkEnvVar, `${c.path}.env`);
}

function checkCommandLine(
  c: ContainerView,
  field: string,
  secretPaths: ReadonlySet<string>,
  report: Reporter,
): void {
  const flagged = new Set<number>();
  const checkArgument = (a: unknown, where: string, i: number): void => {
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
  };
  eachItem(c.spec, field, report, checkArgument, `${c.path}.${field}`);
  // An unknown list was reported above; it holds no flag to read.
  const flag = secretFlag(arr(c.spec[field]).map((a) => (typeof a === "string" ? a : "")));
  if (flag && !flagged.has(flag.index) && !flagged.has(flag.index + 1))
    report.violation(
      `${c.label} passes a credential on the command line with ${flag.flag} (${c.path}.${field}[${flag.index}])`,
    );
}
