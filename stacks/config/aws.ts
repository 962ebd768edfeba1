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
import type { AwsKafkaConfig, MskAuthentication } from "../../components/kafka/mskSettings";
import type {
  AwsPostgresConfig,
  PostgresLogStatement,
  PostgresWorkloadAuthentication,
  RdsEngine,
} from "../../components/postgres/rdsSettings";
import { IPV4_CIDR_RULE, isIpv4Cidr } from "../../components/kube/cidr";
import { isQuantity, quantityGiB } from "../../components/kube/quantity";
import { parseAwsPostgres } from "./awsPostgres";
import { SG, SUBNET, VPC } from "./awsIds";
import { Reader, keyPath } from "./reader";
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
const REGION_RULE = "an AWS region such as eu-west-1";
const OIDC_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):oidc-provider\/(.+)$/;
const OIDC_ARN_RULE =
  "an IAM OIDC provider ARN such as arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
const EKS_ISSUER = /^oidc\.eks\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/id\/[A-Za-z0-9]+$/;
const ISSUER = /^[a-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._~-]+)*$/;
const IAM_PRINCIPAL = /^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:(role|user)\/[A-Za-z0-9+=,.@_/-]+$/;
const IMAGE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/;

const KNOWN = ["region", "cluster", "network", "kms", "kafka", "postgres", "objectStore", "iam"] as const;

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

export function parseAwsConfig(reader: Reader, value: unknown, config: PlatformConfig): AwsTargetConfig {
  const path = "aws";
  // A missing block is one problem, not one per key inside it: the rest is read by a scratch reader.
  const r = missing(
    reader,
    value,
    path,
    "is required when mlstack:target is aws (the EKS cluster, its OIDC provider and network)",
  );
  const obj = r.object(value, path);
  r.knownKeys(obj, path, KNOWN);
  const env = ENV_DEFAULTS[config.environment];

  const region = r.string(obj, "region", path, "", REGION, REGION_RULE);
  if (obj.region === undefined)
    r.fail(`${path}.region`, undefined, "is required (the region of the EKS cluster)");
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
  const kafka = parseKafka(r, obj.kafka, `${path}.kafka`, config, network, env);
  const postgres = parseAwsPostgres(r, obj.postgres, `${path}.postgres`, config, env);

  const kmsRaw = r.object(obj.kms, `${path}.kms`);
  r.knownKeys(kmsRaw, `${path}.kms`, ["deletionWindowDays", "rotationPeriodDays", "adminPrincipalArns"]);
  const objectStoreRaw = r.object(obj.objectStore, `${path}.objectStore`);
  r.knownKeys(objectStoreRaw, `${path}.objectStore`, ["accessLogRetentionDays"]);
  const iamRaw = r.object(obj.iam, `${path}.iam`);
  r.knownKeys(iamRaw, `${path}.iam`, ["permissionsBoundaryArn", "rolePath"]);

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
      deletionWindowDays: r.integer(kmsRaw, "deletionWindowDays", `${path}.kms`, 30, 7, 30),
      rotationPeriodDays: r.integer(kmsRaw, "rotationPeriodDays", `${path}.kms`, 365, 90, 2560),
      adminPrincipalArns: r.stringList(
        kmsRaw,
        "adminPrincipalArns",
        `${path}.kms`,
        [],
        IAM_PRINCIPAL,
        "an IAM role or user ARN",
      ),
    },
    kafka,
    postgres,
    objectStore: {
      accessLogRetentionDays: r.integer(
        objectStoreRaw,
        "accessLogRetentionDays",
        `${path}.objectStore`,
        env.logDays,
        1,
        3650,
      ),
    },
    iam: {
      permissionsBoundaryArn: r.optionalString(
        iamRaw,
        "permissionsBoundaryArn",
        `${path}.iam`,
        /^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}|aws):policy\/[A-Za-z0-9+=,.@_/-]+$/,
        "an IAM managed policy ARN",
      ),
      rolePath: r.string(
        iamRaw,
        "rolePath",
        `${path}.iam`,
        "/mlstack/",
        /^\/([A-Za-z0-9+=,.@_-]+\/)*$/,
        "an IAM path such as /mlstack/ (starts and ends with '/')",
      ),
    },
  };
}

