/**
 * `mlstack:aws`: the AWS target's settings. The workloads run on an existing EKS cluster; this
 * block names that cluster (how to reach it, its OIDC provider, its network) and sizes the
 * managed services mlstack creates next to it (MSK, RDS / Aurora, S3, KMS).
 *
 * Everything that shapes a resource or a policy is a literal value here, never a lookup: the
 * OIDC provider goes into every trust policy, the subnet CIDRs into every NetworkPolicy, and the
 * subnet count decides how many MSK brokers are valid, so all of it is checked before anything is
 * registered and `mlstack plan` shows it offline. Only the credentials to reach the cluster may
 * come from another stack (`cluster.stackReference`).
 */
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import type { AwsKafkaConfig, MskAuthentication } from "../../components/kafka/mskSettings";
import type {
  AwsPostgresConfig,
  PostgresLogStatement,
  PostgresWorkloadAuthentication,
  RdsEngine,
} from "../../components/postgres/rdsSettings";
import { isQuantity, quantityGiB } from "../../components/kube/quantity";
import { AwsPostgresSchema, parseAwsPostgres } from "./awsPostgres";
import { SG, SUBNET, VPC } from "./awsIds";
import { IMAGE, IMAGE_RULE } from "./images";
import type { Reader } from "./reader";
import { Int, List, OneOf, Opt, Str, Strict, Text } from "./schemaKinds";
import type { Environment, PlatformConfig } from "./types";

// The MSK and RDS components own their settings; they are re-exported for the config model's readers.
export type {
  AwsKafkaConfig,
  AwsPostgresConfig,
  MskAuthentication,
  PostgresLogStatement,
  PostgresWorkloadAuthentication,
  RdsEngine,
};

/** How Pulumi reaches the EKS cluster's API server. Exactly one is configured. */
export type AwsClusterAccess =
  /** A context of the runner's kubeconfig (`KUBECONFIG`), e.g. the ARN `aws eks update-kubeconfig` writes. */
  | { kind: "context"; context: string }
  /** A kubeconfig document or file path (store it as a secret config value if it embeds credentials). */
  | { kind: "kubeconfig"; kubeconfig: string }
  /** The output of the stack that created the cluster (e.g. a pulumi-eks stack's `kubeconfig`). */
  | { kind: "stackReference"; stack: string; output: string };

export interface AwsClusterConfig {
  /** EKS cluster name (tags, documentation, the MSK / RDS security group descriptions). */
  name: string;
  access: AwsClusterAccess;
  /** IAM OIDC identity provider of the cluster: the federated principal of every IRSA trust policy. */
  oidcProviderArn: string;
  /** Issuer host and path without `https://` (`oidc.eks.<region>.amazonaws.com/id/<ID>`): the condition key prefix. */
  oidcIssuer: string;
  /** Security group of the worker nodes: the only source MSK and RDS admit (pods use the node's group). */
  nodeSecurityGroupId: string;
  /**
   * IAM role of the cluster's KEDA operator (its own IRSA role). Streaming models scale on consumer
   * lag: KEDA assumes a per-model lag-reader role that trusts exactly this role and may only
   * describe that model's input topic and group. Required when a model streams from Kafka.
   */
  kedaOperatorRoleArn?: string;
}

export interface AwsNetworkConfig {
  vpcId: string;
  vpcCidr: string;
  /** Private subnets (one per availability zone, at least two): MSK brokers, RDS and its subnet group. */
  privateSubnetIds: string[];
  /** CIDRs of those subnets, in any order: the `ipBlock`s pods may reach brokers and the database at. */
  privateSubnetCidrs: string[];
  /**
   * Where pods reach AWS APIs over TCP 443 (STS for IRSA, S3). Default `0.0.0.0/0` (minus the VPC),
   * because with an S3 *gateway* endpoint S3's addresses are the region's public ranges, which a
   * NetworkPolicy cannot name; set the VPC CIDR when S3 and STS *interface* endpoints (private DNS)
   * exist, as the shipped prod stack does.
   */
  awsApiCidrs: string[];
}

export interface AwsKmsConfig {
  /** Waiting period before a scheduled key deletion. Default 30 days (the maximum: most time to cancel). */
  deletionWindowDays: number;
  /** Automatic rotation period. Default 365 days (AWS's default); 90..2560 allowed. */
  rotationPeriodDays: number;
  /** Roles or users allowed to administer the keys besides IAM principals of the account that IAM allows. */
  adminPrincipalArns: string[];
}

