/**
 * PlatformOperators' argument checks, pure so the pre-flight step runs them before anything
 * registers (the constructor runs them again for library users).
 */
import { refusal } from "../argumentProblem";
import { CIDR_RULE, isCidr } from "../kube/cidr";
import { DNS_LABEL, DNS_LABEL_RULE } from "../kube/names";
import { validateTeamNamespaceArgs } from "../namespace/TeamNamespace";
import { RHOAI_MANAGEMENT_STATES, RHOAI_OPERATOR_NAMESPACE, RHOAI_OTHER_COMPONENTS } from "./kserve";
import { operatorsNamespaceArgs } from "./operatorsNamespace";
import type { PlatformOperatorsArgs } from "./PlatformOperators";

const CHART_VERSION = /^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/;
const OLM_CHANNEL = /^[a-z0-9][-a-z0-9.]*$/;
const OLM_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const CSV_NAME = /^[a-z0-9]([-a-z0-9.+]*[a-z0-9])?$/;

/** Throws on the first bad argument, before anything is registered. */
export function validatePlatformOperatorsArgs(name: string, args: PlatformOperatorsArgs): void {
  const fail = refusal(`PlatformOperators ${name}`);
  const { ctx, operators } = args;
  if (!operators.install) {
    fail(
      "operators.install",
      operators.install,
      "says the operators are already on the cluster; the stack must not create PlatformOperators then",
    );
  }
  if (!args.strimzi && !args.cloudnativePg && !args.kserve) {
    fail("strimzi/cloudnativePg/kserve", false, "are all false: there is nothing to install");
  }

  const seen = new Set<string>();
  args.watchNamespaces.forEach((ns, i) => {
    if (!DNS_LABEL.test(ns)) fail(`watchNamespaces[${i}]`, ns, `is not ${DNS_LABEL_RULE}`);
    if (seen.has(ns)) fail(`watchNamespaces[${i}]`, ns, "is listed twice");
    seen.add(ns);
  });
  const openshift = ctx.flavor === "openshift";
  if (!openshift && (args.strimzi || args.cloudnativePg) && args.watchNamespaces.length === 0) {
    fail(
      "watchNamespaces",
      args.watchNamespaces,
      "is empty: Strimzi and CloudNativePG must watch the namespace holding Kafka and Postgres",
    );
  }

  const createsNamespace = !openshift || args.kserve;
  if (createsNamespace) {
    if (args.apiServerCidrs.length === 0) {
      fail(
        "apiServerCidrs",
        args.apiServerCidrs,
        "is empty: operators cannot reach the API server (use 0.0.0.0/0 if unknown)",
      );
    }
    args.apiServerCidrs.forEach((cidr, i) => {
      if (!isCidr(cidr)) fail(`apiServerCidrs[${i}]`, cidr, `is not ${CIDR_RULE}`);
    });
    const namespace = openshift ? RHOAI_OPERATOR_NAMESPACE : operators.namespace;
    validateTeamNamespaceArgs(`${name}-ns`, operatorsNamespaceArgs(args, namespace));
  }

  const enabled = (["strimzi", "cloudnativePg", "kserve"] as const).filter((key) => args[key]);
  for (const [component, state] of Object.entries(operators.openshiftAi ?? {})) {
    if (!RHOAI_OTHER_COMPONENTS.includes(component)) {
      fail(
        `operators.openshiftAi.${component}`,
        state,
        `is not an OpenShift AI component of the DataScienceCluster v1 API besides kserve (${RHOAI_OTHER_COMPONENTS.join(", ")})`,
      );
    }
    if (!RHOAI_MANAGEMENT_STATES.includes(state)) {
      fail(
        `operators.openshiftAi.${component}`,
        state,
        `is not one of ${RHOAI_MANAGEMENT_STATES.join(", ")}`,
      );
    }
  }
  if (openshift && args.keda) {
    fail(
      "keda",
      true,
      "asks mlstack to install KEDA on OpenShift: install the Custom Metrics Autoscaler from OperatorHub instead (mlstack installs KEDA on kubernetes only)",
    );
  }
  if (openshift && args.certManager) {
    fail(
      "certManager",
      true,
      "asks mlstack to install cert-manager on OpenShift: install the cert-manager Operator for Red Hat OpenShift from OperatorHub instead (mlstack installs cert-manager on kubernetes only)",
    );
  }
  if (args.keda) {
    const kedaNs = args.keda.namespace;
    if (!DNS_LABEL.test(kedaNs)) fail("keda.namespace", kedaNs, `is not ${DNS_LABEL_RULE}`);
    if (kedaNs === operators.namespace || args.watchNamespaces.includes(kedaNs)) {
      fail(
        "keda.namespace",
        kedaNs,
        "is the operators namespace or a watched namespace; KEDA gets a namespace of its own (set mlstack:network.kedaNamespace)",
      );
    }
    validateTeamNamespaceArgs(`${name}-keda-ns`, operatorsNamespaceArgs(args, kedaNs));
    args.keda.kafkaPorts.forEach((port, i) => {
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        fail(`keda.kafkaPorts[${i}]`, port, "is not a TCP port (1-65535)");
    });
  }
  if (openshift) {
    for (const key of enabled) {
      const channel = operators[key].channel;
      if (!OLM_CHANNEL.test(channel))
        fail(`operators.${key}.channel`, channel, "is not an OLM channel name such as stable");
      const override = args.olm?.[key];
      for (const field of ["name", "source", "sourceNamespace"] as const) {
        const value = override?.[field];
        if (value !== undefined && !OLM_NAME.test(value))
          fail(`olm.${key}.${field}`, value, "is not a catalog name");
      }
      const csv = override?.startingCSV;
      if (csv !== undefined && !CSV_NAME.test(csv)) {
        fail(
          `olm.${key}.startingCSV`,
          csv,
          "is not a ClusterServiceVersion name such as strimzi-cluster-operator.v1.2.0",
        );
      }
    }
  } else {
    for (const key of enabled) {
      const version = operators[key].version;
      if (!CHART_VERSION.test(version))
        fail(`operators.${key}.version`, version, "is not a chart version such as 1.2.0");
    }
    if (args.watchNamespaces.includes(operators.namespace)) {
      fail(
        "watchNamespaces",
        args.watchNamespaces,
        `includes the operators namespace ${JSON.stringify(operators.namespace)}; operators run apart from what they manage (set mlstack:operators.namespace to its own namespace)`,
      );
    }
  }
}