function parseCluster(reader: Reader, value: unknown, path: string, region: string): AwsClusterConfig {
  const r = missing(
    reader,
    value,
    path,
    "is required: name, one of context / kubeconfig / stackReference, oidcProviderArn, oidcProviderUrl, nodeSecurityGroupId",
  );
  const obj = r.object(value, path);
  r.knownKeys(obj, path, [
    "name",
    "context",
    "kubeconfig",
    "stackReference",
    "oidcProviderArn",
    "oidcProviderUrl",
    "nodeSecurityGroupId",
    "kedaOperatorRoleArn",
  ]);
  const required = (key: string, what: string) => {
    if (obj[key] === undefined || obj[key] === null)
      r.fail(keyPath(path, key), undefined, `is required (${what})`);
  };
  required("name", "the EKS cluster name");
  required(
    "oidcProviderArn",
    "the ARN of the cluster's IAM OIDC provider: aws eks describe-cluster --query cluster.identity.oidc.issuer, then aws iam list-open-id-connect-providers",
  );
  required(
    "oidcProviderUrl",
    "the cluster's OIDC issuer URL: aws eks describe-cluster --query cluster.identity.oidc.issuer",
  );
  required("nodeSecurityGroupId", "the security group of the cluster's worker nodes");

  const oidcProviderArn = r.string(obj, "oidcProviderArn", path, "", OIDC_ARN, OIDC_ARN_RULE);
  const issuerRaw =
    typeof obj.oidcProviderUrl === "string"
      ? obj.oidcProviderUrl.replace(/^https:\/\//, "").replace(/\/$/, "")
      : obj.oidcProviderUrl;
  const oidcIssuer = r.string(
    { oidcProviderUrl: issuerRaw },
    "oidcProviderUrl",
    path,
    "",
    ISSUER,
    "an OIDC issuer URL such as https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
  );
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

  const modes = (["context", "kubeconfig", "stackReference"] as const).filter(
    (k) => obj[k] !== undefined && obj[k] !== null,
  );
  let access: AwsClusterAccess = { kind: "context", context: "" };
  if (modes.length !== 1) {
    r.fail(
      path,
      modes.length === 0 ? undefined : modes,
      "must name how to reach the cluster with exactly one of context, kubeconfig or stackReference (never the runner's current context: a CI job must not deploy to whichever cluster it happens to point at)",
    );
  } else if (modes[0] === "context") {
    access = { kind: "context", context: r.string(obj, "context", path, "") };
  } else if (modes[0] === "kubeconfig") {
    access = { kind: "kubeconfig", kubeconfig: r.string(obj, "kubeconfig", path, "") };
  } else {
    const refPath = `${path}.stackReference`;
    const ref =
      typeof obj.stackReference === "string"
        ? { name: obj.stackReference }
        : r.object(obj.stackReference, refPath);
    r.knownKeys(ref, refPath, ["name", "output"]);
    if (ref.name === undefined)
      r.fail(`${refPath}.name`, undefined, "is required (the cluster stack, e.g. acme/eks/prod)");
    access = {
      kind: "stackReference",
      stack: r.string(
        ref,
        "name",
        refPath,
        "",
        /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/,
        "a stack name such as acme/eks/prod",
      ),
      output: r.string(
        ref,
        "output",
        refPath,
        "kubeconfig",
        /^[A-Za-z_][A-Za-z0-9_]*$/,
        "a stack output name",
      ),
    };
  }

  return {
    name: r.string(obj, "name", path, "", /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, "an EKS cluster name"),
    access,
    oidcProviderArn,
    oidcIssuer,
    nodeSecurityGroupId: r.string(
      obj,
      "nodeSecurityGroupId",
      path,
      "",
      SG,
      "a security group id such as sg-0123456789abcdef0",
    ),
    kedaOperatorRoleArn: r.optionalString(obj, "kedaOperatorRoleArn", path, IAM_PRINCIPAL, "an IAM role ARN"),
  };
}

function parseNetwork(reader: Reader, value: unknown, path: string): AwsNetworkConfig {
  const r = missing(reader, value, path, "is required: vpcId, vpcCidr, privateSubnetIds, privateSubnetCidrs");
  const obj = r.object(value, path);
  r.knownKeys(obj, path, ["vpcId", "vpcCidr", "privateSubnetIds", "privateSubnetCidrs", "awsApiCidrs"]);
  for (const key of ["vpcId", "vpcCidr", "privateSubnetIds", "privateSubnetCidrs"]) {
    if (obj[key] === undefined || obj[key] === null) r.fail(keyPath(path, key), undefined, "is required");
  }
  const vpcCidr = r.string(obj, "vpcCidr", path, "", isIpv4Cidr, IPV4_CIDR_RULE);
  const subnetIds = r.stringList(
    obj,
    "privateSubnetIds",
    path,
    [],
    SUBNET,
    "a subnet id such as subnet-0123456789abcdef0",
  );
  const subnetCidrs = r.stringList(obj, "privateSubnetCidrs", path, [], isIpv4Cidr, IPV4_CIDR_RULE);
  if (obj.privateSubnetIds !== undefined && subnetIds.length < 2) {
    r.fail(
      `${path}.privateSubnetIds`,
      obj.privateSubnetIds,
      "must list at least two private subnets in different availability zones (MSK and RDS Multi-AZ need two)",
    );
  }
  if (new Set(subnetIds).size !== subnetIds.length)
    r.fail(`${path}.privateSubnetIds`, obj.privateSubnetIds, "lists a subnet twice");
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
    vpcId: r.string(obj, "vpcId", path, "", VPC, "a VPC id such as vpc-0123456789abcdef0"),
    vpcCidr,
    privateSubnetIds: subnetIds,
    privateSubnetCidrs: subnetCidrs,
    awsApiCidrs: r.stringList(obj, "awsApiCidrs", path, ["0.0.0.0/0"], isIpv4Cidr, IPV4_CIDR_RULE),
  };
}

