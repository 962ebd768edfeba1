/**
 * Platform-wide rules: every resource carries the platform labels, prod state is protected
 * against deletion, and no secret leaves the stack in plaintext.
 */
import { isStrimziKafka } from "./platformResources";
import { isKubernetesObject, platformLabelsOf } from "./platformLabels";
import { kubernetesGvk } from "./podSpecs";
import type { PolicyResource, Reporter, ResourceRule, StackRule, StackView } from "./rule";
import { resourceRule, stackRule } from "./rule";
import {
  at,
  isLiteralSecretValue,
  isObject,
  isSecretName,
  isUnknown,
  jsonDocument,
  obj,
  Props,
  REDACTED_SECRET,
  secretMaterial,
} from "./values";

/** Provider resources whose default tags / labels every resource they manage inherits. */
function providerDefaults(resource: PolicyResource, stack: StackView): Props {
  if (!resource.provider) return {};
  const provider = stack.byUrn(resource.provider);
  if (!provider) return {};
  if (provider.type === "pulumi:providers:aws")
    return obj(at(jsonDocument(provider.props.defaultTags), "tags"));
  if (provider.type === "pulumi:providers:gcp") return obj(jsonDocument(provider.props.defaultLabels));
  return {};
}

export const requiredLabels: StackRule = stackRule({
  name: "platform-required-labels",
  description:
    "Kubernetes objects carry app.kubernetes.io/component, mlstack.io/environment and mlstack.io/team; AWS resources the mlstack:environment|team|component tags (provider default tags count); GCP resources the mlstack-environment|team|component labels (provider default labels count).",
  severity: "low",
  remediation:
    "Use kubeLabels(...) for Kubernetes metadata.labels, cloudTags(...) for AWS tags and cloudLabels(...) for GCP labels.",
  defaultLevel: "advisory",
  onUnknown: "A label map that is unknown as a whole defers; unknown label values count as present.",
  check(stack, _ctx, report) {
    for (const resource of stack.resources) {
      const found = platformLabelsOf(resource);
      if (!found) continue;
      if (isUnknown(found.labels)) {
        report.unknown(found.field, resource);
        continue;
      }
      const isKube = isKubernetesObject(resource.type);
      const merged: Props = isKube
        ? obj(found.labels)
        : {
            ...providerDefaults(resource, stack),
            ...obj(resource.outputs?.tagsAll),
            ...obj(resource.outputs?.effectiveLabels),
            ...obj(found.labels),
          };
      const missing = [found.keys.component, found.keys.environment, found.keys.team].filter(
        (k) => merged[k] === undefined || merged[k] === "",
      );
      if (missing.length > 0) {
        const what = isKube
          ? `${kubernetesGvk(resource.type)?.kind ?? resource.type} ${resource.name}`
          : `${resource.type} ${resource.name}`;
        report.violation(`${what} lacks ${missing.join(", ")} in ${found.field}`, resource);
      }
    }
  },
});

/** Cloud types holding data or keys. */
export const STATEFUL_CLOUD_TYPES = [
  "aws:s3/bucket:Bucket",
  "aws:s3/bucketV2:BucketV2",
  "aws:rds/instance:Instance",
  "aws:rds/cluster:Cluster",
  "aws:msk/cluster:Cluster",
  "aws:msk/serverlessCluster:ServerlessCluster",
  "aws:kms/key:Key",
  "gcp:storage/bucket:Bucket",
  "gcp:sql/databaseInstance:DatabaseInstance",
  "gcp:managedkafka/cluster:Cluster",
  "gcp:kms/cryptoKey:CryptoKey",
];

function isStatefulKubernetes(type: string): boolean {
  const gvk = kubernetesGvk(type);
  if (!gvk) return false;
  return (
    isStrimziKafka(type) ||
    (gvk.group === "postgresql.cnpg.io" && gvk.kind === "Cluster") ||
    (gvk.group === "objectbucket.io" && gvk.kind === "ObjectBucketClaim")
  );
}