export interface AwsObjectStoreConfig {
  /** How long S3 server access logs are kept. Default dev 30, staging 90, prod 365 days. */
  accessLogRetentionDays: number;
}

export interface AwsIamConfig {
  /** Permissions boundary set on every role mlstack creates (many organisations require one). */
  permissionsBoundaryArn?: string;
  /** IAM path of those roles. Default `/mlstack/`. */
  rolePath: string;
}

/** `mlstack:aws` once validated. */
export interface AwsTargetConfig {
  region: string;
  /** From the OIDC provider ARN; the AWS provider refuses any other account. */
  accountId: string;
  partition: string;
  cluster: AwsClusterConfig;
  network: AwsNetworkConfig;
  kms: AwsKmsConfig;
  kafka: AwsKafkaConfig;
  postgres: AwsPostgresConfig;
  objectStore: AwsObjectStoreConfig;
  iam: AwsIamConfig;
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$/;
const OIDC_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):oidc-provider\/(.+)$/;
const EKS_ISSUER = /^oidc\.eks\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/id\/[A-Za-z0-9]+$/;
/** An issuer as `aws eks describe-cluster` prints it (https://, no trailing '/') or without the scheme. */
const ISSUER_URL = /^(https:\/\/)?[a-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._~-]+)*\/?$/;
const IAM_PRINCIPAL = /^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:(role|user)\/[A-Za-z0-9+=,.@_/-]+$/;
const STACK_NAME = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/;
const IPV4_CIDR = () => Str("ipv4-cidr");

const ENV_DEFAULTS: Record<
  Environment,
  { logDays: number; dbClass: string; monitoring: AwsKafkaConfig["enhancedMonitoring"] }
> = {
  dev: { logDays: 30, dbClass: "db.t4g.medium", monitoring: "DEFAULT" },
  staging: { logDays: 90, dbClass: "db.r7g.large", monitoring: "PER_BROKER" },
  prod: { logDays: 365, dbClass: "db.r7g.large", monitoring: "PER_BROKER" },
};

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const AwsClusterSchema = Strict(
  {
    name: Str(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, "an EKS cluster name", {
      description: "the EKS cluster name",
    }),
    context: Opt(Text("a context of the runner's kubeconfig")),
    kubeconfig: Opt(Text("a kubeconfig document or file path")),
    // A stack name, or { name, output } (output default kubeconfig).
    stackReference: Opt(
      Type.Unsafe<string | { name: string; output?: string }>({
        type: ["string", "object"],
        pattern: STACK_NAME.source,
        patternErrorMessage: "a stack name such as acme/eks/prod",
        properties: {
          name: Str(STACK_NAME, "a stack name such as acme/eks/prod", {
            description: "the cluster stack, e.g. acme/eks/prod",
          }),
          output: Opt(Str(/^[A-Za-z_][A-Za-z0-9_]*$/, "a stack output name", { default: "kubeconfig" })),
        },
        required: ["name"],
        additionalProperties: false,
      }),
    ),
    oidcProviderArn: Str(
      OIDC_ARN,
      "an IAM OIDC provider ARN such as arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
      {
        description:
          "the ARN of the cluster's IAM OIDC provider: aws eks describe-cluster --query cluster.identity.oidc.issuer, then aws iam list-open-id-connect-providers",
      },
    ),
    oidcProviderUrl: Str(
      ISSUER_URL,
      "an OIDC issuer URL such as https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
      {
        description:
          "the cluster's OIDC issuer URL: aws eks describe-cluster --query cluster.identity.oidc.issuer",
      },
    ),
    nodeSecurityGroupId: Str(SG, "a security group id such as sg-0123456789abcdef0", {
      description: "the security group of the cluster's worker nodes",
    }),
    kedaOperatorRoleArn: Opt(Str(IAM_PRINCIPAL, "an IAM role ARN")),
  },
  {
    description:
      "name, one of context / kubeconfig / stackReference, oidcProviderArn, oidcProviderUrl, nodeSecurityGroupId",
  },
);

