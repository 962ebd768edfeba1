/**
 * Composition of the AWS backing services: which implementation serves each contract and how
 * they are wired — a customer key per data domain, S3 for buckets, RDS / Aurora for PostgreSQL,
 * MSK for Kafka — all in the existing EKS cluster's VPC and region. No resource details here:
 * those live in the components.
 */
import type { Provider as AwsProvider } from "@pulumi/aws/provider";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AwsKmsKey } from "../../components/kms/aws";
import type { PlatformContext } from "../../components/context";
import { AwsAccount, arn, physicalName, stackStem } from "../../components/identity/awsAccount";
import type { WorkloadIdentityProvider } from "../../components/identity/contract";
import { MskKafka } from "../../components/kafka/msk";
import { S3ObjectStore } from "../../components/objectstore/s3";
import { RdsPostgres } from "../../components/postgres/rds";
import type { BackingServices, ClusterFacts } from "../backing";
import { PLATFORM_OWNER } from "../config/parse";
import type { AwsTargetConfig, PlatformConfig } from "../config/types";

/** ServiceAccount (platform namespace) of the Job that applies Kafka ACLs with SCRAM. */
export const KAFKA_ACL_ADMIN = "kafka-acl-admin";

export interface AwsBackingServicesArgs {
  config: PlatformConfig;
  aws: AwsTargetConfig;
  ctx: PlatformContext;
  cluster: ClusterFacts;
  identityProvider: WorkloadIdentityProvider;
  /** Pinned to the region and account; also passed to this component as a default provider. */
  awsProvider: AwsProvider;
  /** The EKS cluster's provider. */
  kubernetesProvider?: k8s.Provider;
}

export class AwsBackingServices extends pulumi.ComponentResource implements BackingServices {
  readonly kafkaKey: AwsKmsKey;
  readonly databaseKey: AwsKmsKey;
  readonly bucketsKey: AwsKmsKey;
  readonly objectStore: S3ObjectStore;
  readonly postgres: RdsPostgres;
  readonly kafka: MskKafka;

  constructor(name: string, args: AwsBackingServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlstack:aws:BackingServices", name, {}, opts);
    const { config, aws: awsConfig, ctx, cluster } = args;
    const account: AwsAccount = {
      accountId: awsConfig.accountId,
      partition: awsConfig.partition,
      region: awsConfig.region,
    };
    const stem = stackStem(config.project, config.stack);
    const network = awsConfig.network;
    // Grants create resources under the workloads' components, which do not inherit these providers.
    const providers = { provider: args.awsProvider, kubernetesProvider: args.kubernetesProvider };

    const clusterName = physicalName([stem, config.kafka.name], 64);
    const logGroupName = `/mlstack/${stem}/msk/${config.kafka.name}`;
    const key = (domain: string, description: string, services: string[], logGroupArns?: string[]) =>
      new AwsKmsKey(
        `${name}-kms-${domain}`,
        {
          ctx,
          account,
          domain,
          description: `mlstack ${config.project}/${config.stack}: ${description}`,
          aliasName: `alias/mlstack/${stem}/${domain}`,
          services,
          logGroupArns,
          adminPrincipalArns: awsConfig.kms.adminPrincipalArns,
          deletionWindowInDays: awsConfig.kms.deletionWindowDays,
          rotationPeriodInDays: awsConfig.kms.rotationPeriodDays,
        },
        { parent: this },
      );
    this.kafkaKey = key(
      "kafka",
      "MSK storage, broker logs and SCRAM secrets",
      ["kafka", "secretsmanager"],
      [arn(account, "logs", `log-group:${logGroupName}`)],
    );
    this.databaseKey = key("database", "RDS storage, Performance Insights and the master secret", [
      "rds",
      "secretsmanager",
    ]);
    this.bucketsKey = key("buckets", "S3 buckets (MLflow artifacts, team buckets)", ["s3"]);

    // RDS keeps its own backups: config declares no backup bucket on this target (stacks/config/parse.ts).
    const buckets = config.objectStore.buckets;
    this.objectStore = new S3ObjectStore(
      `${name}-s3`,
      {
        ctx,
        account,
        buckets,
        kmsKeyArn: this.bucketsKey.arn,
        nameStem: stem,
        accessLogRetentionDays: awsConfig.objectStore.accessLogRetentionDays,
        awsApiCidrs: network.awsApiCidrs,
        vpcCidr: network.vpcCidr,
        provider: providers.provider,
      },
      { parent: this },
    );

    this.postgres = new RdsPostgres(
      `${name}-${config.postgres.name}`,
      {
        ctx,
        account,
        postgres: config.postgres,
        rds: awsConfig.postgres,
        identifier: physicalName([stem, config.postgres.name], 63),
        kmsKeyArn: this.databaseKey.arn,
        network: { ...network, nodeSecurityGroupId: awsConfig.cluster.nodeSecurityGroupId },
        ...providers,
      },
      { parent: this },
    );

    const scram = awsConfig.kafka.authentication === "scram";
    this.kafka = new MskKafka(
      `${name}-${config.kafka.name}`,
      {
        ctx,
        account,
        kafka: config.kafka,
        msk: awsConfig.kafka,
        clusterName,
        logGroupName,
        kmsKeyArn: this.kafkaKey.arn,
        network: { ...network, nodeSecurityGroupId: awsConfig.cluster.nodeSecurityGroupId },
        nameStem: stem,
        kedaOperatorRoleArn: awsConfig.cluster.kedaOperatorRoleArn,
        iam: awsConfig.iam,
        scram: scram
          ? {
              platformNamespace: cluster.platformNamespace,
              adminIdentity: args.identityProvider.forWorkload(
                {
                  name: KAFKA_ACL_ADMIN,
                  team: PLATFORM_OWNER,
                  namespace: cluster.platformNamespace,
                  serviceAccountName: KAFKA_ACL_ADMIN,
                },
                { parent: this },
              ),
              image: awsConfig.kafka.aclJobImage as string,
              dependsOn: cluster.dependsOn,
            }
          : undefined,
        ...providers,
      },
      { parent: this },
    );

    this.registerOutputs({
      kafkaBootstrapServers: this.kafka.bootstrapServers,
      postgresHost: this.postgres.host,
    });
  }
}