export const protectStateful: ResourceRule = resourceRule({
  name: "platform-protect-stateful",
  description:
    "In prod, databases, buckets, Kafka clusters and keys (cloud resources, Strimzi Kafka, CloudNativePG clusters, ObjectBucketClaims) are protected against deletion with Pulumi's `protect` or `retainOnDelete`.",
  severity: "high",
  remediation:
    "Pass `{ protect: true }` (and `retainOnDelete: true` where the data must outlive the stack) in the resource options.",
  defaultLevel: "mandatory",
  settings: ["environment"],
  onUnknown:
    "Resource options are always known; an unknown environment label falls back to the pack config environment, then prod.",
  appliesTo: (type) => STATEFUL_CLOUD_TYPES.includes(type) || isStatefulKubernetes(type),
  check(resource, ctx, report) {
    if (ctx.environmentOf(resource) !== "prod") return;
    if (!resource.protect && !resource.retainOnDelete) {
      report.violation(
        `${resource.type} ${resource.name} is not protected against deletion (neither protect nor retainOnDelete)`,
      );
    }
  },
});

/** Finds secret-looking values in an output: by key name or by content, at any depth. */
function plaintextSecrets(value: unknown, path: string, out: string[]): void {
  if (typeof value === "string") {
    const material = secretMaterial(value);
    if (material) out.push(`${path} holds ${material}`);
    return;
  }
  if (Array.isArray(value)) return value.forEach((v, i) => plaintextSecrets(v, `${path}[${i}]`, out));
  if (!isObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (isSecretName(k) && isLiteralSecretValue(v)) out.push(`${path}.${k} is named like a credential`);
    else plaintextSecrets(v, `${path}.${k}`, out);
  }
}

function checkConfigMap(resource: PolicyResource, report: Reporter): void {
  const secretPaths = (resource.secretPaths ?? []).filter(
    (p) => p === "data" || p.startsWith("data.") || p.startsWith("binaryData"),
  );
  for (const p of secretPaths)
    report.violation(`ConfigMap ${resource.name} ${p} holds a value the program marked secret`, resource);
  for (const [k, v] of Object.entries(obj(resource.props.data))) {
    if (v === REDACTED_SECRET && !secretPaths.includes(`data.${k}`)) {
      report.violation(
        `ConfigMap ${resource.name} data.${k} holds a value the program marked secret`,
        resource,
      );
    }
  }
}

export const noPlaintextSecretOutputs: StackRule = stackRule({
  name: "platform-no-plaintext-secret-outputs",
  description:
    "No stack output carries a credential in plaintext (a credential-named output, a private key or a password URL not marked secret), and no ConfigMap holds a value the program marked secret.",
  severity: "critical",
  remediation:
    "Wrap the output in pulumi.secret(...) (or drop it); put secret values in a Secret, not a ConfigMap.",
  defaultLevel: "mandatory",
  onUnknown:
    "Unknown output values pass. Under the CrossGuard engine, outputs arrive with secrets already unwrapped, so their secretness is unknown and only ConfigMaps are checked there; `mlstack check` on a preview, plan or stack export checks outputs too.",
  check(stack, _ctx, report) {
    for (const output of stack.outputs) {
      if (output.secret !== false || isUnknown(output.value)) continue;
      if (output.value === REDACTED_SECRET) continue;
      const found: string[] = [];
      if (isSecretName(output.name) && isLiteralSecretValue(output.value))
        found.push(`${output.name} is named like a credential`);
      else plaintextSecrets(output.value, output.name, found);
      const stackResource = stack.ofType("pulumi:pulumi:Stack")[0];
      for (const f of found) report.violation(`stack output ${f} and is not secret`, stackResource);
    }
    for (const cm of stack.ofType("kubernetes:core/v1:ConfigMap")) checkConfigMap(cm, report);
  },
});

export const platformRules: ResourceRule[] = [protectStateful];
export const platformStackRules: StackRule[] = [requiredLabels, noPlaintextSecretOutputs];
