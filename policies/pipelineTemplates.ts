/**
 * Pod templates that reach the cluster as text: a Prefect Kubernetes work pool's base job template.
 * The Prefect worker (prefect-kubernetes `KubernetesWorkerJobConfiguration`) turns it into one Job
 * per flow run, so its `job_configuration.job_manifest` is a Job every pipeline run becomes — but
 * it is JSON inside a Secret or ConfigMap (mlstack's Orchestrator mounts it into the worker, which
 * registers it with `prefect work-pool create --base-job-template`), where the workload rules do
 * not look. The shape is prefect-kubernetes' (`job_configuration` with `{{ placeholders }}` filled
 * from `variables`; prefect-kubernetes `worker.py`, `KubernetesWorkerJobConfiguration`, and the
 * default template it ships, at prefect-kubernetes 0.6 / Prefect 3).
 *
 * A placeholder in a field that decides isolation lets any deployment of the pool choose it: the
 * service account (and so the cloud identity and grants), the namespace, the security contexts,
 * volumes and host namespaces must be written into the template, not left to `{{ … }}`.
 */
import { byNamespace, objectName } from "./kubernetesObjects";
import { brokenHardeningRules, KSERVE_HARDENING_RULES } from "./platformResources";
import { kubernetesGvk, podSites } from "./podSpecs";
import type { PolicyResource, Reporter, RuleContext, StackRule } from "./rule";
import { stackRule } from "./rule";
import { at, isObject, isUnknown, jsonDocument, obj } from "./values";

/**
 * The workload rules a flow-run pod must meet: the mandatory set kserve-pod-hardening applies,
 * except image pinning — the pool's image is a `{{ image }}` a deployment chooses by design (its
 * default is in `variables`), which k8s-allowed-registries cannot see either.
 */
export const JOB_TEMPLATE_RULES = KSERVE_HARDENING_RULES.filter((r) => r.name !== "k8s-image-tag-pinned");

/** Pod-level fields a deployment must not be able to set through a placeholder. */
const POD_FIXED_FIELDS = [
  "serviceAccountName",
  "serviceAccount",
  "automountServiceAccountToken",
  "securityContext",
  "volumes",
  "hostNetwork",
  "hostPID",
  "hostIPC",
];
const CONTAINER_FIXED_FIELDS = ["securityContext", "volumeMounts"];

/** A key under which an unknown value may be a job template (only those are reported unknown). */
const TEMPLATE_KEY = /job[-_.]?template/i;

const SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount";
const TEXT_TYPES = ["kubernetes:core/v1:Secret", "kubernetes:core/v1:ConfigMap"];

const isPlaceholder = (v: unknown) => typeof v === "string" && /\{\{.*\}\}/.test(v);

/** Whether a parsed document is a Prefect base job template. */
function isJobTemplate(doc: unknown): boolean {
  return isObject(doc) && isObject(doc.job_configuration) && "job_manifest" in doc.job_configuration;
}

/** The text values of a Secret (`stringData`, base64 `data`) or ConfigMap (`data`), by path. */
function textValues(resource: PolicyResource): Array<{ path: string; value: unknown }> {
  const secret = kubernetesGvk(resource.type)?.kind === "Secret";
  const out: Array<{ path: string; value: unknown }> = [];
  for (const field of secret ? ["stringData", "data"] : ["data"]) {
    for (const [key, value] of Object.entries(obj(resource.props[field]))) {
      const decoded =
        secret && field === "data" && typeof value === "string" && !isUnknown(value)
          ? Buffer.from(value, "base64").toString("utf8")
          : value;
      out.push({ path: `${field}.${key}`, value: decoded });
    }
  }
  return out;
}

/** ServiceAccounts of the input by namespace, for the template's identity. */
type Accounts = Map<string | undefined, PolicyResource[]>;