const AwsNetworkSchema = Strict(
  {
    vpcId: Str(VPC, "a VPC id such as vpc-0123456789abcdef0"),
    vpcCidr: IPV4_CIDR(),
    privateSubnetIds: List(Str(SUBNET, "a subnet id such as subnet-0123456789abcdef0"), {
      minItems: 2,
      uniqueItems: true,
      errorMessage:
        "must list at least two private subnets in different availability zones (MSK and RDS Multi-AZ need two)",
    }),
    privateSubnetCidrs: List(IPV4_CIDR(), { description: "each private subnet's CIDR, in the same order" }),
    awsApiCidrs: Opt(List(IPV4_CIDR(), { default: ["0.0.0.0/0"] })),
  },
  { description: "vpcId, vpcCidr, privateSubnetIds, privateSubnetCidrs" },
);

const AwsKafkaSchema = Strict({
  version: Opt(
    Str(
      /^[0-9]+\.[0-9]+\.([0-9]+|x)(\.[0-9]+)?(\.kraft)?$/,
      "an MSK Kafka version such as 4.1.x.kraft or 3.9.x",
      {
        default: "4.1.x.kraft",
      },
    ),
  ),
  instanceType: Opt(
    Str(/^(kafka|express)\.[a-z0-9]+\.[a-z0-9]+$/, "an MSK broker instance type such as kafka.m7g.large", {
      default: "kafka.m7g.large",
    }),
  ),
  authentication: Opt(OneOf(["iam", "scram"] as const, { default: "iam" })),
  logRetentionDays: Opt(
    Int(1, 3653, { description: "a CloudWatch Logs retention; default per environment" }),
  ),
  enhancedMonitoring: Opt(
    OneOf(["DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"] as const, {
      description: "default per environment",
    }),
  ),
  aclJobImage: Opt(Str(IMAGE, IMAGE_RULE, { description: "required with authentication scram" })),
});

export const AwsSchema = Strict({
  region: Str(REGION, "an AWS region such as eu-west-1", { description: "the region of the EKS cluster" }),
  cluster: AwsClusterSchema,
  network: AwsNetworkSchema,
  kms: Opt(
    Strict({
      deletionWindowDays: Opt(Int(7, 30, { default: 30 })),
      rotationPeriodDays: Opt(Int(90, 2560, { default: 365 })),
      adminPrincipalArns: Opt(List(Str(IAM_PRINCIPAL, "an IAM role or user ARN"))),
    }),
  ),
  kafka: Opt(AwsKafkaSchema),
  postgres: Opt(AwsPostgresSchema),
  objectStore: Opt(
    Strict({ accessLogRetentionDays: Opt(Int(1, 3650, { description: "default per environment" })) }),
  ),
  iam: Opt(
    Strict({
      permissionsBoundaryArn: Opt(
        Str(
          /^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}|aws):policy\/[A-Za-z0-9+=,.@_/-]+$/,
          "an IAM managed policy ARN",
        ),
      ),
      rolePath: Opt(
        Str(/^\/([A-Za-z0-9+=,.@_-]+\/)*$/, "an IAM path such as /mlstack/ (starts and ends with '/')", {
          default: "/mlstack/",
        }),
      ),
    }),
  ),
});
type AwsValues = Static<typeof AwsSchema>;

