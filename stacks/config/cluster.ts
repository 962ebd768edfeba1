/** `mlstack:operators` and `mlstack:ingress`: what the stack needs to know about the cluster around it. */
import { DEFAULT_OPERATORS } from "./defaults";
import { DNS_LABEL, DNS_LABEL_RULE, HOSTNAME, Reader } from "./reader";
import type { OperatorsConfig, PlatformConfig, Target } from "./types";

export function parseOperators(r: Reader, value: unknown, target: Target, prefix: string): OperatorsConfig {
  const path = "operators";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, [
    "install",
    "strimzi",
    "cloudnativePg",
    "barmanCloud",
    "kserve",
    "keda",
    "certManager",
    "openshiftAi",
    "namespace",
  ]);
  const one = (key: "strimzi" | "cloudnativePg" | "barmanCloud" | "kserve") => {
    const o = r.object(obj[key], `${path}.${key}`);
    r.knownKeys(o, `${path}.${key}`, ["version", "channel"]);
    return {
      version: r.string(
        o,
        "version",
        `${path}.${key}`,
        DEFAULT_OPERATORS[key].version,
        /^v?[0-9]+\.[0-9]+\.[0-9]+$/,
        "a chart version such as 1.2.0",
      ),
      channel: r.string(
        o,
        "channel",
        `${path}.${key}`,
        DEFAULT_OPERATORS[key].channel,
        /^[a-z0-9][-a-z0-9.]*$/,
        "an OLM channel name",
      ),
    };
  };
  const addon = (key: "keda" | "certManager") => {
    const o = r.object(obj[key], `${path}.${key}`);
    r.knownKeys(o, `${path}.${key}`, ["install", "version"]);
    return {
      install: r.boolean(o, "install", `${path}.${key}`, target === "kubernetes"),
      version: r.string(
        o,
        "version",
        `${path}.${key}`,
        DEFAULT_OPERATORS[key].version,
        /^v?[0-9]+\.[0-9]+\.[0-9]+$/,
        "a chart version such as 2.21.0",
      ),
    };
  };
  return {
    install: r.boolean(obj, "install", path, target === "kubernetes"),
    strimzi: one("strimzi"),
    cloudnativePg: one("cloudnativePg"),
    barmanCloud: one("barmanCloud"),
    kserve: one("kserve"),
    keda: addon("keda"),
    certManager: addon("certManager"),
    openshiftAi: parseOpenshiftAi(r, obj.openshiftAi, `${path}.openshiftAi`),
    namespace: r.string(obj, "namespace", path, `${prefix}operators`, DNS_LABEL, DNS_LABEL_RULE),
  };
}

/**
 * `operators.openshiftAi`: OpenShift AI component → management state. Read as given: which
 * components and states are allowed is PlatformOperators' check, run in pre-flight.
 */
function parseOpenshiftAi(r: Reader, value: unknown, path: string): Record<string, string> {
  const obj = r.object(value, path);
  const states: Record<string, string> = {};
  for (const component of Object.keys(obj)) {
    states[component] = r.string(obj, component, path, "Removed", /^[A-Za-z]+$/, "Managed or Removed");
  }
  return states;
}

export function parseIngress(r: Reader, value: unknown): PlatformConfig["ingress"] {
  const path = "ingress";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, ["domain", "className", "clusterIssuer", "tlsSecretName"]);
  return {
    domain: r.optionalString(obj, "domain", path, HOSTNAME, "a DNS domain such as ml.example.com"),
    className: r.string(obj, "className", path, "nginx", DNS_LABEL, DNS_LABEL_RULE),
    clusterIssuer: r.optionalString(obj, "clusterIssuer", path, DNS_LABEL, DNS_LABEL_RULE),
    tlsSecretName: r.optionalString(obj, "tlsSecretName", path, DNS_LABEL, DNS_LABEL_RULE),
  };
}
