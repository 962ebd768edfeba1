/**
 * Where each kind of resource keeps its platform labels, and the keys mlstack uses
 * (`components/kube/labels.ts` writes them; the pack is self-contained, so the keys are repeated
 * here): Kubernetes `metadata.labels`, AWS `tags`, GCP `labels` (or the field a resource uses
 * instead, such as Cloud SQL's `settings.userLabels`).
 */
import type { Environment, PolicyResource } from "./rule";
import { ENVIRONMENTS } from "./rule";
import { at, isObject, isUnknown, Props } from "./values";

export const KUBE_LABELS = {
  component: "app.kubernetes.io/component",
  environment: "mlstack.io/environment",
  team: "mlstack.io/team",
} as const;
export const AWS_TAGS = {
  component: "mlstack:component",
  environment: "mlstack:environment",
  team: "mlstack:team",
} as const;
export const GCP_LABELS = {
  component: "mlstack-component",
  environment: "mlstack-environment",
  team: "mlstack-team",
} as const;

/**
 * Kubernetes types that are not API objects (Helm releases and charts, YAML and Kustomize
 * groups): they carry no `metadata.labels` of their own.
 */
const KUBERNETES_NON_OBJECTS = [
  "kubernetes:helm.sh/",
  "kubernetes:yaml:",
  "kubernetes:yaml/",
  "kubernetes:kustomize:",
  "kubernetes:kustomize/",
];

export function isKubernetesObject(type: string): boolean {
  return type.startsWith("kubernetes:") && !KUBERNETES_NON_OBJECTS.some((p) => type.startsWith(p));
}

/**
 * AWS resources that accept `tags`, among those an ML platform creates (checked against the
 * `@pulumi/aws` SDK by the tests). Resources outside this list are not asked for tags.
 */
export const AWS_TAGGABLE_TYPES = [
  "aws:s3/bucket:Bucket",
  "aws:s3/bucketV2:BucketV2",
  "aws:rds/instance:Instance",
  "aws:rds/cluster:Cluster",
  "aws:rds/clusterInstance:ClusterInstance",
  "aws:rds/parameterGroup:ParameterGroup",
  "aws:rds/clusterParameterGroup:ClusterParameterGroup",
  "aws:rds/subnetGroup:SubnetGroup",
  "aws:msk/cluster:Cluster",
  "aws:msk/serverlessCluster:ServerlessCluster",
  "aws:kms/key:Key",
  "aws:iam/role:Role",
  "aws:iam/policy:Policy",
  "aws:ec2/securityGroup:SecurityGroup",
  "aws:ec2/vpc:Vpc",
  "aws:ec2/subnet:Subnet",
  "aws:eks/cluster:Cluster",
  "aws:eks/nodeGroup:NodeGroup",
  "aws:secretsmanager/secret:Secret",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:ecr/repository:Repository",
];

/** GCP resources that accept labels, and the property holding them. */
export const GCP_LABEL_PATHS: Record<string, string> = {
  "gcp:storage/bucket:Bucket": "labels",
  "gcp:sql/databaseInstance:DatabaseInstance": "settings.userLabels",
  "gcp:kms/cryptoKey:CryptoKey": "labels",
  "gcp:managedkafka/cluster:Cluster": "labels",
  "gcp:container/cluster:Cluster": "resourceLabels",
  "gcp:secretmanager/secret:Secret": "labels",
  "gcp:artifactregistry/repository:Repository": "labels",
};

export type LabelKeys = { component: string; environment: string; team: string };

/** The label map a resource carries (undefined when the type has none), and which keys apply. */
export function platformLabelsOf(
  resource: PolicyResource,
): { labels: unknown; keys: LabelKeys; field: string } | undefined {
  const { type, props } = resource;
  if (isKubernetesObject(type))
    return { labels: at(props, "metadata.labels"), keys: KUBE_LABELS, field: "metadata.labels" };
  if (AWS_TAGGABLE_TYPES.includes(type)) return { labels: props.tags, keys: AWS_TAGS, field: "tags" };
  const gcpPath = GCP_LABEL_PATHS[type];
  if (gcpPath) return { labels: at(props, gcpPath), keys: GCP_LABELS, field: gcpPath };
  return undefined;
}

/** The environment a resource declares through its platform labels or tags, if any. */
export function declaredEnvironment(resource: PolicyResource): Environment | undefined {
  const found = platformLabelsOf(resource);
  if (!found || !isObject(found.labels)) return undefined;
  const value = (found.labels as Props)[found.keys.environment];
  if (isUnknown(value)) return undefined;
  return (ENVIRONMENTS as readonly unknown[]).includes(value) ? (value as Environment) : undefined;
}
