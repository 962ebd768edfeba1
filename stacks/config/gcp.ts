/**
 * `mlstack:gcp`: the GCP target's settings — the project, the existing GKE cluster and how Pulumi
 * reaches it, the VPC the managed services attach to, and sizes of the managed services.
 *
 * Everything a GCP resource needs to be private (network, subnets, private services range) is
 * required: there is no default that could put a database or a broker on a public address.
 */
import type { GcpSubnetConfig } from "../../components/kafka/managedKafkaSettings";
import type { KmsProtectionLevel } from "../../components/kms/gcpSettings";
import { CloudSqlEdition, LOOPBACK_HOSTS } from "../../components/postgres/cloudSqlSettings";
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { CloudSqlPostgresSchema, parseCloudSqlPostgres } from "./gcpPostgres";
import type { Reader } from "./reader";
import { Bool, Int, List, OneOf, Opt, Str, Strict, Text } from "./schemaKinds";
import type { Environment, PlatformConfig } from "./types";
import { validateSection } from "./validate";

// The Managed Kafka, Cloud SQL and Cloud KMS components own these; re-exported for the config model's readers.
export type { CloudSqlEdition, GcpSubnetConfig, KmsProtectionLevel };
export { LOOPBACK_HOSTS };

/** How pods reach Google APIs (GCS) over 443; see `GcpNetworkConfig.googleApis`. */
export type GoogleApisAccess = "private" | "restricted" | "public";

/** Where Pulumi finds the credentials for the cluster's Kubernetes API. */
export type GcpClusterAccess =
  | {
      kind: "kubeconfig";
      /** Path to, or contents of, a kubeconfig; unset = the ambient one (`KUBECONFIG` / ~/.kube/config). */
      kubeconfig?: string;
      /** Context to use. Default `gke_<cluster project>_<location>_<name>`, the name `gcloud container clusters get-credentials` writes. */
      context: string;
    }
  | {
      kind: "stackReference";
      /** Fully qualified stack (`org/project/stack`) that owns the cluster. */
      stack: string;
      /** Name of that stack's output holding a kubeconfig. Default `kubeconfig`. */
      output: string;
    };

/** The existing GKE cluster the workloads run on (never created or changed by mlstack). */
export interface GcpClusterConfig {
  name: string;
  /** Region or zone of the cluster; must be in `gcp.region`. Default: `gcp.region`. */
  location: string;
  /** Project of the cluster. Default: `gcp.project`. */
  project: string;
  /** Workload Identity pool the cluster federates: `<cluster project>.svc.id.goog`. */
  workloadPool: string;
  access: GcpClusterAccess;
}

export interface GcpNetworkConfig {
  /** Project owning the VPC (the Shared VPC host project). Default: `gcp.project`. */
  project: string;
  /** VPC network name. */
  vpc: string;
  /** `projects/<network project>/global/networks/<vpc>`. */
  vpcId: string;
  /** The cluster's subnets in `gcp.region` (at least one). Managed Kafka attaches to all of them. */
  subnets: GcpSubnetConfig[];
  /** Private services access (VPC peering to Google services): Cloud SQL takes its private IP from this range. */
  privateServicesAccess: {
    /** The allocated range, e.g. 10.60.0.0/16: pods get egress to it on 5432 only. */
    cidr: string;
    /** Allocated range name. Default: when `create`, `<stack>-psa`; otherwise unset (Cloud SQL may use any allocated range). */
    rangeName?: string;
    /**
     * Create the allocated range and the peering. Default false: the peering is one per VPC and
     * usually owned by the network team; creating a second one would replace theirs.
     */
    create: boolean;
  };
  /**
   * How pods reach Google APIs (GCS): `private` (private.googleapis.com, 199.36.153.8/30),
   * `restricted` (restricted.googleapis.com, 199.36.153.4/30, for VPC Service Controls) or
   * `public` (0.0.0.0/0 on 443 only). Default `private`; the VPC needs Private Google Access and
   * a DNS zone mapping *.googleapis.com to the chosen VIP.
   */
  googleApis: GoogleApisAccess;
  /** The CIDRs that follow from `googleApis`: what workload NetworkPolicies allow on 443. */
  googleApisCidrs: string[];
}

