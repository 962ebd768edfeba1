/**
 * KServe, for models served as InferenceServices. Installed only when a model asks for it.
 *
 * kubernetes: the two upstream charts, `oci://ghcr.io/kserve/charts/kserve-crd` (CRDs, installed
 * first) and `oci://ghcr.io/kserve/charts/kserve` (controller, webhooks, runtimes), pinned to
 * `operators.kserve.version`. The controller runs in *raw deployment* mode (`Standard` since KServe
 * 0.16, `RawDeployment` before): an InferenceService becomes a plain Deployment, Service and HPA,
 * so neither Knative nor Istio is needed, pods keep the restricted security context the serving
 * component gives them, and nothing scales to zero behind a cold start. KServe's own Ingress
 * creation is off: exposure stays with the platform (internal by default, TLS-only Ingress or
 * Route when configured). InferenceService pods get no API token (`autoMountServiceAccountToken:
 * false`), the injected storage-initializer drops every capability, and the LocalModel node agent
 * (a hostPath DaemonSet) stays disabled. The chart issues its webhook certificate through
 * cert-manager, which must be installed on the cluster (the same cert-manager that signs Ingress
 * certificates).
 *
 * openshift: KServe is part of Red Hat OpenShift AI. The `rhods-operator` package is subscribed in
 * its own `redhat-ods-operator` namespace (where Red Hat supports it), with the operator's default
 * initialisation switched off (`DISABLE_DSC_CONFIG`) so that the platform owns the two cluster
 * singletons: a DSCInitialization without Service Mesh, and a DataScienceCluster with KServe
 * `Managed` in `RawDeployment` mode, its Knative serving `Removed`, and every other OpenShift AI
 * component `Removed` unless `mlstack:operators.openshiftAi` turns it on (see
 * `RHOAI_OTHER_COMPONENTS`). A cluster that already runs OpenShift AI has both singletons: there,
 * set `mlstack:operators.install` to false.
 * The DataScienceCluster / DSCInitialization are `v1`, the API of OpenShift AI 2.x: the Subscription
 * follows channel `stable-2.25` from `rhods-operator.2.25.9` (version table), not the bare `stable`
 * channel, which now tracks 3.x.
 */
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";
import type { OlmPackage } from "./olm";
import { OPENSHIFT_MARKETPLACE } from "./olm";

export const KSERVE_CRD_CHART = "oci://ghcr.io/kserve/charts/kserve-crd";
export const KSERVE_CHART = "oci://ghcr.io/kserve/charts/kserve";
export const KSERVE_CRD_RELEASE = "kserve-crd";
export const KSERVE_RELEASE = "kserve";

/** Labels of the KServe controller's pods (upstream chart and OpenShift AI alike). */
export const KSERVE_CONTROLLER_POD_LABELS = { "control-plane": "kserve-controller-manager" };
export const KSERVE_WEBHOOK_PORT = 9443;

export const KSERVE_CONTROLLER_RESOURCES = {
  requests: { cpu: "100m", memory: "300Mi" },
  limits: { cpu: "500m", memory: "512Mi" },
};

/** Raw deployment mode's name for a KServe version: renamed from `RawDeployment` to `Standard` in 0.16. */
export function kserveRawDeploymentMode(version: string): "Standard" | "RawDeployment" {
  const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
  return major > 0 || minor >= 16 ? "Standard" : "RawDeployment";
}

export function kserveChartValues(opts: { version: string }): Record<string, unknown> {
  const container = containerSecurityContext("kubernetes");
  return {
    kserve: {
      controller: {
        deploymentMode: kserveRawDeploymentMode(opts.version),
        gateway: { disableIngressCreation: true, disableIstioVirtualHost: true },
        securityContext: podSecurityContext("kubernetes"),
        containerSecurityContext: container,
        rbacProxy: { securityContext: container },
        resources: KSERVE_CONTROLLER_RESOURCES,
      },
      security: { autoMountServiceAccountToken: false },
      localmodel: { enabled: false },
      storage: {
        containerSecurityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          privileged: false,
          runAsNonRoot: true,
          seccompProfile: { type: "RuntimeDefault" },
        },
      },
    },
  };
}

/** Red Hat OpenShift AI, the supported KServe on OpenShift. */
export const RHOAI_OLM_PACKAGE: OlmPackage = {
  name: "rhods-operator",
  source: "redhat-operators",
  sourceNamespace: OPENSHIFT_MARKETPLACE,
};
export const RHOAI_OPERATOR_NAMESPACE = "redhat-ods-operator";
export const RHOAI_APPLICATIONS_NAMESPACE = "redhat-ods-applications";
export const RHOAI_MONITORING_NAMESPACE = "redhat-ods-monitoring";
/** The operator serves admission webhooks for its own resources. */
export const RHOAI_WEBHOOK_PORT = 9443;

/** The platform, not the operator, creates the DSCInitialization. */
export const RHOAI_OPERATOR_ENV = [{ name: "DISABLE_DSC_CONFIG", value: "true" }];

export function dscInitializationSpec(): Record<string, unknown> {
  return {
    applicationsNamespace: RHOAI_APPLICATIONS_NAMESPACE,
    monitoring: { managementState: "Managed", namespace: RHOAI_MONITORING_NAMESPACE },
    // Raw deployment mode needs no Service Mesh; leaving it Managed would require the mesh operator.
    serviceMesh: { managementState: "Removed" },
    trustedCABundle: { managementState: "Managed", customCABundle: "" },
  };
}

/**
 * OpenShift AI components besides KServe, as named in the DataScienceCluster v1 API
 * (opendatahub-io/opendatahub-operator `api/datasciencecluster/v1/datasciencecluster_types.go`,
 * `Components`). Each is `Removed` unless `mlstack:operators.openshiftAi.<name>` says `Managed`.
 * Why `Removed` by default: the platform asked OpenShift AI for model serving only, and every one
 * of them is a controller, webhooks and pods with their own RBAC and upgrade cadence. Workbenches
 * and the dashboard give data scientists notebooks and a UI over the same projects (turn them on
 * where the team wants them; they do not change how mlstack serves); data science pipelines and
 * ModelMesh would run beside the platform's own orchestrator and KServe raw deployments. The v1
 * API lists components (model registry, Feast, Llama Stack) that an unset entry leaves to the
 * operator's defaults, so every one is written out.
 */
export const RHOAI_OTHER_COMPONENTS = [
  "codeflare",
  "dashboard",
  "datasciencepipelines",
  "feastoperator",
  "kueue",
  "llamastackoperator",
  "modelmeshserving",
  "modelregistry",
  "ray",
  "trainingoperator",
  "trustyai",
  "workbenches",
];

/** The management states a component may be given (the API's `Unmanaged` leaves it to hand edits, which the platform does not). */
export const RHOAI_MANAGEMENT_STATES = ["Managed", "Removed"];

/** DataScienceCluster spec: KServe managed in raw deployment mode, the rest as `components` says (default `Removed`). */
export function dataScienceClusterSpec(components: Record<string, string> = {}): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    kserve: {
      managementState: "Managed",
      defaultDeploymentMode: "RawDeployment",
      serving: { managementState: "Removed", name: "knative-serving" },
    },
  };
  for (const component of RHOAI_OTHER_COMPONENTS)
    spec[component] = { managementState: components[component] ?? "Removed" };
  return { components: spec };
}