export function parseAwsConfig(
  r: Reader,
  value: AwsValues | undefined,
  config: PlatformConfig,
): AwsTargetConfig {
  const path = "aws";
  if (value === undefined)
    r.fail(
      path,
      value,
      "is required when mlstack:target is aws (the EKS cluster, its OIDC provider and network)",
    );
  // A missing block is one problem, not one per key inside it.
  const obj: Partial<AwsValues> = value ?? {};
  const env = ENV_DEFAULTS[config.environment];
  const region = obj.region ?? "";
  const cluster = parseCluster(r, obj.cluster, `${path}.cluster`, region);
  const streaming = config.serving.models.filter((m) => m.kafka).map((m) => m.name);
  if (streaming.length > 0 && !cluster.kedaOperatorRoleArn && obj.cluster !== undefined) {
    r.fail(
      `${path}.cluster.kedaOperatorRoleArn`,
      undefined,
      `is required: model(s) ${streaming.join(", ")} stream from Kafka and KEDA reads their consumer lag on MSK with its own IAM role`,
    );
  }
  const oidc = OIDC_ARN.exec(cluster.oidcProviderArn);
  const network = parseNetwork(r, obj.network, `${path}.network`);
  const kafka = parseKafka(r, obj.kafka ?? {}, `${path}.kafka`, config, network, env);
  const postgres = parseAwsPostgres(r, obj.postgres ?? {}, `${path}.postgres`, config, env);

  config.objectStore.buckets.forEach((bucket, i) => {
    if (!bucket.versioning) {
      r.fail(
        `objectStore.buckets[${i}].versioning`,
        false,
        "cannot be false on aws (every S3 bucket keeps versions; lifecycle.noncurrentVersionExpirationDays bounds what they cost)",
      );
    }
  });

  return {
    region,
    accountId: oidc?.[2] ?? "",
    partition: oidc?.[1] ?? "aws",
    cluster,
    network,
    kms: {
      deletionWindowDays: obj.kms?.deletionWindowDays ?? 30,
      rotationPeriodDays: obj.kms?.rotationPeriodDays ?? 365,
      adminPrincipalArns: obj.kms?.adminPrincipalArns ?? [],
    },
    kafka,
    postgres,
    objectStore: { accessLogRetentionDays: obj.objectStore?.accessLogRetentionDays ?? env.logDays },
    iam: {
      permissionsBoundaryArn: obj.iam?.permissionsBoundaryArn,
      rolePath: obj.iam?.rolePath ?? "/mlstack/",
    },
  };
}