/** `reader`, or, when the block is missing (reported once here), a scratch reader for its keys. */
function missing(reader: Reader, value: unknown, path: string, rule: string): Reader {
  if (value !== undefined && value !== null) return reader;
  reader.fail(path, value, rule);
  return new Reader();
}

function parseKafka(
  r: Reader,
  value: unknown,
  path: string,
  config: PlatformConfig,
  network: AwsNetworkConfig,
  env: (typeof ENV_DEFAULTS)[Environment],
): AwsKafkaConfig {
  const obj = r.object(value, path);
  r.knownKeys(obj, path, [
    "version",
    "instanceType",
    "authentication",
    "logRetentionDays",
    "enhancedMonitoring",
    "aclJobImage",
  ]);
  const version = r.string(
    obj,
    "version",
    path,
    "4.1.x.kraft",
    /^[0-9]+\.[0-9]+\.([0-9]+|x)(\.[0-9]+)?(\.kraft)?$/,
    "an MSK Kafka version such as 4.1.x.kraft or 3.9.x",
  );
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
  const authentication = r.oneOf<MskAuthentication>(obj, "authentication", path, ["iam", "scram"], "iam");
  const aclJobImage = r.optionalString(
    obj,
    "aclJobImage",
    path,
    IMAGE,
    "an image reference with a registry host and a pinned tag or digest",
  );
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
  const logRetentionDays = r.integer(obj, "logRetentionDays", path, env.logDays, 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays))
    r.fail(
      `${path}.logRetentionDays`,
      logRetentionDays,
      `is not a CloudWatch Logs retention (${LOG_RETENTION_DAYS.join(", ")})`,
    );
  return {
    version,
    instanceType: r.string(
      obj,
      "instanceType",
      path,
      "kafka.m7g.large",
      /^(kafka|express)\.[a-z0-9]+\.[a-z0-9]+$/,
      "an MSK broker instance type such as kafka.m7g.large",
    ),
    volumeSizeGiB: Math.max(1, volumeSizeGiB),
    authentication,
    logRetentionDays,
    enhancedMonitoring: r.oneOf(
      obj,
      "enhancedMonitoring",
      path,
      ["DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"] as const,
      env.monitoring,
    ),
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
