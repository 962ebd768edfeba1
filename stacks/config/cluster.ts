/** `mlstack:operators` and `mlstack:ingress`: what the stack needs to know about the cluster around it. */
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { DEFAULT_OPERATORS } from "./defaults";
import { DNS_LABEL, DNS_LABEL_RULE, HOSTNAME } from "./reader";
import { Bool, Opt, Str, Strict } from "./schemaKinds";
import type { OperatorsConfig, PlatformConfig, Target } from "./types";

const CHART_VERSION = /^v?[0-9]+\.[0-9]+\.[0-9]+$/;
const Operator = (name: keyof typeof DEFAULT_OPERATORS & string) =>
  Opt(
    Strict({
      version: Opt(
        Str(CHART_VERSION, "a chart version such as 1.2.0", { default: DEFAULT_OPERATORS[name].version }),
      ),
      channel: Opt(Str(/^[a-z0-9][-a-z0-9.]*$/, "an OLM channel name")),
    }),
  );
const Addon = (name: "keda" | "certManager") =>
  Opt(
    Strict({
      install: Opt(Bool({ description: "install it (default: true on kubernetes)" })),
      version: Opt(
        Str(CHART_VERSION, "a chart version such as 2.21.0", { default: DEFAULT_OPERATORS[name].version }),
      ),
    }),
  );

export const OperatorsSchema = Strict({
  install: Opt(Bool({ description: "install the operators (default: true on kubernetes, false elsewhere)" })),
  strimzi: Operator("strimzi"),
  cloudnativePg: Operator("cloudnativePg"),
  barmanCloud: Operator("barmanCloud"),
  kserve: Operator("kserve"),
  keda: Addon("keda"),
  certManager: Addon("certManager"),
  // OpenShift AI component → management state. Which components and states are allowed is
  // PlatformOperators' check, run in pre-flight.
  openshiftAi: Opt(Type.Record(Type.String(), Str(/^[A-Za-z]+$/, "Managed or Removed"))),
  namespace: Opt(Str(DNS_LABEL, DNS_LABEL_RULE, { description: 'default "<namespacePrefix>operators"' })),
});

export function parseOperators(
  value: Static<typeof OperatorsSchema> | undefined,
  target: Target,
  prefix: string,
): OperatorsConfig {
  const obj = value ?? {};
  const one = (key: "strimzi" | "cloudnativePg" | "barmanCloud" | "kserve") => ({
    version: obj[key]?.version ?? DEFAULT_OPERATORS[key].version,
    channel: obj[key]?.channel ?? DEFAULT_OPERATORS[key].channel,
  });
  const addon = (key: "keda" | "certManager") => ({
    install: obj[key]?.install ?? target === "kubernetes",
    version: obj[key]?.version ?? DEFAULT_OPERATORS[key].version,
  });
  return {
    install: obj.install ?? target === "kubernetes",
    strimzi: one("strimzi"),
    cloudnativePg: one("cloudnativePg"),
    barmanCloud: one("barmanCloud"),
    kserve: one("kserve"),
    keda: addon("keda"),
    certManager: addon("certManager"),
    openshiftAi: { ...obj.openshiftAi },
    namespace: obj.namespace ?? `${prefix}operators`,
  };
}

export const IngressSchema = Strict({
  domain: Opt(
    Str(HOSTNAME, "a DNS domain such as ml.example.com", {
      description: "base domain of external hostnames",
    }),
  ),
  className: Opt(Str(DNS_LABEL, DNS_LABEL_RULE, { default: "nginx" })),
  clusterIssuer: Opt(
    Str(DNS_LABEL, DNS_LABEL_RULE, { description: "cert-manager ClusterIssuer of the Ingresses" }),
  ),
  tlsSecretName: Opt(
    Str(DNS_LABEL, DNS_LABEL_RULE, { description: "existing TLS Secret, when no issuer is set" }),
  ),
});

export function parseIngress(value: Static<typeof IngressSchema> | undefined): PlatformConfig["ingress"] {
  return {
    domain: value?.domain,
    className: value?.className ?? "nginx",
    clusterIssuer: value?.clusterIssuer,
    tlsSecretName: value?.tlsSecretName,
  };
}
