/**
 * The name grammars of the Kubernetes API, declared once for every component and the config layer.
 * Source: k8s.io/apimachinery/pkg/util/validation/validation.go (kubernetes v1.34):
 * `IsDNS1123Label`, `IsDNS1035Label`, `IsDNS1123Subdomain`, `IsQualifiedName`, `IsValidLabelValue`.
 */

/** Longest DNS label: namespaces, Services, label values and every name derived into them. */
export const DNS_LABEL_MAX_LENGTH = 63;
/** Longest DNS subdomain: most object names (Secrets, ConfigMaps, Deployments, StorageClasses). */
export const DNS_SUBDOMAIN_MAX_LENGTH = 253;

const DNS1123_LABEL_FORM = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL_FORM = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN_FORM = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/**
 * A DNS-1035 label with a letter first: what mlstack asks of every name it derives objects from
 * (teams, models, clusters, buckets), because the same name becomes a Service name (DNS-1035).
 */
export const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const DNS_LABEL_RULE =
  "a DNS label: lowercase letters, digits and '-', starting with a letter, at most 63 characters";

export const DNS1123_LABEL_RULE =
  "a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";
export const DNS1123_SUBDOMAIN_RULE =
  "a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters";
export const LABEL_KEY_RULE =
  "a Kubernetes label key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
export const LABEL_VALUE_RULE =
  "a Kubernetes label value: empty or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

/** `IsDNS1123Label`: namespaces, and most names that become hostnames. */
export function isDns1123Label(value: string): boolean {
  return value.length <= DNS_LABEL_MAX_LENGTH && DNS1123_LABEL_FORM.test(value);
}

/** `IsDNS1035Label`: Service names (they become DNS names that must not start with a digit). */
export function isDns1035Label(value: string): boolean {
  return value.length <= DNS_LABEL_MAX_LENGTH && DNS1035_LABEL_FORM.test(value);
}

/** `IsDNS1123Subdomain`: most object names, StorageClass names included. */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= DNS_SUBDOMAIN_MAX_LENGTH && DNS1123_SUBDOMAIN_FORM.test(value);
}

/** `IsQualifiedName`: label and annotation keys, `[prefix/]name`. */
export function isLabelKey(value: string): boolean {
  const parts = value.split("/");
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1];
  if (name.length > DNS_LABEL_MAX_LENGTH || !QUALIFIED_NAME_PART.test(name)) return false;
  return parts.length === 1 || (parts[0] !== "" && isDns1123Subdomain(parts[0]));
}

/** `IsValidLabelValue`: empty, or a qualified-name part of at most 63 characters. */
export function isLabelValue(value: string): boolean {
  return value === "" || (value.length <= DNS_LABEL_MAX_LENGTH && QUALIFIED_NAME_PART.test(value));
}

/** A fully qualified host name (at least two labels), lowercase: Ingress and Route hosts. */
export const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
