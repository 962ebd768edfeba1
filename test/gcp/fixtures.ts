/** GCP test fixtures: the shared base config on target gcp, with a complete `mlstack:gcp` block. */
import * as pulumi from "@pulumi/pulumi";
import type { WorkloadRef } from "../../components/identity/contract";
import { GkeWorkloadIdentityProvider } from "../../components/identity/workloadIdentity";
import type { GcpDomainKey } from "../../components/kms/gcp";
import type { CloudSqlPostgresArgs } from "../../components/postgres/cloudSql";
import { parseConfig, PlatformConfig } from "../../stacks/config";
import type { Environment } from "../../stacks/config/types";
import { baseRawConfig } from "../support/config";

/** Raw `mlstack:*` values as tests build and mutate them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RawConfig = Record<string, any>;

export const IDENTITY = { project: "mlstack", stack: "test" };

export function gcpBlock(): RawConfig {
  return {
    project: "acme-ml-test",
    projectNumber: "123456789012",
    region: "europe-west4",
    cluster: { name: "ml-test" },
    network: {
      vpc: "ml-vpc",
      subnets: [{ name: "gke-nodes", cidr: "10.40.0.0/20" }],
      privateServicesAccess: { cidr: "10.60.0.0/16" },
    },
  };
}

export function gcpRawConfig(environment: Environment = "dev"): RawConfig {
  const raw = baseRawConfig();
  raw.target = "gcp";
  raw.environment = environment;
  raw.gcp = gcpBlock();
  if (environment !== "dev") raw.ingress = { clusterIssuer: "internal-ca" };
  return raw;
}

export function gcpConfig(
  environment: Environment = "dev",
  mutate?: (raw: RawConfig) => void,
): PlatformConfig {
  const raw = gcpRawConfig(environment);
  mutate?.(raw);
  return parseConfig(raw, IDENTITY);
}

/** A stand-in for the workload component a grant is parented to. */
export class Holder extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:index:Holder", name);
  }
}

export const FRAUD_DETECTOR: WorkloadRef = {
  name: "fraud-detector",
  team: "fraud",
  namespace: "ml-dev-fraud",
  serviceAccountName: "fraud-detector",
};
export const MLFLOW: WorkloadRef = {
  name: "mlflow",
  team: "platform",
  namespace: "ml-dev-platform",
  serviceAccountName: "mlflow",
};

/** The identity provider the GCP target builds for `config`. */
export function identityProvider(
  project = "acme-ml-test",
  stack = IDENTITY.stack,
): GkeWorkloadIdentityProvider {
  return new GkeWorkloadIdentityProvider({
    project,
    workloadPool: `${project}.svc.id.goog`,
    pulumiProject: IDENTITY.project,
    stack,
  });
}

/** A stand-in for a KMS domain key (components are tested without a key ring of their own). */
export function testKey(name = "storage"): GcpDomainKey {
  const ready = new Holder(`${name}-key-ready`);
  return {
    id: pulumi.output(`projects/acme-ml-test/locations/europe-west4/keyRings/ring/cryptoKeys/${name}`),
    serviceAgent: `agent-${name}`,
    ready: [ready],
  };
}

/** Arguments of a production-shaped CloudSqlPostgres (regional, CMEK, PITR, private IP). */
export function cloudSqlArgs(overrides: Partial<CloudSqlPostgresArgs> = {}): CloudSqlPostgresArgs {
  return {
    project: "acme-ml-test",
    region: "europe-west4",
    version: 17,
    tier: "db-custom-4-16384",
    edition: "ENTERPRISE",
    availabilityType: "REGIONAL",
    diskSizeGb: 215,
    backup: { retainedBackups: 35, startTime: "02:00", transactionLogRetentionDays: 7 },
    maintenanceWindow: { day: 7, hour: 3 },
    network: {
      vpcId: "projects/acme-ml-test/global/networks/ml-vpc",
      privateServicesCidr: "10.60.0.0/16",
      ready: [],
    },
    kmsKey: testKey("postgres"),
    databases: [
      { name: "mlflow", owner: "mlflow" },
      { name: "fraud_features", owner: "fraud-detector" },
    ],
    environment: "prod",
    protect: true,
    ...overrides,
  };
}
