/**
 * Arguments for Mlflow tests: a platform context and config per target / environment, and
 * grants shaped like the real ones (CloudNativePG database, ObjectBucketClaim bucket, S3 via
 * IRSA, GCS via Workload Identity).
 */
import type * as k8s from "@pulumi/kubernetes";
import { flavorOf, PlatformContext } from "../../../components/context";
import { obcBucketGrant } from "../../support/grants";
import type { WorkloadAccess } from "../../../components/identity/contract";
import type { MlflowArgs } from "../../../components/mlflow/Mlflow";
import type { PlatformConfig } from "../../../stacks/config";
import { baseConfig } from "../../support/config";

export const NAMESPACE = "ml-test-platform";

export function contextFor(config: PlatformConfig): PlatformContext {
  return {
    environment: config.environment,
    target: config.target,
    flavor: flavorOf(config.target),
    protect: config.protect,
    highAvailability: config.highAvailability,
    project: config.project,
    stack: config.stack,
  };
}

export const DATABASE_EGRESS: k8s.types.input.networking.v1.NetworkPolicyEgressRule = {
  to: [{ podSelector: { matchLabels: { "cnpg.io/cluster": "postgres" } } }],
  ports: [{ protocol: "TCP", port: 5432 }],
};

/** What CloudNativePG's grantDatabase hands over: connection settings, password and URI by reference, CA bundle. */
export function databaseGrant(): WorkloadAccess {
  return {
    env: [
      { name: "PGHOST", value: "postgres-rw.ml-test-platform.svc" },
      { name: "PGPORT", value: "5432" },
      { name: "PGDATABASE", value: "mlflow" },
      { name: "PGUSER", value: "mlflow" },
      { name: "PGSSLMODE", value: "verify-full" },
      { name: "PGSSLROOTCERT", value: "/etc/mlstack/postgres-ca/ca.crt" },
      { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "postgres-mlflow", key: "password" } } },
      { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "postgres-mlflow", key: "uri" } } },
    ],
    volumes: [
      {
        name: "postgres-ca",
        secret: { secretName: "postgres-ca", items: [{ key: "ca.crt", path: "ca.crt" }] },
      },
    ],
    volumeMounts: [{ name: "postgres-ca", mountPath: "/etc/mlstack/postgres-ca", readOnly: true }],
    egress: [DATABASE_EGRESS],
    dependsOn: [],
  };
}

export { OBJECT_STORE_EGRESS } from "../../support/grants";

/** What an ObjectBucketClaim grant hands over: endpoint, region, static credentials by reference. */
export function s3CompatibleGrant(): WorkloadAccess {
  return obcBucketGrant("mlflow-artifacts", "mlflow-artifacts-0a1b2c3d");
}

/** What an S3 grant through IRSA hands over on EKS: no endpoint, no credentials (the ServiceAccount carries the role). */
export function awsS3Grant(): WorkloadAccess {
  return {
    env: [
      { name: "BUCKET_NAME", value: "mlstack-test-mlflow-artifacts" },
      { name: "AWS_REGION", value: "eu-west-1" },
    ],
    volumes: [],
    volumeMounts: [],
    egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] }],
    dependsOn: [],
  };
}

export function teamPeer(namespace: string): k8s.types.input.networking.v1.NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } };
}

export const ROUTER_PEER: k8s.types.input.networking.v1.NetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { "policy-group.network.openshift.io/ingress": "" } },
};

/** Args as the platform composition builds them, for a config override (target, environment, mlflow…). */
export function mlflowArgs(
  overrides: Record<string, unknown> = {},
  extra: Partial<MlflowArgs> = {},
): MlflowArgs {
  const config = baseConfig(overrides);
  const openshift = config.target === "openshift";
  return {
    ctx: contextFor(config),
    config: config.mlflow,
    namespace: NAMESPACE,
    serviceAccountName: "mlflow",
    database: databaseGrant(),
    artifacts: { access: s3CompatibleGrant(), destination: "s3://mlflow-artifacts-0a1b2c3d" },
    ingressFrom: [teamPeer("ml-test-fraud"), teamPeer("ml-test-pricing")],
    monitoringNamespace: config.network.monitoringNamespace,
    ...(config.mlflow.auth === "oauth-proxy" ? { apiServerCidrs: ["10.0.0.1/32", "192.168.10.0/24"] } : {}),
    ...(openshift ? { ingressFrom: [teamPeer("ml-test-fraud"), ROUTER_PEER] } : {}),
    ...extra,
  };
}