function parseCluster(
  r: Reader,
  value: AwsValues["cluster"] | undefined,
  path: string,
  region: string,
): AwsClusterConfig {
  const obj: Partial<AwsValues["cluster"]> = value ?? {};
  const oidcProviderArn = obj.oidcProviderArn ?? "";
  const oidcIssuer = (obj.oidcProviderUrl ?? "").replace(/^https:\/\//, "").replace(/\/$/, "");
  const fromArn = OIDC_ARN.exec(oidcProviderArn)?.[3];
  if (oidcProviderArn && oidcIssuer && fromArn !== undefined && fromArn !== oidcIssuer) {
    r.fail(
      `${path}.oidcProviderUrl`,
      obj.oidcProviderUrl,
      `does not match oidcProviderArn (whose provider is "${fromArn}"); both must name the same cluster's issuer`,
    );
  }
  const eks = EKS_ISSUER.exec(oidcIssuer);
  if (eks && region && eks[1] !== region) {
    r.fail(
      `${path}.oidcProviderUrl`,
      obj.oidcProviderUrl,
      `is an issuer in region ${eks[1]}, but mlstack:aws.region is ${region}; the managed services must be in the cluster's region`,
    );
  }

  const modes = (["context", "kubeconfig", "stackReference"] as const).filter((k) => obj[k] !== undefined);
  let access: AwsClusterAccess = { kind: "context", context: "" };
  if (value !== undefined && modes.length !== 1) {
    r.fail(
      path,
      modes.length === 0 ? undefined : modes,
      "must name how to reach the cluster with exactly one of context, kubeconfig or stackReference (never the runner's current context: a CI job must not deploy to whichever cluster it happens to point at)",
    );
  } else if (modes[0] === "context") {
    access = { kind: "context", context: obj.context ?? "" };
  } else if (modes[0] === "kubeconfig") {
    access = { kind: "kubeconfig", kubeconfig: obj.kubeconfig ?? "" };
  } else if (modes[0] === "stackReference") {
    const ref = typeof obj.stackReference === "string" ? { name: obj.stackReference } : obj.stackReference;
    access = { kind: "stackReference", stack: ref?.name ?? "", output: ref?.output ?? "kubeconfig" };
  }

  return {
    name: obj.name ?? "",
    access,
    oidcProviderArn,
    oidcIssuer,
    nodeSecurityGroupId: obj.nodeSecurityGroupId ?? "",
    kedaOperatorRoleArn: obj.kedaOperatorRoleArn,
  };
}

function parseNetwork(r: Reader, value: AwsValues["network"] | undefined, path: string): AwsNetworkConfig {
  const obj: Partial<AwsValues["network"]> = value ?? {};
  const vpcCidr = obj.vpcCidr ?? "";
  const subnetIds = obj.privateSubnetIds ?? [];
  const subnetCidrs = obj.privateSubnetCidrs ?? [];
  if (obj.privateSubnetCidrs !== undefined && subnetCidrs.length !== subnetIds.length) {
    r.fail(
      `${path}.privateSubnetCidrs`,
      obj.privateSubnetCidrs,
      `has ${subnetCidrs.length} entries for ${subnetIds.length} privateSubnetIds; give each subnet's CIDR`,
    );
  }
  if (vpcCidr) {
    subnetCidrs.forEach((cidr, i) => {
      if (!cidrContains(vpcCidr, cidr))
        r.fail(`${path}.privateSubnetCidrs[${i}]`, cidr, `is not inside vpcCidr ${vpcCidr}`);
    });
  }
  return {
    vpcId: obj.vpcId ?? "",
    vpcCidr,
    privateSubnetIds: subnetIds,
    privateSubnetCidrs: subnetCidrs,
    awsApiCidrs: obj.awsApiCidrs ?? ["0.0.0.0/0"],
  };
}

function parseKafka(
  r: Reader,
  obj: Static<typeof AwsKafkaSchema>,
  path: string,
  config: PlatformConfig,
  network: AwsNetworkConfig,
  env: (typeof ENV_DEFAULTS)[Environment],
): AwsKafkaConfig {
  const version = obj.version ?? "4.1.x.kraft";
  const [major, minor] = version.split(".").map(Number);
  if (major < 3 || (major === 3 && minor < 6)) {
    r.fail(
      `${path}.version`,
      version,
      "is older than 3.6, which the MSK topic API (how mlstack creates topics) requires; use 3.9.x or 4.1.x.kraft",
    );
  }
  const subnets = network.privateSubnetIds.length;
  if (subnets > 0 && config.kafka.brokers % subnets !== 0) {
    const multiples = [1, 2, 3].map((n) => n * subnets).join(", ");
    r.fail(
      "kafka.brokers",
      config.kafka.brokers,
      `is not a multiple of the ${subnets} private subnets in mlstack:aws.network.privateSubnetIds (MSK puts the same number of brokers in each); use ${multiples}, ...`,
    );
  }
  const authentication: MskAuthentication = obj.authentication ?? "iam";
  const aclJobImage = obj.aclJobImage;
  if (authentication === "scram" && !aclJobImage) {
    r.fail(
      `${path}.aclJobImage`,
      undefined,
      "is required with authentication scram: an image with the Kafka CLI and aws-msk-iam-auth that applies each workload's ACLs (see stacks/aws/README.md)",
    );
  }
  if (aclJobImage && !config.registries.some((reg) => aclJobImage.startsWith(`${reg}/`))) {
    r.fail(
      `${path}.aclJobImage`,
      aclJobImage,
      `is not from an allowed registry (mlstack:registries: ${config.registries.join(", ")})`,
    );
  }
  const volumeSizeGiB = quantityToGiB(config.kafka.storageSize);
  if (volumeSizeGiB > 16384)
    r.fail("kafka.storageSize", config.kafka.storageSize, "is more than MSK's 16384 GiB per broker");
  const logRetentionDays = obj.logRetentionDays ?? env.logDays;
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays))
    r.fail(
      `${path}.logRetentionDays`,
      logRetentionDays,
      `is not a CloudWatch Logs retention (${LOG_RETENTION_DAYS.join(", ")})`,
    );
  return {
    version,
    instanceType: obj.instanceType ?? "kafka.m7g.large",
    volumeSizeGiB: Math.max(1, volumeSizeGiB),
    authentication,
    logRetentionDays,
    enhancedMonitoring: obj.enhancedMonitoring ?? env.monitoring,
    aclJobImage,
  };
}

/** Whole GiB (rounded up) of a Kubernetes quantity such as `500Gi`, `1Ti` or `100G`. */
export function quantityToGiB(quantity: string): number {
  return isQuantity(quantity) ? quantityGiB(quantity) : 0;
}

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** Whether `inner` lies entirely inside `outer` (both IPv4 CIDRs). */
export function cidrContains(outer: string, inner: string): boolean {
  const [outerIp, outerBits] = outer.split("/");
  const [innerIp, innerBits] = inner.split("/");
  if (Number(innerBits) < Number(outerBits)) return false;
  const size = 2 ** (32 - Number(outerBits));
  const base = Math.floor(ipv4ToInt(outerIp) / size);
  return Math.floor(ipv4ToInt(innerIp) / size) === base;
}
