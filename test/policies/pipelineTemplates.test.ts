/**
 * prefect-job-template-restricted: the work pool's base job template exactly as the Orchestrator
 * renders it (components/orchestrator/baseJobTemplate.ts) passes, in a Secret (stringData or base64
 * data) or a ConfigMap, on Kubernetes and OpenShift; each way a template can loosen a flow-run pod
 * is refused — offline and, through `check()`, under the CrossGuard handler.
 */
import { baseJobTemplate, BaseJobTemplateArgs } from "../../components/orchestrator/baseJobTemplate";
import { check, kube, messages, UNKNOWN } from "./helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RULE = "prefect-job-template-restricted";
const KEY = "base-job-template.json";

function template(flavor: BaseJobTemplateArgs["flavor"] = "kubernetes"): Json {
  return baseJobTemplate({
    flavor,
    namespace: "ml-prod-fraud",
    serviceAccountName: "nightly-retrain-run",
    labels: { "app.kubernetes.io/name": "nightly-retrain-run", "app.kubernetes.io/part-of": "mlstack" },
    defaultImage: "docker.io/prefecthq/prefect:3.9.1-python3.12",
    resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } },
    env: [
      { name: "BUCKET_NAME", value: "fraud-models" },
      { name: "PREFECT_API_AUTH_STRING", valueFrom: { secretKeyRef: { name: "nightly-auth", key: "auth" } } },
    ],
    volumes: [],
    volumeMounts: [],
    mountServiceAccountToken: false,
  }) as Json;
}

/** The pipeline's run ServiceAccount, which the stack creates in the team namespace. */
const ACCOUNT = kube("v1", "ServiceAccount", "nightly-retrain-run");

const pod = (t: Json): Json => t.job_configuration.job_manifest.spec.template.spec;
const secret = (t: unknown, key = KEY) =>
  kube("v1", "Secret", "nightly-retrain-worker-config", {
    type: "Opaque",
    stringData: { [key]: typeof t === "string" ? t : JSON.stringify(t), "prefect.toml": "[api]\n" },
  });

describe("the secure path", () => {
  it.each(["kubernetes", "openshift"] as const)("passes the Orchestrator's own template (%s)", (flavor) => {
    expect(check([secret(template(flavor)), ACCOUNT], RULE, { target: flavor })).toEqual({
      violations: [],
      deferred: [],
    });
  });
  it("reads base64 Secret data and ConfigMap data too", () => {
    const t = template();
    t.job_configuration.job_manifest.spec.template.spec.hostNetwork = true;
    const data = { [KEY]: Buffer.from(JSON.stringify(t)).toString("base64") };
    expect(messages([kube("v1", "Secret", "s", { data }), ACCOUNT], RULE)).toEqual([
      expect.stringContaining("k8s-no-host-namespaces"),
    ]);
    const cm = kube("v1", "ConfigMap", "c", { data: { [KEY]: JSON.stringify(t) } });
    expect(messages([cm, ACCOUNT], RULE)).toEqual([
      "ConfigMap c data.base-job-template.json: Prefect job template breaks the mandatory workload rules k8s-no-host-namespaces",
    ]);
  });
  it("ignores Secrets and ConfigMaps that hold no job template", () => {
    const other = kube("v1", "Secret", "s", {
      stringData: { "config.json": '{"job_configuration": 1}', other: "x" },
    });
    expect(messages([other], RULE)).toEqual([]);
  });
});