/** A principal outside the platform (an upstream producer, a downstream consumer) that uses the stack's topics. */
export interface GcpKafkaClientConfig {
  /** Google service account e-mail. */
  serviceAccount: string;
  /** Topics (logical names from `mlstack:kafka.topics`) it consumes. */
  read: string[];
  /** Topics it produces to. */
  write: string[];
  /** Consumer groups it may use. */
  consumerGroups: string[];
}

export interface GcpKafkaConfig {
  /** vCPUs of the cluster (at least 3). Default dev/staging 3, prod 6. */
  vcpuCount: number;
  /** Memory in GiB: 1 to 8 per vCPU. Default dev 3, staging 12, prod 24. */
  memoryGib: number;
  clients: GcpKafkaClientConfig[];
  /** `gcp.kafka.lagScaler`: who reads streaming models' consumer lag from Cloud Monitoring. */
  lagScaler: GcpLagScalerConfig;
}

/**
 * The KEDA operator's Workload Identity: KEDA's `gcp-stackdriver` scaler reads the Managed Kafka
 * consumer-lag metric as the operator's own pod (TriggerAuthentication `podIdentity.provider: gcp`),
 * so that principal gets `roles/monitoring.viewer` on the project, directly (no Google service
 * account, no key, no annotation on KEDA's ServiceAccount).
 */
export interface GcpLagScalerConfig {
  /** The KEDA operator's namespace (`mlstack:network.kedaNamespace`). */
  kedaNamespace: string;
  /** Its ServiceAccount. Default `keda-operator` (the kedacore/keda chart's). */
  kedaServiceAccount: string;
  /** Number of the cluster's project (the Workload Identity pool's). Default `gcp.projectNumber` when the cluster is in `gcp.project`. */
  clusterProjectNumber: string;
  /**
   * `principal://iam.googleapis.com/projects/<clusterProjectNumber>/locations/global/workloadIdentityPools/<pool>/subject/ns/<namespace>/sa/<serviceAccount>`:
   * the IAM principal of that ServiceAccount's pods (Google Cloud, "Authenticate to Google Cloud APIs
   * from GKE workloads", principal identifiers for Workload Identity Federation for GKE).
   */
  kedaPrincipal: string;
}

export interface GcpPostgresConfig {
  /** Machine tier. Default dev `db-custom-1-3840`, staging `db-custom-2-7680`, prod `db-custom-4-16384`. */
  tier: string;
  /** Default `ENTERPRISE`; `ENTERPRISE_PLUS` needs a `db-perf-optimized-N-*` tier. */
  edition: CloudSqlEdition;
  /** `mlstack:postgres.storageSize` in GB (Cloud SQL's unit, at least 10); disks grow automatically beyond it. */
  diskSizeGb: number;
  /** Daily backup start (UTC, HH:MM), from `mlstack:postgres.backup.schedule`. */
  backupStartTime: string;
  /** WAL kept for point-in-time recovery: retentionDays capped at 7 (ENTERPRISE) or 35 (ENTERPRISE_PLUS). */
  transactionLogRetentionDays: number;
  /**
   * Address Pulumi uses to create roles and databases (`@pulumi/postgresql`). Default: the
   * instance's private IP, reachable from a runner inside the VPC. Set `127.0.0.1` when the runner
   * starts the Cloud SQL Auth Proxy instead; the proxy then carries the encryption.
   */
  adminHost?: string;
  /** Weekly maintenance window (UTC): day 1 (Monday) to 7, hour 0-23. Default Sunday 03:00. */
  maintenanceWindow: { day: number; hour: number };
}

export interface GcpKmsConfig {
  /** Automatic rotation period in days: 1 to 90. Default 90. */
  rotationDays: number;
  /** Default `SOFTWARE`; `HSM` keeps key material in Cloud HSM (FIPS 140-2 level 3). */
  protectionLevel: KmsProtectionLevel;
}

