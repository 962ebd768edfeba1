/**
 * Platform-wide rules: every resource carries the platform labels, prod state is protected
 * against deletion, and no secret leaves the stack in plaintext.
 */
import { isStrimziKafka } from "./platformResources";
import { isKubernetesObject, platformLabelsOf } from "./platformLabels";
import { kubernetesGvk } from "./podSpecs";
import type { PolicyResource, Reporter, ResourceRule, StackRule, StackView } from "./rule";
import { resourceRule, stackRule } from "./rule";
import { isLiteralSecretValue, isSecretName, secretMaterial } from "./secretValues";
import {
  at,
  containsUnknown,
  isObject,
  isUnknown,
  jsonDocument,
  obj,
  Props,
  REDACTED_SECRET,
  str,
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
  onUnknown:
    "A label map that is unknown as a whole is reported as not checked (a finding at the rule's level); unknown label values count as present.",
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

/**
 * Annotations that keep an object when the tool that applied a plain manifest deletes it: Helm
 * skips deleting objects with `helm.sh/resource-policy: keep` on uninstall (helm
 * pkg/kube/resource_policy.go); Argo CD keeps objects annotated `argocd.argoproj.io/sync-options:
 * Delete=false` when the Application is deleted (argo-cd docs/user-guide/sync-options.md); Flux
 * never prunes objects labelled or annotated `kustomize.toolkit.fluxcd.io/prune: disabled`
 * (https://fluxcd.io/flux/components/kustomize/kustomizations/#prune).
 */
export const MANIFEST_RETENTION_ANNOTATIONS = [
  "helm.sh/resource-policy: keep",
  "argocd.argoproj.io/sync-options: Delete=false",
  "kustomize.toolkit.fluxcd.io/prune: disabled",
];

/** Whether a plain manifest carries one of the retention annotations (or Flux's label). */
function manifestRetained(resource: PolicyResource): boolean | "unknown" {
  const metadata = resource.props.metadata;
  const annotations = at(metadata, "annotations");
  if (isUnknown(metadata) || isUnknown(annotations)) return "unknown";
  const a = obj(annotations);
  const labels = obj(at(metadata, "labels"));
  if (str(a["helm.sh/resource-policy"])?.trim() === "keep") return true;
  const argo = str(a["argocd.argoproj.io/sync-options"]) ?? "";
  if (argo.split(",").some((o) => o.trim() === "Delete=false")) return true;
  const flux =
    str(a["kustomize.toolkit.fluxcd.io/prune"]) ?? str(labels["kustomize.toolkit.fluxcd.io/prune"]);
  return flux === "disabled";
}

/** Resources Pulumi manages carry a Pulumi URN; a plain manifest read by `mlstack check` does not. */
export function isPulumiManaged(resource: PolicyResource): boolean {
  return resource.urn.startsWith("urn:pulumi:");
}

export const protectStateful: ResourceRule = resourceRule({
  name: "platform-protect-stateful",
  description:
    "In prod, databases, buckets, Kafka clusters and keys (cloud resources, Strimzi Kafka, CloudNativePG clusters, ObjectBucketClaims) are protected against deletion: Pulumi resources with `protect` (retainOnDelete alone does not count — CrossGuard does not show it to policies, and it does not stop `pulumi destroy`); plain Kubernetes manifests, which have no Pulumi options, with a retention annotation (helm.sh/resource-policy: keep, argocd.argoproj.io/sync-options: Delete=false, or kustomize.toolkit.fluxcd.io/prune: disabled).",
  severity: "high",
  remediation:
    "Pulumi: pass `{ protect: true }` (plus `retainOnDelete: true` where the data must outlive the stack). Plain manifests: annotate `helm.sh/resource-policy: keep` (Helm), `argocd.argoproj.io/sync-options: Delete=false` (Argo CD) or `kustomize.toolkit.fluxcd.io/prune: disabled` (Flux).",
  defaultLevel: "mandatory",
  settings: ["environment"],
  onUnknown:
    "Resource options are always known; unknown annotations on a plain manifest are reported as not checked; an unknown environment label falls back to the pack config environment, then prod.",
  yamlNote:
    "Plain manifests have no Pulumi options: a retention annotation (helm.sh/resource-policy: keep, argocd.argoproj.io/sync-options: Delete=false, kustomize.toolkit.fluxcd.io/prune: disabled) satisfies the rule.",
  appliesTo: (type) => STATEFUL_CLOUD_TYPES.includes(type) || isStatefulKubernetes(type),
  check(resource, ctx, report) {
    if (ctx.environmentOf(resource) !== "prod") return;
    if (isPulumiManaged(resource)) {
      if (!resource.protect)
        report.violation(
          `${resource.type} ${resource.name} is not protected against deletion (protect is not set)`,
        );
      return;
    }
    const retained = manifestRetained(resource);
    if (retained === "unknown") report.unknown("metadata.annotations");
    else if (!retained)
      report.violation(
        `${resource.type} ${resource.name} is not protected against deletion: annotate it with one of ${MANIFEST_RETENTION_ANNOTATIONS.join(", ")}`,
      );
  },
});

/**
 * A reference to a key of a Secret or ConfigMap — Kubernetes' `secretKeyRef` (`{ name, key }`) or
 * the platform outputs' `{ secretName | configMapName, key }`: its `key` names where the value is,
 * it is not the value, so it is judged by content only.
 */
function isKeyReference(value: Record<string, unknown>): boolean {
  const names = ["name", "secretName", "configMapName"].filter((n) => value[n] !== undefined);
  return (
    typeof value.key === "string" &&
    names.length === 1 &&
    typeof value[names[0]] === "string" &&
    Object.keys(value).length === 2
  );
}

/** Finds credentials in an output value: by key name (with a literal) or by content, at any depth. */
function plaintextSecrets(value: unknown, path: string, out: string[]): void {
  if (typeof value === "string") {
    const material = secretMaterial(value);
    if (material) out.push(`${path} holds ${material}`);
    return;
  }
  if (Array.isArray(value)) return value.forEach((v, i) => plaintextSecrets(v, `${path}[${i}]`, out));
  if (!isObject(value)) return;
  const reference = isKeyReference(value);
  for (const [k, v] of Object.entries(value)) {
    if (!reference && isSecretName(k) && isLiteralSecretValue(v))
      out.push(`${path}.${k} is named like a credential`);
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
    "No stack output carries a credential in plaintext — a credential-named output with a literal, or secret material by content (private keys, cloud keys, tokens, password URLs) — and no ConfigMap holds a value the program marked secret. Under the CrossGuard engine, which unwraps secrets before policies see them, whether an output is secret cannot be seen: an output that would break the rule if plaintext is reported as not checked there (a finding at the rule's level), where `mlstack check` on the preview passes it when it is marked secret.",
  severity: "critical",
  remediation:
    "Wrap the output in pulumi.secret(...) (or drop it — a consumer that needs a credential should read it from a Secret); put secret values in a Secret, not a ConfigMap.",
  defaultLevel: "mandatory",
  onUnknown:
    "An unknown output value, or an output whose secretness the engine hides, is reported as not checked (a finding at the rule's level), never passed.",
  engineNote:
    "The engine unwraps secrets before policies run: an output that would break the rule if plaintext is reported as not checked (where `mlstack check` passes it when marked secret), and ConfigMap values marked secret cannot be seen (k8s-configmap-no-secrets still judges their content).",
  yamlNote:
    "YAML has no stack outputs and no secret markers: nothing to check (k8s-configmap-no-secrets judges ConfigMap content).",
  check(stack, _ctx, report) {
    const stackResource = stack.ofType("pulumi:pulumi:Stack")[0];
    for (const output of stack.outputs) {
      if (output.secret === true || output.value === REDACTED_SECRET) continue;
      const found: string[] = [];
      if (isSecretName(output.name) && isLiteralSecretValue(output.value))
        found.push(`${output.name} is named like a credential`);
      else plaintextSecrets(output.value, output.name, found);
      if (found.length === 0 && containsUnknown(output.value)) {
        report.unknown(`stack output ${output.name}`, stackResource);
        continue;
      }
      for (const f of found) {
        if (output.secret === false) report.violation(`stack output ${f} and is not secret`, stackResource);
        else
          report.unknown(
            `whether stack output ${output.name} is secret (${f}; the engine unwraps secrets)`,
            stackResource,
          );
      }
    }
    for (const cm of stack.ofType("kubernetes:core/v1:ConfigMap")) checkConfigMap(cm, report);
  },
});

export const platformRules: ResourceRule[] = [protectStateful];
export const platformStackRules: StackRule[] = [requiredLabels, noPlaintextSecretOutputs];
