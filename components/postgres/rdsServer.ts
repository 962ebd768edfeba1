/**
 * The database server of the AWS target: an RDS for PostgreSQL instance, or an Aurora PostgreSQL
 * cluster with one instance per `mlstack:postgres.instances`. Both get the same guarantees:
 *
 * - private: the subnet group of the private subnets, the given security group, never public;
 * - TLS only (`rds.force_ssl=1`, TLS ≥ 1.2) and SCRAM password hashing, connection, disconnection,
 *   DDL and slow-statement logging, exported to CloudWatch;
 * - storage, Performance Insights and the RDS-managed master secret encrypted with the database CMK;
 * - IAM database authentication; the master password generated, rotated and kept by RDS in
 *   Secrets Manager (it never appears in config or in code);
 * - automated backups for `backupRetentionDays`, and when protected: deletion protection, a final
 *   snapshot, automated backups kept after deletion, Pulumi `protect`;
 * - Multi-AZ (RDS) or instances across availability zones (Aurora) when `instances` ≥ 2.
 */
import * as awsRds from "@pulumi/aws/rds";
import * as pulumi from "@pulumi/pulumi";
import type { AwsPostgresConfig } from "./rdsSettings";
import type { PostgresConfig } from "./settings";
import type { PlatformContext } from "../context";
import { physicalName } from "../identity/awsAccount";

/** The CA the server certificate chains to: current, RSA 2048, so clients can verify-full against the RDS bundle. */
export const RDS_CA = "rds-ca-rsa2048-g1";
export const POSTGRES_PORT = 5432;

export interface RdsServerArgs {
  ctx: PlatformContext;
  postgres: PostgresConfig;
  rds: AwsPostgresConfig;
  /** Instance / cluster identifier (≤ 63, lowercase). */
  identifier: string;
  kmsKeyArn: pulumi.Input<string>;
  subnetGroupName: pulumi.Input<string>;
  securityGroupId: pulumi.Input<string>;
  tags: Record<string, string>;
}

/** What the rest of RdsPostgres needs from either server kind. */
export interface RdsServer {
  /** DNS name clients connect to (the instance, or the Aurora writer endpoint). */
  address: pulumi.Output<string>;
  /** `db-…` / `cluster-…`: the resource id `rds-db:connect` ARNs name. */
  resourceId: pulumi.Output<string>;
  /** ARN of the RDS-managed master secret (empty until RDS created it). */
  masterSecretArn: pulumi.Output<string>;
  /** The resources to wait for before connecting. */
  resources: pulumi.Resource[];
}

/** Parameters of both the RDS parameter group and the Aurora cluster parameter group. */
export function postgresParameters(rds: AwsPostgresConfig): { name: string; value: string }[] {
  return [
    { name: "rds.force_ssl", value: "1" },
    { name: "ssl_min_protocol_version", value: "TLSv1.2" },
    { name: "password_encryption", value: "scram-sha-256" },
    { name: "log_connections", value: "1" },
    { name: "log_disconnections", value: "1" },
    { name: "log_statement", value: rds.logStatement },
    { name: "log_min_duration_statement", value: String(rds.logMinDurationMs) },
  ];
}

export function createRdsServer(name: string, args: RdsServerArgs, parent: pulumi.Resource): RdsServer {
  return args.rds.engine === "aurora" ? auroraCluster(name, args, parent) : rdsInstance(name, args, parent);
}

function protection(args: RdsServerArgs) {
  const protect = args.ctx.protect;
  return {
    deletionProtection: protect,
    skipFinalSnapshot: !protect,
    finalSnapshotIdentifier: protect ? physicalName([args.identifier, "final"], 63) : undefined,
    deleteAutomatedBackups: !protect,
  };
}