export interface GcpStorageConfig {
  /** Days the access-log bucket keeps its logs. Default 365 in prod, 90 elsewhere. */
  accessLogRetentionDays: number;
}

/** `mlstack:gcp` once validated. */
export interface GcpTargetConfig {
  /** Project the managed services are created in. */
  project: string;
  /** Its number: service agents (`service-<number>@gcp-sa-…`) are named after it. */
  projectNumber: string;
  /** Region of Kafka, Cloud SQL, the buckets and the keys. */
  region: string;
  cluster: GcpClusterConfig;
  network: GcpNetworkConfig;
  kafka: GcpKafkaConfig;
  postgres: GcpPostgresConfig;
  kms: GcpKmsConfig;
  storage: GcpStorageConfig;
}

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const PROJECT_ID_RULE =
  "a Google Cloud project ID: 6 to 30 lowercase letters, digits and '-', starting with a letter";
const PROJECT_NUMBER = /^[1-9][0-9]{5,19}$/;
const REGION = /^[a-z]+(-[a-z]+)+[0-9]+$/;
const LOCATION = /^[a-z]+(-[a-z]+)+[0-9]+(-[a-z])?$/;
const RESOURCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SERVICE_ACCOUNT =
  /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/;
const STACK_REFERENCE = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const CONSUMER_GROUP = /^[a-z0-9][-a-z0-9._]*$/;
const KUBE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A string with its rule, which is also what a missing one is told (`is required (<rule>)`). */
const Ruled = (pattern: RegExp, rule: string) => Str(pattern, rule, { description: rule });
/** Project numbers: YAML and the engine may hand one over as a number. */
const ProjectNumber = (rule: string) =>
  Type.Unsafe<string>({
    type: ["string", "number"],
    pattern: PROJECT_NUMBER.source,
    patternErrorMessage: rule,
    description: rule,
  });

const GcpClusterSchema = Strict(
  {
    name: Ruled(RESOURCE_NAME, "a GKE cluster name: lowercase letters, digits and '-'"),
    location: Opt(
      Str(LOCATION, "a region or zone such as europe-west4 or europe-west4-b", {
        description: "default gcp.region",
      }),
    ),
    project: Opt(Str(PROJECT_ID, PROJECT_ID_RULE, { description: "default gcp.project" })),
    kubeconfig: Opt(Text("path to, or contents of, a kubeconfig")),
    context: Opt(Text("default gke_<project>_<location>_<name>")),
    stackReference: Opt(Str(STACK_REFERENCE, "a fully qualified stack name: <org>/<project>/<stack>")),
    stackReferenceOutput: Opt(Str(/^[A-Za-z_][A-Za-z0-9_]*$/, "an output name", { default: "kubeconfig" })),
  },
  { description: "name the existing GKE cluster (name, and location when it is zonal)" },
);

const GcpNetworkSchema = Strict(
  {
    project: Opt(
      Str(PROJECT_ID, PROJECT_ID_RULE, { description: "the Shared VPC host project; default gcp.project" }),
    ),
    vpc: Ruled(RESOURCE_NAME, "a VPC network name"),
    subnets: Opt(
      List(
        Strict({
          name: Ruled(RESOURCE_NAME, "a subnetwork name"),
          cidr: Str("ipv4-cidr", undefined, { description: "an IPv4 CIDR block" }),
        }),
        {
          maxItems: 10,
          errorMessage: "lists more than 10 subnets, the most a Managed Kafka cluster attaches to",
        },
      ),
    ),
    privateServicesAccess: Strict(
      {
        cidr: Str("ipv4-cidr", undefined, { description: "the allocated range, e.g. 10.60.0.0/16" }),
        rangeName: Opt(Str(RESOURCE_NAME, "an allocated range name")),
        create: Opt(Bool({ default: false })),
      },
      {
        description: "Cloud SQL has a private IP only, taken from this range ({ cidr, rangeName?, create? })",
      },
    ),
    googleApis: Opt(OneOf<GoogleApisAccess>(["private", "restricted", "public"], { default: "private" })),
  },
  { description: "name the cluster's VPC, its subnets and the private services access range" },
);

