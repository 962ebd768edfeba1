/**
 * Test fixtures for the AWS target: the shared base config turned into a complete `target: aws`
 * config (an EKS cluster in eu-west-1 with three private subnets), and helpers to build the
 * AWS components against it under the mock runtime.
 */
import * as pulumi from "@pulumi/pulumi";
import { PlatformContext, flavorOf } from "../../components/context";
import type { RdsPostgresArgs } from "../../components/postgres/rds";
import { parseConfig, PlatformConfig } from "../../stacks/config";
import { baseRawConfig } from "../support/config";

export const ACCOUNT_ID = "123456789012";
export const REGION = "eu-west-1";
export const OIDC_ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/5C0FFEE0D15EA5E0B0A7F00DB0A7F00D";
export const OIDC_PROVIDER_ARN = `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/${OIDC_ISSUER}`;
export const NODE_SG = "sg-0a1b2c3d4e5f60718";
export const KEDA_ROLE = `arn:aws:iam::${ACCOUNT_ID}:role/ml-prod-keda-operator`;
export const VPC_CIDR = "10.40.0.0/16";
export const SUBNET_CIDRS = ["10.40.0.0/19", "10.40.32.0/19", "10.40.64.0/19"];
export const SUBNET_IDS = [
  "subnet-0a1b2c3d4e5f60001",
  "subnet-0a1b2c3d4e5f60002",
  "subnet-0a1b2c3d4e5f60003",
];

/** Raw config as tests edit it: any nesting, as a stack file can hold. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Raw = Record<string, any>;

/** `mlstack:aws` of a realistic cluster; vary it per test. */
export function rawAwsBlock(): Raw {
  return {
    region: REGION,
    cluster: {
      name: "ml-prod",
      context: `arn:aws:eks:${REGION}:${ACCOUNT_ID}:cluster/ml-prod`,
      oidcProviderArn: OIDC_PROVIDER_ARN,
      oidcProviderUrl: `https://${OIDC_ISSUER}`,
      nodeSecurityGroupId: NODE_SG,
      kedaOperatorRoleArn: KEDA_ROLE,
    },
    network: {
      vpcId: "vpc-0a1b2c3d4e5f60718",
      vpcCidr: VPC_CIDR,
      privateSubnetIds: [...SUBNET_IDS],
      privateSubnetCidrs: [...SUBNET_CIDRS],
    },
  };
}

/** The shared base config (two teams, a streaming and an HTTP model) on AWS. */
export function rawAwsConfig(overrides: Record<string, unknown> = {}): Raw {
  const raw = baseRawConfig();
  return { ...raw, target: "aws", kafka: { ...raw.kafka, brokers: 3 }, aws: rawAwsBlock(), ...overrides };
}

export function awsConfig(overrides: Record<string, unknown> = {}, stack = "test"): PlatformConfig {
  return parseConfig(rawAwsConfig(overrides), { project: "mlstack", stack });
}

export function contextOf(config: PlatformConfig): PlatformContext {
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

/** A component standing in for the shared composition's root, to parent what a test creates. */
export class Root extends pulumi.ComponentResource {
  constructor(name = "root") {
    super("mlstack:test:Root", name, {});
    this.registerOutputs({});
  }
}

/** Parses a JSON string input (KMS key policies). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function json(value: unknown): any {
  if (typeof value !== "string") throw new Error(`expected a JSON string, got ${JSON.stringify(value)}`);
  return JSON.parse(value);
}

/** The customer key the RDS fixtures encrypt with. */
export const RDS_KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

/** Arguments of an RdsPostgres in the fixture account and VPC, for `config`'s postgres settings. */
export function rdsArgs(config: PlatformConfig, overrides: Partial<RdsPostgresArgs> = {}): RdsPostgresArgs {
  return {
    ctx: contextOf(config),
    account: { accountId: ACCOUNT_ID, partition: "aws", region: REGION },
    postgres: config.postgres,
    rds: config.aws!.postgres,
    identifier: "mlstack-test-postgres",
    kmsKeyArn: RDS_KMS_KEY,
    network: {
      vpcId: "vpc-0a1b2c3d4e5f60718",
      privateSubnetIds: SUBNET_IDS,
      privateSubnetCidrs: SUBNET_CIDRS,
      awsApiCidrs: ["0.0.0.0/0"],
      vpcCidr: VPC_CIDR,
      nodeSecurityGroupId: NODE_SG,
    },
    ...overrides,
  };
}