function checkTemplate(
  resource: PolicyResource,
  where: string,
  template: Record<string, unknown>,
  accounts: Accounts,
  ctx: RuleContext,
  report: Reporter,
): void {
  const label = `${kubernetesGvk(resource.type)?.kind} ${objectName(resource)} ${where}: Prefect job template`;
  const manifest = at(template, "job_configuration.job_manifest");
  if (isUnknown(manifest)) return report.unknown(`${where} job_configuration.job_manifest`);
  const job: PolicyResource = { ...resource, type: "kubernetes:batch/v1:Job", props: obj(manifest) };
  const sites = podSites(job);
  for (const u of sites.unknownAt) report.unknown(`${where} job_manifest.${u}`);
  if (sites.pods.length === 0 && sites.unknownAt.length === 0)
    return report.violation(`${label} has no pod template (job_manifest.spec.template.spec)`);

  const namespaces = [at(template, "job_configuration.namespace"), at(manifest, "metadata.namespace")];
  for (const ns of namespaces)
    if (isPlaceholder(ns))
      report.violation(`${label} lets a deployment choose the namespace (${String(ns)})`);
  const namespace = namespaces.find((ns) => typeof ns === "string" && ns !== "");
  for (const pod of sites.pods) {
    checkAccountExists(
      pod.spec.serviceAccountName ?? pod.spec.serviceAccount,
      namespace,
      accounts,
      label,
      report,
    );
    for (const field of POD_FIXED_FIELDS)
      if (isPlaceholder(pod.spec[field]))
        report.violation(`${label} lets a deployment set ${pod.path}.${field} (${String(pod.spec[field])})`);
    for (const c of pod.containers)
      for (const field of CONTAINER_FIXED_FIELDS)
        if (isPlaceholder(c.spec[field]))
          report.violation(`${label} lets a deployment set ${c.path}.${field} (${String(c.spec[field])})`);
  }
  const inner: Reporter = {
    violation: () => undefined,
    unknown: (what) => report.unknown(`${where} job_manifest.${what}`),
  };
  const broken = brokenHardeningRules(job, ctx, inner, JOB_TEMPLATE_RULES);
  if (broken.length > 0)
    report.violation(`${label} breaks the mandatory workload rules ${broken.join(", ")}`);
}

/**
 * The flow runs' ServiceAccount is one the input creates in the runs' namespace: the pipeline's own
 * identity, with its own grants — not one nobody declared (the default-account case is
 * k8s-no-default-service-account's, in the roll-up).
 */
function checkAccountExists(
  name: unknown,
  namespace: unknown,
  accounts: Accounts,
  label: string,
  report: Reporter,
): void {
  if (typeof name !== "string" || name === "" || name === "default" || isPlaceholder(name)) return;
  if (typeof namespace !== "string" || isPlaceholder(namespace)) return;
  const inNamespace = accounts.get(namespace) ?? [];
  if (inNamespace.some((a) => objectName(a) === name)) return;
  if (inNamespace.some((a) => isUnknown(at(a.props, "metadata.name"))))
    return report.unknown(`ServiceAccount ${name} in ${namespace}`);
  report.violation(`${label} runs flow runs as ServiceAccount ${name}, which is not created in ${namespace}`);
}

export const prefectJobTemplateRestricted: StackRule = stackRule({
  name: "prefect-job-template-restricted",
  description: `A Prefect work pool's base job template (JSON in a Secret or ConfigMap, recognised by its job_configuration.job_manifest) renders restricted flow-run pods: the Job's pod meets ${JOB_TEMPLATE_RULES.map((r) => r.name).join(", ")} (the image is the deployment's choice), and the service account, namespace, security contexts, volumes and host namespaces are written into the template, not left to a {{ placeholder }} a deployment fills — and the service account it names is one the stack creates in that namespace — so every run executes under the pipeline's own identity in its team's namespace.`,
  severity: "high",
  remediation:
    "Write serviceAccountName (the pipeline's run ServiceAccount), the namespace, a restricted pod and container securityContext (runAsNonRoot, allowPrivilegeEscalation: false, capabilities drop ALL, seccompProfile RuntimeDefault), resources and volumes (no hostPath) into job_manifest; keep only image, command, env and labels as variables.",
  defaultLevel: "mandatory",
  settings: ["target"],
  onUnknown:
    "A value unknown at preview under a key named like a job template (`*job-template*`) is reported as not checked (a finding at the rule's level); unknown values under other keys, or a data map unknown as a whole, cannot be told apart from any other Secret and are not judged; fields unknown inside a template, and ServiceAccounts whose name is unknown in the runs' namespace, are reported as not checked.",
  check(stack, ctx, stackReport) {
    const accounts = byNamespace(stack.ofType(SERVICE_ACCOUNT), stack);
    for (const resource of stack.ofType(...TEXT_TYPES)) {
      const report: Reporter = {
        violation: (message) => stackReport.violation(message, resource),
        unknown: (what) => stackReport.unknown(what, resource),
      };
      for (const { path, value } of textValues(resource)) {
        const key = path.slice(path.indexOf(".") + 1);
        const doc =
          typeof value === "string" && value.trimStart().startsWith("{") ? jsonDocument(value) : value;
        if (isUnknown(value) || isUnknown(doc)) {
          if (TEMPLATE_KEY.test(key)) report.unknown(path);
          continue;
        }
        if (!isJobTemplate(doc)) continue;
        checkTemplate(resource, path, doc as Record<string, unknown>, accounts, ctx, report);
      }
    }
  },
});

export const pipelineTemplateStackRules: StackRule[] = [prefectJobTemplateRestricted];
