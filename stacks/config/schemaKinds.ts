/**
 * The building blocks of the `mlstack:*` schemas (TypeBox, so each section's schema and its
 * TypeScript type come from one declaration). Every string carries the words of its rule
 * (`patternErrorMessage`): ajv errors are translated into them (stacks/config/validate.ts), and
 * editors that read the published schema (yaml-language-server) show the same words.
 *
 * Grammars that a regular expression cannot say well (quantities, CIDRs, RBAC subjects, cron)
 * are named formats whose predicates live with the components that use the strings.
 */
import { Type } from "@sinclair/typebox";
import type { ObjectOptions, TProperties, TSchema } from "@sinclair/typebox";
import { CIDR_RULE, IPV4_CIDR_RULE, isCidr, isIpv4Cidr } from "../../components/kube/cidr";
import { SECONDS_CRON_SCHEDULE_RULE, isSecondsCronSchedule } from "../../components/kube/cron";
import {
  DNS1123_SUBDOMAIN_RULE,
  LABEL_KEY_RULE,
  LABEL_VALUE_RULE,
  isDns1123Subdomain,
  isLabelKey,
  isLabelValue,
} from "../../components/kube/names";
import { QUANTITY_RULE, isQuantity } from "../../components/kube/quantity";
import { SUBJECT_NAME_RULE, isSubjectName } from "../../components/kube/rbacSubjects";

/** StorageClass names are DNS-1123 subdomains (kubernetes pkg/apis/storage/validation `ValidateClassName`). */
export const STORAGE_CLASS_RULE = `a StorageClass name: ${DNS1123_SUBDOMAIN_RULE}`;

/** Named string formats: predicate and the words every message and editor shows. */
export const FORMATS = {
  quantity: { check: isQuantity, rule: QUANTITY_RULE },
  cidr: { check: isCidr, rule: CIDR_RULE },
  "ipv4-cidr": { check: isIpv4Cidr, rule: IPV4_CIDR_RULE },
  "rbac-subject": { check: isSubjectName, rule: SUBJECT_NAME_RULE },
  "dns1123-subdomain": { check: isDns1123Subdomain, rule: DNS1123_SUBDOMAIN_RULE },
  "storage-class": { check: isDns1123Subdomain, rule: STORAGE_CLASS_RULE },
  "seconds-cron": { check: isSecondsCronSchedule, rule: SECONDS_CRON_SCHEDULE_RULE },
  "label-key": { check: isLabelKey, rule: LABEL_KEY_RULE },
  "label-value": { check: isLabelValue, rule: LABEL_VALUE_RULE },
} as const;
export type FormatName = keyof typeof FORMATS;

interface Annotations {
  description?: string;
  default?: unknown;
}

/** A non-empty string; with a grammar, a pattern (RegExp) or a named format, and its rule in words. */
export function Str(grammar?: RegExp | FormatName, rule?: string, extra: Annotations = {}) {
  if (grammar === undefined) return Type.String({ minLength: 1, ...extra });
  if (typeof grammar === "string")
    return Type.String({
      minLength: 1,
      format: grammar,
      patternErrorMessage: FORMATS[grammar].rule,
      ...extra,
    });
  return Type.String({
    minLength: 1,
    pattern: grammar.source,
    patternErrorMessage: rule ?? `matching ${String(grammar)}`,
    ...extra,
  });
}

/** Any non-empty string; the description says what it names (and is the hint when it is missing). */
export function Text(description: string) {
  return Type.String({ minLength: 1, description });
}

/**
 * A Kubernetes quantity. YAML reads `cpu: 8` as a number, so numbers are allowed and read as
 * their text (stacks/config/validate.ts turns them into strings before the format check).
 */
export function Quantity(extra: Annotations = {}) {
  return Type.Unsafe<string>({
    type: ["string", "number"],
    format: "quantity",
    patternErrorMessage: QUANTITY_RULE,
    ...extra,
  });
}

/** A whole number in a range ("3" is read as 3: the engine passes scalar config as strings). */
export function Int(minimum: number, maximum: number, extra: Annotations = {}) {
  return Type.Integer({ minimum, maximum, ...extra });
}

/** true or false ("true" and "false" are read as booleans, as the engine passes them). */
export function Bool(extra: Annotations = {}) {
  return Type.Boolean(extra);
}

/** One of a fixed list of strings. */
export function OneOf<T extends string>(values: readonly T[], extra: Annotations = {}) {
  return Type.Unsafe<T>({ type: "string", enum: [...values], ...extra });
}

/** A list of items. */
export function List<T extends TSchema>(
  items: T,
  extra: Annotations & {
    minItems?: number;
    maxItems?: number;
    uniqueItems?: boolean;
    errorMessage?: string;
  } = {},
) {
  return Type.Array(items, extra);
}

/** A map with known keys only: a misspelt key is refused rather than silently ignored. */
export function Strict<T extends TProperties>(properties: T, options: ObjectOptions = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** An optional key. */
export const Opt = Type.Optional;