const GcpKafkaSchema = Strict({
  vcpuCount: Opt(Int(3, 1000, { description: "default per environment" })),
  memoryGib: Opt(Int(3, 8000, { description: "1 to 8 GiB per vCPU; default per environment" })),
  clients: Opt(
    List(
      Strict({
        serviceAccount: Ruled(
          SERVICE_ACCOUNT,
          "a Google service account e-mail (name@project.iam.gserviceaccount.com)",
        ),
        read: Opt(List(Text("a declared topic"))),
        write: Opt(List(Text("a declared topic"))),
        consumerGroups: Opt(List(Str(CONSUMER_GROUP, "a consumer group id"))),
      }),
    ),
  ),
  lagScaler: Opt(
    Strict({
      kedaServiceAccount: Opt(
        Str(KUBE_NAME, "a Kubernetes ServiceAccount name (the KEDA operator's)", {
          default: "keda-operator",
        }),
      ),
      clusterProjectNumber: Opt(ProjectNumber("a project number: digits only")),
    }),
  ),
});

export const GcpSchema = Strict({
  project: Ruled(PROJECT_ID, PROJECT_ID_RULE),
  projectNumber: ProjectNumber(
    "a project number: digits only (gcloud projects describe <project> --format='value(projectNumber)')",
  ),
  region: Ruled(REGION, "a region such as europe-west4"),
  cluster: GcpClusterSchema,
  network: GcpNetworkSchema,
  kafka: Opt(GcpKafkaSchema),
  postgres: Opt(CloudSqlPostgresSchema),
  kms: Opt(
    Strict({
      rotationDays: Opt(Int(1, 90, { default: 90 })),
      protectionLevel: Opt(OneOf<KmsProtectionLevel>(["SOFTWARE", "HSM"], { default: "SOFTWARE" })),
    }),
  ),
  storage: Opt(
    Strict({
      accessLogRetentionDays: Opt(Int(1, 3650, { description: "default 365 in prod, 90 elsewhere" })),
    }),
  ),
});
type GcpValues = Static<typeof GcpSchema>;

/** The Private Google Access VIPs (documented, fixed by Google). */
export const GOOGLE_APIS_CIDRS: Record<GoogleApisAccess, string[]> = {
  private: ["199.36.153.8/30"],
  restricted: ["199.36.153.4/30"],
  public: ["0.0.0.0/0"],
};

const SIZES: Record<Environment, { vcpu: number; memoryGib: number; tier: string; logDays: number }> = {
  dev: { vcpu: 3, memoryGib: 3, tier: "db-custom-1-3840", logDays: 90 },
  staging: { vcpu: 3, memoryGib: 12, tier: "db-custom-2-7680", logDays: 90 },
  prod: { vcpu: 6, memoryGib: 24, tier: "db-custom-4-16384", logDays: 365 },
};

export function parseGcpConfig(
  r: Reader,
  value: GcpValues | undefined,
  config: PlatformConfig,
): GcpTargetConfig {
  // No block at all: each required key is reported, as for an empty block.
  const obj: Partial<GcpValues> = value ?? validateSection<Partial<GcpValues>>(GcpSchema, {}, r, "gcp");
  const project = obj.project ?? "";
  const projectNumber = obj.projectNumber ?? "";
  const region = obj.region ?? "";
  const sizes = SIZES[config.environment];
  const cluster = parseCluster(r, obj.cluster, project, region);
  config.objectStore.buckets.forEach((bucket, i) => {
    if (bucket.name.includes("google") || bucket.name.startsWith("goog")) {
      r.fail(
        `objectStore.buckets[${i}].name`,
        bucket.name,
        'contains "google", which GCS bucket names may not',
      );
    }
  });

  return {
    project,
    projectNumber,
    region,
    cluster,
    network: parseNetwork(r, obj.network, project, region, config),
    kafka: parseKafka(r, obj.kafka ?? {}, sizes, config, { project, projectNumber, cluster }),
    postgres: parseCloudSqlPostgres(r, obj.postgres ?? {}, sizes.tier, config),
    kms: {
      rotationDays: obj.kms?.rotationDays ?? 90,
      protectionLevel: obj.kms?.protectionLevel ?? "SOFTWARE",
    },
    storage: { accessLogRetentionDays: obj.storage?.accessLogRetentionDays ?? sizes.logDays },
  };
}