function rdsInstance(name: string, args: RdsServerArgs, parent: pulumi.Resource): RdsServer {
  const { rds, postgres, ctx } = args;
  const parameters = new awsRds.ParameterGroup(
    `${name}-parameters`,
    {
      // Named per major version: an upgrade creates the next family's group before the old one goes.
      name: physicalName([args.identifier, `postgres${postgres.version}`], 255),
      family: `postgres${postgres.version}`,
      description: `mlstack ${ctx.stack}: TLS only, connection and DDL logging`,
      parameters: postgresParameters(rds),
      tags: args.tags,
    },
    { parent },
  );
  const instance = new awsRds.Instance(
    `${name}-instance`,
    {
      identifier: args.identifier,
      engine: "postgres",
      engineVersion: rds.engineVersion,
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: false,
      instanceClass: rds.instanceClass,
      storageType: "gp3",
      allocatedStorage: rds.allocatedStorageGiB,
      maxAllocatedStorage: rds.maxAllocatedStorageGiB,
      storageEncrypted: true,
      kmsKeyId: args.kmsKeyArn,
      multiAz: postgres.instances >= 2,
      dbSubnetGroupName: args.subnetGroupName,
      vpcSecurityGroupIds: [args.securityGroupId],
      publiclyAccessible: false,
      port: POSTGRES_PORT,
      parameterGroupName: parameters.name,
      caCertIdentifier: RDS_CA,
      username: rds.masterUsername,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: args.kmsKeyArn,
      iamDatabaseAuthenticationEnabled: true,
      backupRetentionPeriod: rds.backupRetentionDays,
      backupWindow: rds.preferredBackupWindow,
      maintenanceWindow: rds.preferredMaintenanceWindow,
      copyTagsToSnapshot: true,
      ...protection(args),
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: args.kmsKeyArn,
      performanceInsightsRetentionPeriod: rds.performanceInsightsRetentionDays,
      enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
      applyImmediately: ctx.environment !== "prod",
      tags: args.tags,
    },
    { parent, protect: ctx.protect, retainOnDelete: ctx.protect },
  );
  return {
    address: instance.address,
    resourceId: instance.resourceId,
    masterSecretArn: firstSecretArn(instance.masterUserSecrets),
    resources: [instance],
  };
}

function auroraCluster(name: string, args: RdsServerArgs, parent: pulumi.Resource): RdsServer {
  const { rds, postgres, ctx } = args;
  const parameters = new awsRds.ClusterParameterGroup(
    `${name}-cluster-parameters`,
    {
      name: physicalName([args.identifier, `aurora-postgresql${postgres.version}`], 255),
      family: `aurora-postgresql${postgres.version}`,
      description: `mlstack ${ctx.stack}: TLS only, connection and DDL logging`,
      parameters: postgresParameters(rds),
      tags: args.tags,
    },
    { parent },
  );
  const cluster = new awsRds.Cluster(
    `${name}-cluster`,
    {
      clusterIdentifier: args.identifier,
      engine: "aurora-postgresql",
      engineVersion: rds.engineVersion,
      allowMajorVersionUpgrade: false,
      storageEncrypted: true,
      kmsKeyId: args.kmsKeyArn,
      dbSubnetGroupName: args.subnetGroupName,
      vpcSecurityGroupIds: [args.securityGroupId],
      port: POSTGRES_PORT,
      dbClusterParameterGroupName: parameters.name,
      caCertificateIdentifier: RDS_CA,
      masterUsername: rds.masterUsername,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: args.kmsKeyArn,
      iamDatabaseAuthenticationEnabled: true,
      backupRetentionPeriod: rds.backupRetentionDays,
      preferredBackupWindow: rds.preferredBackupWindow,
      preferredMaintenanceWindow: rds.preferredMaintenanceWindow,
      copyTagsToSnapshot: true,
      ...protection(args),
      enabledCloudwatchLogsExports: ["postgresql"],
      applyImmediately: ctx.environment !== "prod",
      tags: args.tags,
    },
    { parent, protect: ctx.protect, retainOnDelete: ctx.protect },
  );
  const instances = Array.from({ length: postgres.instances }, (_, i) => {
    return new awsRds.ClusterInstance(
      `${name}-instance-${i + 1}`,
      {
        identifier: physicalName([args.identifier, String(i + 1)], 63),
        clusterIdentifier: cluster.id,
        engine: "aurora-postgresql",
        engineVersion: cluster.engineVersion,
        instanceClass: rds.instanceClass,
        dbSubnetGroupName: args.subnetGroupName,
        publiclyAccessible: false,
        caCertIdentifier: RDS_CA,
        autoMinorVersionUpgrade: true,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: args.kmsKeyArn,
        performanceInsightsRetentionPeriod: rds.performanceInsightsRetentionDays,
        promotionTier: i,
        applyImmediately: ctx.environment !== "prod",
        tags: args.tags,
      },
      { parent, protect: ctx.protect },
    );
  });
  return {
    address: cluster.endpoint,
    resourceId: cluster.clusterResourceId,
    masterSecretArn: firstSecretArn(cluster.masterUserSecrets),
    resources: [cluster, ...instances],
  };
}

/** The managed master secret's ARN; RDS reports one secret once it has created it. */
function firstSecretArn(secrets: pulumi.Output<{ secretArn: string }[] | undefined>): pulumi.Output<string> {
  return secrets.apply((list) => list?.[0]?.secretArn ?? "");
}