describe("prefect-job-template-restricted refuses", () => {
  const label =
    "Secret nightly-retrain-worker-config stringData.base-job-template.json: Prefect job template";
  it("a service account left to the deployment (Prefect's default template does this)", () => {
    const t = template();
    pod(t).serviceAccountName = "{{ service_account_name }}";
    expect(messages([secret(t), ACCOUNT], RULE)).toEqual([
      `${label} lets a deployment set spec.template.spec.serviceAccountName ({{ service_account_name }})`,
    ]);
  });
  it("the namespace's default service account", () => {
    const t = template();
    delete pod(t).serviceAccountName;
    expect(messages([secret(t), ACCOUNT], RULE)).toEqual([
      `${label} breaks the mandatory workload rules k8s-no-default-service-account`,
    ]);
  });
  it("a namespace left to the deployment", () => {
    const t = template();
    t.job_configuration.namespace = "{{ namespace }}";
    expect(messages([secret(t), ACCOUNT], RULE)).toEqual([
      `${label} lets a deployment choose the namespace ({{ namespace }})`,
    ]);
  });
  it("security contexts left to the deployment, or missing", () => {
    const t = template();
    pod(t).securityContext = "{{ pod_security_context }}";
    pod(t).containers[0].securityContext = "{{ security_context }}";
    expect(messages([secret(t), ACCOUNT], RULE)).toEqual([
      `${label} lets a deployment set spec.template.spec.securityContext ({{ pod_security_context }})`,
      `${label} lets a deployment set spec.template.spec.containers[0].securityContext ({{ security_context }})`,
      `${label} breaks the mandatory workload rules k8s-drop-all-capabilities, k8s-no-privilege-escalation, k8s-run-as-non-root, k8s-seccomp-required`,
    ]);
  });
  it("root, privilege escalation, kept capabilities and no seccomp, each named", () => {
    const t = template();
    const c = pod(t).containers[0].securityContext;
    c.allowPrivilegeEscalation = true;
    c.capabilities = { drop: [] };
    delete c.seccompProfile;
    delete pod(t).securityContext.seccompProfile;
    delete pod(t).securityContext.runAsNonRoot;
    delete c.runAsNonRoot;
    expect(messages([secret(t), ACCOUNT], RULE)).toEqual([
      `${label} breaks the mandatory workload rules k8s-drop-all-capabilities, k8s-no-privilege-escalation, k8s-run-as-non-root, k8s-seccomp-required`,
    ]);
  });
  it("a hostPath volume", () => {
    const t = template();
    pod(t).volumes.push({ name: "docker", hostPath: { path: "/var/run/docker.sock" } });
    expect(messages([secret(t), ACCOUNT], RULE)).toEqual([
      `${label} breaks the mandatory workload rules k8s-no-hostpath, k8s-restricted-volume-types`,
    ]);
  });
  it("a template without a pod", () => {
    const t = template();
    t.job_configuration.job_manifest = { apiVersion: "batch/v1", kind: "Job", spec: {} };
    expect(messages([secret(t), ACCOUNT], RULE)).toEqual([
      `${label} has no pod template (job_manifest.spec.template.spec)`,
    ]);
  });
  it("a ServiceAccount the stack does not create in the runs' namespace", () => {
    expect(messages([secret(template())], RULE)).toEqual([
      `${label} runs flow runs as ServiceAccount nightly-retrain-run, which is not created in ml-prod-fraud`,
    ]);
    const elsewhere = kube("v1", "ServiceAccount", "nightly-retrain-run", {}, { namespace: "ml-prod-other" });
    expect(messages([secret(template()), elsewhere], RULE)).toEqual([
      `${label} runs flow runs as ServiceAccount nightly-retrain-run, which is not created in ml-prod-fraud`,
    ]);
    const unnamed = kube("v1", "ServiceAccount", "sa", {}, { name: UNKNOWN });
    expect(check([secret(template()), unnamed], RULE).violations).toEqual([
      expect.objectContaining({
        notChecked: true,
        message: expect.stringContaining("ServiceAccount nightly-retrain-run"),
      }),
    ]);
  });
  it("reports a template unknown at preview as not checked, under a key named like one", () => {
    expect(check([secret(UNKNOWN), ACCOUNT], RULE).violations).toEqual([
      expect.objectContaining({
        notChecked: true,
        message: expect.stringContaining("stringData.base-job-template.json"),
      }),
    ]);
    expect(check([secret(UNKNOWN, "settings.json"), ACCOUNT], RULE).violations).toEqual([]);
  });
});