function parseCluster(
  r: Reader,
  value: GcpValues["cluster"] | undefined,
  project: string,
  region: string,
): GcpClusterConfig {
  const path = "gcp.cluster";
  const obj: Partial<GcpValues["cluster"]> = value ?? {};
  const name = obj.name ?? "";
  const location = obj.location ?? region;
  if (region && location !== region && !location.startsWith(`${region}-`)) {
    r.fail(
      `${path}.location`,
      location,
      `is not in gcp.region ${region}: Kafka and Cloud SQL are created in the cluster's region so pods reach them privately`,
    );
  }
  const clusterProject = obj.project ?? project;
  const { kubeconfig, context } = obj;
  const stack = obj.stackReference;
  if (obj.stackReference !== undefined && (kubeconfig !== undefined || context !== undefined)) {
    r.fail(
      `${path}.stackReference`,
      obj.stackReference,
      "cannot be combined with kubeconfig or context: choose one way to reach the cluster",
    );
  }
  if (obj.stackReferenceOutput !== undefined && obj.stackReference === undefined) {
    r.fail(`${path}.stackReferenceOutput`, obj.stackReferenceOutput, "is only read with stackReference");
  }
  const access: GcpClusterAccess =
    stack !== undefined
      ? { kind: "stackReference", stack, output: obj.stackReferenceOutput ?? "kubeconfig" }
      : { kind: "kubeconfig", kubeconfig, context: context ?? `gke_${clusterProject}_${location}_${name}` };
  return { name, location, project: clusterProject, workloadPool: `${clusterProject}.svc.id.goog`, access };
}

function parseNetwork(
  r: Reader,
  value: GcpValues["network"] | undefined,
  project: string,
  region: string,
  config: PlatformConfig,
): GcpNetworkConfig {
  const path = "gcp.network";
  const obj: Partial<GcpValues["network"]> = value ?? {};
  const networkProject = obj.project ?? project;
  const vpc = obj.vpc ?? "";
  if (value !== undefined && (obj.subnets ?? []).length === 0) {
    r.fail(
      `${path}.subnets`,
      obj.subnets,
      "must list at least one of the cluster's subnets ({ name, cidr }): Managed Kafka attaches to them",
    );
  }
  const subnets = (obj.subnets ?? []).map((s): GcpSubnetConfig => ({
    name: s.name ?? "",
    cidr: s.cidr ?? "",
    id: `projects/${networkProject}/regions/${region}/subnetworks/${s.name ?? ""}`,
  }));
  r.unique(subnets, `${path}.subnets`, "subnet");

  const psaPath = `${path}.privateServicesAccess`;
  const psa: Partial<GcpValues["network"]["privateServicesAccess"]> = obj.privateServicesAccess ?? {};
  const create = psa.create ?? false;
  const psaCidr = psa.cidr ?? "";
  if (create && psaCidr) {
    const prefix = Number(psaCidr.split("/")[1]);
    if (prefix > 24)
      r.fail(
        `${psaPath}.cidr`,
        psaCidr,
        "is smaller than a /24, the least private services access allocates",
      );
  }
  const rangeName = psa.rangeName ?? (create ? truncateName(`${config.stack}-psa`) : undefined);
  const googleApis = obj.googleApis ?? "private";
  return {
    project: networkProject,
    vpc,
    vpcId: `projects/${networkProject}/global/networks/${vpc}`,
    subnets,
    privateServicesAccess: { cidr: psaCidr, rangeName, create },
    googleApis,
    googleApisCidrs: GOOGLE_APIS_CIDRS[googleApis],
  };
}

function parseKafka(
  r: Reader,
  obj: Static<typeof GcpKafkaSchema>,
  sizes: (typeof SIZES)[Environment],
  config: PlatformConfig,
  where: { project: string; projectNumber: string; cluster: GcpClusterConfig },
): GcpKafkaConfig {
  const path = "gcp.kafka";
  const lagScaler = parseLagScaler(r, obj.lagScaler ?? {}, config, where);
  const vcpuCount = obj.vcpuCount ?? sizes.vcpu;
  const memoryGib = obj.memoryGib ?? Math.max(sizes.memoryGib, vcpuCount);
  if (memoryGib < vcpuCount || memoryGib > vcpuCount * 8) {
    r.fail(
      `${path}.memoryGib`,
      memoryGib,
      `is outside 1 to 8 GiB per vCPU (${vcpuCount} vCPUs: ${vcpuCount} to ${vcpuCount * 8})`,
    );
  }
  config.kafka.topics.forEach((topic, i) => {
    if (topic.replicas > 3) {
      r.fail(
        `kafka.topics[${i}].replicas`,
        topic.replicas,
        "is more than 3: Managed Kafka replicates each partition across three zones (replication factor 3)",
      );
    }
  });

  const topics = config.kafka.topics.map((t) => t.name);
  const clients = (obj.clients ?? []).map((c, i): GcpKafkaClientConfig => {
    const cpath = `${path}.clients[${i}]`;
    const client: GcpKafkaClientConfig = {
      serviceAccount: c.serviceAccount ?? "",
      read: c.read ?? [],
      write: c.write ?? [],
      consumerGroups: c.consumerGroups ?? [],
    };
    if (client.read.length + client.write.length === 0)
      r.fail(cpath, c, "grants no topic: list the topics it reads or writes");
    for (const key of ["read", "write"] as const) {
      client[key].forEach((topic, j) => {
        if (!topics.includes(topic))
          r.fail(
            `${cpath}.${key}[${j}]`,
            topic,
            `is not a declared topic (declared: ${topics.join(", ") || "none"})`,
          );
      });
    }
    if (client.consumerGroups.length > 0 && client.read.length === 0) {
      r.fail(`${cpath}.consumerGroups`, client.consumerGroups, "is only useful with topics to read");
    }
    return client;
  });
  const seen = new Set<string>();
  clients.forEach((c, i) => {
    if (c.serviceAccount && seen.has(c.serviceAccount))
      r.fail(
        `${path}.clients[${i}].serviceAccount`,
        c.serviceAccount,
        "is declared twice; merge its topics into one entry",
      );
    seen.add(c.serviceAccount);
  });
  return { vcpuCount, memoryGib, clients, lagScaler };
}

function parseLagScaler(
  r: Reader,
  obj: NonNullable<Static<typeof GcpKafkaSchema>["lagScaler"]>,
  config: PlatformConfig,
  where: { project: string; projectNumber: string; cluster: GcpClusterConfig },
): GcpLagScalerConfig {
  const path = "gcp.kafka.lagScaler";
  const kedaNamespace = config.network.kedaNamespace;
  const kedaServiceAccount = obj.kedaServiceAccount ?? "keda-operator";
  const sameProject = where.cluster.project === where.project;
  if (!sameProject && obj.clusterProjectNumber === undefined) {
    r.fail(
      `${path}.clusterProjectNumber`,
      undefined,
      `is required: the cluster is in project ${where.cluster.project}, not ${where.project}, and its Workload Identity principals are named by that project's number`,
    );
  }
  const clusterProjectNumber = obj.clusterProjectNumber ?? (sameProject ? where.projectNumber : "0");
  return {
    kedaNamespace,
    kedaServiceAccount,
    clusterProjectNumber,
    kedaPrincipal: `principal://iam.googleapis.com/projects/${clusterProjectNumber}/locations/global/workloadIdentityPools/${where.cluster.workloadPool}/subject/ns/${kedaNamespace}/sa/${kedaServiceAccount}`,
  };
}

/** A GCP resource name: lowercase, starting with a letter, at most 63 characters, not ending in '-'. */
function truncateName(name: string): string {
  const clean = name.toLowerCase().replace(/[^-a-z0-9]/g, "-");
  return (/^[a-z]/.test(clean) ? clean : `ml-${clean}`).slice(0, 63).replace(/-+$/, "");
}
