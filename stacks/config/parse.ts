/**
 * Turns raw `mlstack:*` values into a validated `PlatformConfig`, or throws one `ConfigError`
 * listing every problem (key path, bad value, what is allowed). Pure: no Pulumi calls, so it
 * runs before any resource is registered and is tested directly.
 */
import { PLATFORM_OWNER } from "../../components/platformIdentity";
import { CIDR_RULE, isCidr } from "../../components/kube/cidr";
import { parseAwsConfig } from "./aws";
import { parseGcpConfig } from "./gcp";
import {
  DEFAULT_KAFKA_VERSION,
  DEFAULT_MLFLOW_IMAGE,
  DEFAULT_OAUTH_PROXY_IMAGE,
  DEFAULT_OPERATORS,
  DEFAULT_POSTGRES_VERSION,
  DEFAULT_REGISTRIES,
  DEFAULT_RUNTIME_IMAGES,
  ENVIRONMENT_DEFAULTS,
  defaultResources,
  objectStoreDefaults,
} from "./defaults";
import { DNS_LABEL, DNS_LABEL_RULE, HOSTNAME, Raw, Reader } from "./reader";
import {
  BucketConfig,
  ContainerResources,
  ENVIRONMENTS,
  Environment,
  KafkaConfig,
  KafkaTopicConfig,
  MLFLOW_WORKLOAD,
  MlflowConfig,
  ModelConfig,
  NetworkConfig,
  ObjectStoreConfig,
  OperatorsConfig,
  PlatformConfig,
  PostgresConfig,
  ServingConfig,
  TARGETS,
  Target,
  TeamConfig,
} from "./types";

export { PLATFORM_OWNER };

const TOP_LEVEL_KEYS = [
  "target",
  "environment",
  "namespacePrefix",
  "protect",
  "teams",
  "kafka",
  "postgres",
  "objectStore",
  "mlflow",
  "serving",
  "operators",
  "registries",
  "ingress",
  "network",
  "aws",
  "gcp",
] as const;

const IMAGE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/;
const IMAGE_RULE =
  "an image reference with a registry host and a pinned tag or digest (e.g. ghcr.io/org/app:1.2.3)";
const TOPIC_NAME = /^[a-z0-9]([-a-z0-9.]{0,247}[a-z0-9])?$/;
const CRON6 = /^(\S+\s+){5}\S+$/;

export interface StackIdentity {
  project: string;
  stack: string;
}

/**
 * @param raw the `mlstack:*` keys without their namespace (`{ target: "kubernetes", teams: [...] }`),
 *            structured values already parsed from JSON.
 */
export function parseConfig(raw: Raw, identity: StackIdentity): PlatformConfig {
  const r = new Reader();
  r.knownKeys(raw, "", TOP_LEVEL_KEYS);

  const target = r.oneOf<Target>(raw, "target", "", TARGETS, "kubernetes");
  const environment = r.oneOf<Environment>(raw, "environment", "", ENVIRONMENTS, "dev");
  const env = ENVIRONMENT_DEFAULTS[environment];
  const prefixRaw = raw.namespacePrefix === "" ? undefined : raw.namespacePrefix;
  const namespacePrefix = r.string(
    { namespacePrefix: prefixRaw },
    "namespacePrefix",
    "",
    `ml-${environment}-`,
    /^([a-z][-a-z0-9]{0,30})?$/,
    "a namespace prefix: lowercase letters, digits and '-', starting with a letter, at most 31 characters",
  );
  const protectRaw = r.boolean(raw, "protect", "", env.protect);
  if (environment === "prod" && raw.protect !== undefined && !protectRaw) {
    r.fail("protect", raw.protect, "cannot be false in prod (stateful resources are always protected there)");
  }
  const protect = environment === "prod" ? true : protectRaw;

  const registries = r.stringList(
    raw,
    "registries",
    "",
    DEFAULT_REGISTRIES,
    /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/,
    "a registry host with an optional path (e.g. quay.io/myorg)",
  );
  const effectiveRegistries = registries.length > 0 ? registries : DEFAULT_REGISTRIES;

  const teams = parseTeams(r, raw.teams, environment, namespacePrefix);
  const teamNames = teams.map((t) => t.name);
  const serving = parseServing(r, raw.serving, environment, teamNames);
  const models = serving.models;
  const kafka = parseKafka(r, raw.kafka, environment, teamNames);
  const mlflow = parseMlflow(r, raw.mlflow, environment, target);
  const postgres = parsePostgres(r, raw.postgres, environment, models, mlflow);
  const objectStore = parseObjectStore(r, raw.objectStore, target, teamNames, mlflow, postgres);
  const operators = parseOperators(r, raw.operators, target, namespacePrefix);
  const ingress = parseIngress(r, raw.ingress);
  const network = parseNetwork(r, raw.network, target);

  const config: PlatformConfig = {
    target,
    environment,
    project: identity.project,
    stack: identity.stack,
    namespacePrefix,
    platformNamespace: `${namespacePrefix}platform`,
    protect,
    highAvailability: env.highAvailability,
    teams,
    kafka,
    postgres,
    objectStore,
    mlflow,
    serving,
    operators,
    registries: effectiveRegistries,
    ingress,
    network,
  };

  if (target === "aws") config.aws = parseAwsConfig(r, raw.aws, config);
  else if (raw.aws !== undefined)
    r.fail("aws", raw.aws, `is only read when mlstack:target is aws (target is ${target}); remove it`);
  if (target === "gcp") config.gcp = parseGcpConfig(r, raw.gcp, config);
  else if (raw.gcp !== undefined)
    r.fail("gcp", raw.gcp, `is only read when mlstack:target is gcp (target is ${target}); remove it`);

  checkCrossReferences(r, config);
  r.throwIfAny();
  return config;
}

function parseResources(
  r: Reader,
  value: unknown,
  path: string,
  fallback: ContainerResources,
): ContainerResources {
  const obj = r.object(value, path);
  r.knownKeys(obj, path, ["requests", "limits"]);
  const requests = r.object(obj.requests, `${path}.requests`);
  const limits = r.object(obj.limits, `${path}.limits`);
  r.knownKeys(requests, `${path}.requests`, ["cpu", "memory"]);
  r.knownKeys(limits, `${path}.limits`, ["cpu", "memory"]);
  return {
    requests: {
      cpu: r.quantity(requests, "cpu", `${path}.requests`, fallback.requests.cpu),
      memory: r.quantity(requests, "memory", `${path}.requests`, fallback.requests.memory),
    },
    limits: {
      cpu: r.quantity(limits, "cpu", `${path}.limits`, fallback.limits.cpu),
      memory: r.quantity(limits, "memory", `${path}.limits`, fallback.limits.memory),
    },
  };
}

function parseTeams(r: Reader, value: unknown, environment: Environment, prefix: string): TeamConfig[] {
  const env = ENVIRONMENT_DEFAULTS[environment];
  const items = r.array(value, "teams");
  const teams = items.map((item, i): TeamConfig => {
    const path = `teams[${i}]`;
    const obj = r.object(item, path);
    r.knownKeys(obj, path, ["name", "groups", "members", "quota"]);
    const name = r.string(obj, "name", path, "", DNS_LABEL, DNS_LABEL_RULE);
    if (obj.name === undefined) r.fail(`${path}.name`, undefined, "is required");
    if (name === "platform" || name === "operators")
      r.fail(`${path}.name`, name, "is reserved for the platform's own namespaces; choose another team name");
    const groups = r.stringList(obj, "groups", path, []);
    if (groups.length === 0)
      r.fail(
        `${path}.groups`,
        obj.groups,
        "must list at least one group (the team's RBAC binding has no subject otherwise)",
      );
    const quota = r.object(obj.quota, `${path}.quota`);
    r.knownKeys(quota, `${path}.quota`, ["cpu", "memory", "gpu", "pods", "storage"]);
    return {
      name,
      namespace: `${prefix}${name}`,
      groups,
      members: r.stringList(obj, "members", path, []),
      quota: {
        cpu: r.quantity(quota, "cpu", `${path}.quota`, env.quota.cpu),
        memory: r.quantity(quota, "memory", `${path}.quota`, env.quota.memory),
        gpu: r.integer(quota, "gpu", `${path}.quota`, 0, 0, 1024),
        pods: r.integer(quota, "pods", `${path}.quota`, 50, 1, 10000),
        storage: r.quantity(quota, "storage", `${path}.quota`, env.quota.storage),
      },
    };
  });
  if (items.length === 0 && value !== undefined) r.fail("teams", value, "must declare at least one team");
  r.unique(teams, "teams", "team");
  for (const team of teams) {
    if (team.namespace.length > 63)
      r.fail(
        `teams`,
        team.name,
        `gives namespace "${team.namespace}" longer than 63 characters; shorten the team name or mlstack:namespacePrefix`,
      );
  }
  return teams;
}

function parseKafka(r: Reader, value: unknown, environment: Environment, teams: string[]): KafkaConfig {
  const env = ENVIRONMENT_DEFAULTS[environment].kafka;
  const path = "kafka";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, [
    "name",
    "version",
    "apiVersion",
    "brokers",
    "controllers",
    "storageSize",
    "storageClass",
    "authentication",
    "replicationFactor",
    "minInsyncReplicas",
    "resources",
    "topics",
  ]);
  const brokers = r.integer(obj, "brokers", path, env.brokers, 1, 100);
  const replicationFactor = r.integer(
    obj,
    "replicationFactor",
    path,
    Math.min(env.replicationFactor, brokers),
    1,
    10,
  );
  const minInsyncReplicas = r.integer(
    obj,
    "minInsyncReplicas",
    path,
    Math.min(env.minInsyncReplicas, replicationFactor),
    1,
    10,
  );
  if (replicationFactor > brokers)
    r.fail(
      `${path}.replicationFactor`,
      replicationFactor,
      `is more than the ${brokers} broker(s); use at most ${brokers}`,
    );
  if (minInsyncReplicas > replicationFactor)
    r.fail(
      `${path}.minInsyncReplicas`,
      minInsyncReplicas,
      `is more than replicationFactor ${replicationFactor}; producers with acks=all could never write`,
    );
  if (environment !== "dev" && replicationFactor < 3)
    r.fail(
      `${path}.replicationFactor`,
      replicationFactor,
      `is below 3, which ${environment} does not allow (one broker loss must not lose data)`,
    );
  if (environment !== "dev" && minInsyncReplicas < 2)
    r.fail(`${path}.minInsyncReplicas`, minInsyncReplicas, `is below 2, which ${environment} does not allow`);

  const topics = r.array(obj.topics, `${path}.topics`).map((item, i): KafkaTopicConfig => {
    const tpath = `${path}.topics[${i}]`;
    const t = r.object(item, tpath);
    r.knownKeys(t, tpath, [
      "name",
      "partitions",
      "replicas",
      "retentionHours",
      "owner",
      "readers",
      "writers",
    ]);
    if (t.name === undefined) r.fail(`${tpath}.name`, undefined, "is required");
    if (t.owner === undefined)
      r.fail(
        `${tpath}.owner`,
        undefined,
        `is required (one of the declared teams: ${teams.join(", ") || "none"})`,
      );
    const replicas = r.integer(t, "replicas", tpath, replicationFactor, 1, 10);
    if (replicas > brokers) r.fail(`${tpath}.replicas`, replicas, `is more than the ${brokers} broker(s)`);
    return {
      name: r.string(
        t,
        "name",
        tpath,
        "",
        TOPIC_NAME,
        "a topic name: lowercase letters, digits, '.' and '-'",
      ),
      partitions: r.integer(t, "partitions", tpath, env.partitions, 1, 10000),
      replicas,
      retentionHours: r.integer(t, "retentionHours", tpath, 168, 1, 24 * 365 * 10),
      owner: r.string(t, "owner", tpath, ""),
      readers: r.stringList(t, "readers", tpath, []),
      writers: r.stringList(t, "writers", tpath, []),
    };
  });
  r.unique(topics, `${path}.topics`, "topic");
  topics.forEach((topic, i) => {
    const tpath = `${path}.topics[${i}]`;
    if (topic.owner && !teams.includes(topic.owner))
      r.fail(
        `${tpath}.owner`,
        topic.owner,
        `is not a declared team (declared: ${teams.join(", ") || "none"})`,
      );
    topic.readers.forEach((team, j) => {
      if (!teams.includes(team))
        r.fail(
          `${tpath}.readers[${j}]`,
          team,
          `is not a declared team (declared: ${teams.join(", ") || "none"})`,
        );
    });
    topic.writers.forEach((team, j) => {
      if (!teams.includes(team))
        r.fail(
          `${tpath}.writers[${j}]`,
          team,
          `is not a declared team (declared: ${teams.join(", ") || "none"})`,
        );
    });
  });

  return {
    name: r.string(obj, "name", path, "kafka", DNS_LABEL, DNS_LABEL_RULE),
    version: r.string(
      obj,
      "version",
      path,
      DEFAULT_KAFKA_VERSION,
      /^[0-9]+\.[0-9]+\.[0-9]+$/,
      "a Kafka version such as 4.1.0",
    ),
    apiVersion: r.oneOf(
      obj,
      "apiVersion",
      path,
      ["kafka.strimzi.io/v1", "kafka.strimzi.io/v1beta2"] as const,
      "kafka.strimzi.io/v1",
    ),
    brokers,
    controllers: r.integer(obj, "controllers", path, env.controllers, 1, 9),
    storageSize: r.quantity(obj, "storageSize", path, env.storageSize),
    storageClass: r.optionalString(obj, "storageClass", path),
    authentication: r.oneOf(obj, "authentication", path, ["scram-sha-512", "tls"] as const, "scram-sha-512"),
    replicationFactor,
    minInsyncReplicas,
    resources: parseResources(
      r,
      obj.resources,
      `${path}.resources`,
      environment === "dev"
        ? defaultResources("250m", "1Gi", "1", "2Gi")
        : defaultResources("1", "4Gi", "2", "8Gi"),
    ),
    topics,
  };
}

function parseMlflow(r: Reader, value: unknown, environment: Environment, target: Target): MlflowConfig {
  const path = "mlflow";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, [
    "image",
    "replicas",
    "auth",
    "oauthProxyImage",
    "hostname",
    "artifactBucket",
    "database",
    "resources",
  ]);
  const auth = r.oneOf(
    obj,
    "auth",
    path,
    ["basic", "oauth-proxy", "none"] as const,
    target === "openshift" ? "oauth-proxy" : "basic",
  );
  if (auth === "oauth-proxy" && target !== "openshift")
    r.fail(`${path}.auth`, auth, `needs the OpenShift OAuth server; on ${target} use "basic"`);
  if (auth === "none" && environment !== "dev")
    r.fail(
      `${path}.auth`,
      auth,
      `is allowed only in dev; ${environment} must authenticate (use "basic"${target === "openshift" ? ' or "oauth-proxy"' : ""})`,
    );
  const replicas = r.integer(obj, "replicas", path, ENVIRONMENT_DEFAULTS[environment].mlflowReplicas, 1, 20);
  if (ENVIRONMENT_DEFAULTS[environment].highAvailability && replicas < 2) {
    r.fail(
      `${path}.replicas`,
      replicas,
      `is below 2, which ${environment} does not allow (one node drain would stop tracking)`,
    );
  }
  return {
    image: r.string(obj, "image", path, DEFAULT_MLFLOW_IMAGE, IMAGE, IMAGE_RULE),
    replicas,
    auth,
    oauthProxyImage: r.string(obj, "oauthProxyImage", path, DEFAULT_OAUTH_PROXY_IMAGE, IMAGE, IMAGE_RULE),
    hostname: r.optionalString(
      obj,
      "hostname",
      path,
      HOSTNAME,
      "a fully qualified hostname such as mlflow.ml.example.com",
    ),
    artifactBucket: r.string(obj, "artifactBucket", path, "mlflow-artifacts", DNS_LABEL, DNS_LABEL_RULE),
    database: r.string(
      obj,
      "database",
      path,
      "mlflow",
      /^[a-z_][a-z0-9_]{0,62}$/,
      "a database name: lowercase letters, digits and '_'",
    ),
    resources: parseResources(
      r,
      obj.resources,
      `${path}.resources`,
      environment === "dev"
        ? defaultResources("250m", "512Mi", "1", "1Gi")
        : defaultResources("500m", "1Gi", "2", "2Gi"),
    ),
  };
}

function parsePostgres(
  r: Reader,
  value: unknown,
  environment: Environment,
  models: ModelConfig[],
  mlflow: MlflowConfig,
): PostgresConfig {
  const env = ENVIRONMENT_DEFAULTS[environment].postgres;
  const path = "postgres";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, [
    "name",
    "version",
    "instances",
    "storageSize",
    "storageClass",
    "resources",
    "backup",
    "databases",
  ]);
  const backup = r.object(obj.backup, `${path}.backup`);
  r.knownKeys(backup, `${path}.backup`, ["enabled", "retentionDays", "schedule", "bucket"]);
  const backupEnabled = r.boolean(backup, "enabled", `${path}.backup`, env.backup);
  if (environment === "prod" && !backupEnabled)
    r.fail(`${path}.backup.enabled`, false, "cannot be false in prod");
  const instances = r.integer(obj, "instances", path, env.instances, 1, 9);
  if (environment === "prod" && instances < 2)
    r.fail(`${path}.instances`, instances, "is below 2, which prod does not allow (no failover otherwise)");

  const workloads = [MLFLOW_WORKLOAD, ...models.map((m) => m.name)];
  const databases = r.array(obj.databases, `${path}.databases`).map((item, i) => {
    const dpath = `${path}.databases[${i}]`;
    const d = r.object(item, dpath);
    r.knownKeys(d, dpath, ["name", "owner"]);
    if (d.name === undefined) r.fail(`${dpath}.name`, undefined, "is required");
    if (d.owner === undefined)
      r.fail(`${dpath}.owner`, undefined, `is required (one of the workloads: ${workloads.join(", ")})`);
    const database = {
      name: r.string(
        d,
        "name",
        dpath,
        "",
        /^[a-z_][a-z0-9_]{0,62}$/,
        "a database name: lowercase letters, digits and '_'",
      ),
      owner: r.string(d, "owner", dpath, ""),
    };
    if (database.owner && !workloads.includes(database.owner)) {
      r.fail(`${dpath}.owner`, database.owner, `is not a workload (workloads: ${workloads.join(", ")})`);
    }
    if (["postgres", "template0", "template1", "app"].includes(database.name))
      r.fail(
        `${dpath}.name`,
        database.name,
        "is reserved by PostgreSQL / CloudNativePG; choose another name",
      );
    return database;
  });
  // MLflow's own database is always there; declaring it again is allowed only with owner mlflow.
  const mlflowDb = databases.find((d) => d.name === mlflow.database);
  if (mlflowDb && mlflowDb.owner !== MLFLOW_WORKLOAD) {
    r.fail(
      `${path}.databases`,
      mlflowDb,
      `uses "${mlflow.database}", the MLflow database (mlstack:mlflow.database); give it owner "mlflow" or another name`,
    );
  }
  if (!mlflowDb) databases.unshift({ name: mlflow.database, owner: MLFLOW_WORKLOAD });
  r.unique(databases, `${path}.databases`, "database");
  const owners = new Map<string, string>();
  databases.forEach((d) => {
    const previous = owners.get(d.owner);
    if (previous && d.owner !== MLFLOW_WORKLOAD)
      r.fail(
        `${path}.databases`,
        d.name,
        `gives workload "${d.owner}" a second database (it owns "${previous}"); one database per workload`,
      );
    owners.set(d.owner, d.name);
  });

  return {
    name: r.string(obj, "name", path, "postgres", DNS_LABEL, DNS_LABEL_RULE),
    version: r.integer(obj, "version", path, DEFAULT_POSTGRES_VERSION, 14, 18),
    instances,
    storageSize: r.quantity(obj, "storageSize", path, env.storageSize),
    storageClass: r.optionalString(obj, "storageClass", path),
    resources: parseResources(
      r,
      obj.resources,
      `${path}.resources`,
      environment === "dev"
        ? defaultResources("250m", "512Mi", "1", "1Gi")
        : defaultResources("1", "4Gi", "2", "4Gi"),
    ),
    backup: {
      enabled: backupEnabled,
      retentionDays: r.integer(backup, "retentionDays", `${path}.backup`, env.retentionDays, 1, 3650),
      schedule: r.string(
        backup,
        "schedule",
        `${path}.backup`,
        "0 0 2 * * *",
        CRON6,
        'a six-field cron schedule (seconds first), e.g. "0 0 2 * * *"',
      ),
      bucket: r.string(backup, "bucket", `${path}.backup`, "postgres-backups", DNS_LABEL, DNS_LABEL_RULE),
    },
    databases,
  };
}

function parseObjectStore(
  r: Reader,
  value: unknown,
  target: Target,
  teams: string[],
  mlflow: MlflowConfig,
  postgres: PostgresConfig,
): ObjectStoreConfig {
  const path = "objectStore";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, ["provider", "storageClassName", "endpoint", "region", "buckets"]);
  const defaults = objectStoreDefaults(target);
  const provider = r.oneOf(obj, "provider", path, ["obc", "external"] as const, "obc");
  const owners = [PLATFORM_OWNER, ...teams];
  const buckets = r.array(obj.buckets, `${path}.buckets`).map((item, i): BucketConfig => {
    const bpath = `${path}.buckets[${i}]`;
    const b = r.object(item, bpath);
    r.knownKeys(b, bpath, ["name", "owner", "versioning", "lifecycle", "credentialsSecret"]);
    if (b.name === undefined) r.fail(`${bpath}.name`, undefined, "is required");
    if (b.owner === undefined)
      r.fail(`${bpath}.owner`, undefined, `is required (one of: ${owners.join(", ")})`);
    const lifecycle = r.object(b.lifecycle, `${bpath}.lifecycle`);
    r.knownKeys(lifecycle, `${bpath}.lifecycle`, ["noncurrentVersionExpirationDays", "expirationDays"]);
    const bucket: BucketConfig = {
      name: r.string(b, "name", bpath, "", DNS_LABEL, DNS_LABEL_RULE),
      owner: r.string(b, "owner", bpath, ""),
      versioning: r.boolean(b, "versioning", bpath, true),
      lifecycle: {
        noncurrentVersionExpirationDays: r.integer(
          lifecycle,
          "noncurrentVersionExpirationDays",
          `${bpath}.lifecycle`,
          30,
          1,
          3650,
        ),
        expirationDays: r.integer(lifecycle, "expirationDays", `${bpath}.lifecycle`, 0, 0, 3650),
      },
      credentialsSecret: r.optionalString(b, "credentialsSecret", bpath, DNS_LABEL, DNS_LABEL_RULE),
    };
    if (bucket.owner && !owners.includes(bucket.owner))
      r.fail(
        `${bpath}.owner`,
        bucket.owner,
        `is not a declared team or "platform" (allowed: ${owners.join(", ")})`,
      );
    if (
      provider === "external" &&
      !bucket.credentialsSecret &&
      (target === "kubernetes" || target === "openshift")
    ) {
      r.fail(
        `${bpath}.credentialsSecret`,
        undefined,
        "is required with objectStore.provider external (name the Secret holding this bucket's own keys)",
      );
    }
    return bucket;
  });
  // The platform's own buckets are declared implicitly unless the stack file declares them.
  // Database backups go to a bucket only in-cluster (CloudNativePG); RDS and Cloud SQL keep their own.
  const inCluster = target === "kubernetes" || target === "openshift";
  for (const name of [
    mlflow.artifactBucket,
    ...(postgres.backup.enabled && inCluster ? [postgres.backup.bucket] : []),
  ]) {
    const declared = buckets.find((b) => b.name === name);
    if (declared && declared.owner !== PLATFORM_OWNER)
      r.fail(
        `${path}.buckets`,
        declared.name,
        `is a platform bucket (MLflow artifacts or database backups); its owner must be "platform"`,
      );
    if (!declared) {
      if (provider === "external" && (target === "kubernetes" || target === "openshift")) {
        r.fail(
          `${path}.buckets`,
          name,
          "is needed by the platform; with provider external declare it with its credentialsSecret",
        );
      }
      buckets.push({
        name,
        owner: PLATFORM_OWNER,
        versioning: true,
        lifecycle: { noncurrentVersionExpirationDays: 30, expirationDays: 0 },
      });
    }
  }
  r.unique(buckets, `${path}.buckets`, "bucket");
  return {
    provider,
    storageClassName: r.string(obj, "storageClassName", path, defaults.storageClassName),
    endpoint: r.string(
      obj,
      "endpoint",
      path,
      defaults.endpoint,
      /^https?:\/\/[^\s/]+(:[0-9]+)?\/?$/,
      "an http(s) endpoint URL such as https://s3.openshift-storage.svc",
    ),
    region: r.string(obj, "region", path, "us-east-1", /^[a-z0-9-]+$/, "a region name"),
    buckets,
  };
}

function parseServing(r: Reader, value: unknown, environment: Environment, teams: string[]): ServingConfig {
  const env = ENVIRONMENT_DEFAULTS[environment];
  const path = "serving";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, ["monitoring", "runtimeImages", "models"]);
  const imagesRaw = r.object(obj.runtimeImages, `${path}.runtimeImages`);
  r.knownKeys(imagesRaw, `${path}.runtimeImages`, ["mlflow", "mlserver", "triton"]);
  const runtimeImages = {
    mlflow: r.string(
      imagesRaw,
      "mlflow",
      `${path}.runtimeImages`,
      DEFAULT_RUNTIME_IMAGES.mlflow,
      IMAGE,
      IMAGE_RULE,
    ),
    mlserver: r.string(
      imagesRaw,
      "mlserver",
      `${path}.runtimeImages`,
      DEFAULT_RUNTIME_IMAGES.mlserver,
      IMAGE,
      IMAGE_RULE,
    ),
    triton: r.string(
      imagesRaw,
      "triton",
      `${path}.runtimeImages`,
      DEFAULT_RUNTIME_IMAGES.triton,
      IMAGE,
      IMAGE_RULE,
    ),
  };
  const models = r.array(obj.models, `${path}.models`).map((item, i): ModelConfig => {
    const mpath = `${path}.models[${i}]`;
    const m = r.object(item, mpath);
    r.knownKeys(m, mpath, [
      "name",
      "team",
      "engine",
      "runtime",
      "image",
      "source",
      "port",
      "minReplicas",
      "maxReplicas",
      "targetCpuUtilization",
      "resources",
      "gpu",
      "exposure",
      "hostname",
      "kafka",
    ]);
    if (m.name === undefined) r.fail(`${mpath}.name`, undefined, "is required");
    if (m.team === undefined)
      r.fail(`${mpath}.team`, undefined, `is required (declared teams: ${teams.join(", ") || "none"})`);
    const name = r.string(m, "name", mpath, "", DNS_LABEL, DNS_LABEL_RULE);
    if (name === MLFLOW_WORKLOAD) r.fail(`${mpath}.name`, name, "is reserved for the MLflow tracking server");
    const team = r.string(m, "team", mpath, "");
    if (team && !teams.includes(team))
      r.fail(`${mpath}.team`, team, `is not a declared team (declared: ${teams.join(", ") || "none"})`);
    const runtime = r.oneOf(
      m,
      "runtime",
      mpath,
      ["mlflow", "mlserver", "triton", "custom"] as const,
      "mlflow",
    );
    if (runtime === "custom" && m.image === undefined)
      r.fail(`${mpath}.image`, undefined, "is required when runtime is custom");
    const image = r.string(
      m,
      "image",
      mpath,
      runtime === "custom" ? "" : runtimeImages[runtime],
      IMAGE,
      IMAGE_RULE,
    );
    const sourceRaw = m.source === undefined ? undefined : r.object(m.source, `${mpath}.source`);
    let source: ModelConfig["source"];
    if (sourceRaw) {
      r.knownKeys(sourceRaw, `${mpath}.source`, ["bucket", "path"]);
      source = {
        bucket: r.string(sourceRaw, "bucket", `${mpath}.source`, "", DNS_LABEL, DNS_LABEL_RULE),
        path: r.string(
          sourceRaw,
          "path",
          `${mpath}.source`,
          "",
          /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/,
          "an object key prefix: segments of letters, digits and !_.*'()- separated by single '/', no leading or trailing '/'",
        ),
      };
      if (!sourceRaw.bucket)
        r.fail(
          `${mpath}.source.bucket`,
          sourceRaw.bucket,
          "is required (a bucket owned by the model's team)",
        );
    } else if (runtime !== "custom") {
      r.fail(
        `${mpath}.source`,
        undefined,
        `is required for runtime ${runtime} (the bucket and path holding the model); only custom images may embed their model`,
      );
    }
    const minReplicas = r.integer(m, "minReplicas", mpath, env.model.minReplicas, 1, 1000);
    const maxReplicas = r.integer(
      m,
      "maxReplicas",
      mpath,
      Math.max(env.model.maxReplicas, minReplicas),
      1,
      1000,
    );
    if (maxReplicas < minReplicas)
      r.fail(`${mpath}.maxReplicas`, maxReplicas, `is below minReplicas ${minReplicas}`);
    const gpuRaw = r.object(m.gpu, `${mpath}.gpu`);
    r.knownKeys(gpuRaw, `${mpath}.gpu`, ["count", "nodeSelector", "tolerations"]);
    const nodeSelector = r.object(gpuRaw.nodeSelector, `${mpath}.gpu.nodeSelector`);
    for (const [k, v] of Object.entries(nodeSelector)) {
      if (typeof v !== "string") r.fail(`${mpath}.gpu.nodeSelector.${k}`, v, "is not a string label value");
    }
    const exposure = r.oneOf(m, "exposure", mpath, ["internal", "external"] as const, "internal");
    let kafka: ModelConfig["kafka"];
    if (m.kafka !== undefined) {
      const k = r.object(m.kafka, `${mpath}.kafka`);
      r.knownKeys(k, `${mpath}.kafka`, ["inputTopic", "outputTopic", "consumerGroup", "lagThreshold"]);
      if (k.inputTopic === undefined)
        r.fail(`${mpath}.kafka.inputTopic`, undefined, "is required for a streaming model");
      if (k.outputTopic === undefined)
        r.fail(`${mpath}.kafka.outputTopic`, undefined, "is required for a streaming model");
      kafka = {
        inputTopic: r.string(k, "inputTopic", `${mpath}.kafka`, ""),
        outputTopic: r.string(k, "outputTopic", `${mpath}.kafka`, ""),
        consumerGroup: r.string(
          k,
          "consumerGroup",
          `${mpath}.kafka`,
          `${name}`,
          /^[a-z0-9][-a-z0-9._]*$/,
          "a consumer group id",
        ),
        lagThreshold: r.integer(k, "lagThreshold", `${mpath}.kafka`, 100, 1, 10_000_000),
      };
      if (kafka.inputTopic && kafka.inputTopic === kafka.outputTopic)
        r.fail(
          `${mpath}.kafka.outputTopic`,
          kafka.outputTopic,
          "is the input topic too; a model must not feed its own input",
        );
    }
    const engine = r.oneOf(m, "engine", mpath, ["deployment", "kserve"] as const, "deployment");
    if (engine === "kserve" && kafka)
      r.fail(`${mpath}.engine`, engine, "cannot serve a streaming (kafka) model; use engine deployment");
    // MLServer's Kafka server has no TLS or SASL and Triton has no Kafka consumer: streaming runs
    // on the mlflow runtime (mlstack's stream consumer) or a custom image that consumes itself.
    if (kafka && (runtime === "mlserver" || runtime === "triton")) {
      r.fail(
        `${mpath}.runtime`,
        runtime,
        "cannot consume Kafka securely; streaming models use runtime mlflow or custom",
      );
    }
    if (kafka && exposure === "external")
      r.fail(
        `${mpath}.exposure`,
        exposure,
        "is not for a streaming model (it answers on Kafka, not HTTP); use internal",
      );
    const port = r.integer(m, "port", mpath, 8080, 1024, 65535);
    if (engine === "kserve" && runtime !== "custom" && port !== 8080) {
      r.fail(
        `${mpath}.port`,
        port,
        "must be 8080 with engine kserve and a built-in runtime (KServe's serving runtimes listen there)",
      );
    }
    return {
      name,
      team,
      engine,
      runtime,
      image,
      source,
      port,
      minReplicas,
      maxReplicas,
      targetCpuUtilization: r.integer(m, "targetCpuUtilization", mpath, 70, 10, 100),
      resources: parseResources(
        r,
        m.resources,
        `${mpath}.resources`,
        defaultResources("500m", "1Gi", "2", "2Gi"),
      ),
      gpu: {
        count: r.integer(gpuRaw, "count", `${mpath}.gpu`, 0, 0, 16),
        nodeSelector: nodeSelector as Record<string, string>,
        tolerations: r.boolean(gpuRaw, "tolerations", `${mpath}.gpu`, true),
      },
      exposure,
      hostname: r.optionalString(m, "hostname", mpath, HOSTNAME, "a fully qualified hostname"),
      kafka,
    };
  });
  r.unique(models, `${path}.models`, "model");
  return {
    monitoring: r.boolean(obj, "monitoring", path, env.monitoring),
    runtimeImages,
    models,
  };
}

function parseOperators(r: Reader, value: unknown, target: Target, prefix: string): OperatorsConfig {
  const path = "operators";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, ["install", "strimzi", "cloudnativePg", "barmanCloud", "kserve", "namespace"]);
  const one = (key: "strimzi" | "cloudnativePg" | "barmanCloud" | "kserve") => {
    const o = r.object(obj[key], `${path}.${key}`);
    r.knownKeys(o, `${path}.${key}`, ["version", "channel"]);
    return {
      version: r.string(
        o,
        "version",
        `${path}.${key}`,
        DEFAULT_OPERATORS[key].version,
        /^v?[0-9]+\.[0-9]+\.[0-9]+$/,
        "a chart version such as 0.49.0",
      ),
      channel: r.string(
        o,
        "channel",
        `${path}.${key}`,
        DEFAULT_OPERATORS[key].channel,
        /^[a-z0-9][-a-z0-9.]*$/,
        "an OLM channel name",
      ),
    };
  };
  return {
    install: r.boolean(obj, "install", path, target === "kubernetes"),
    strimzi: one("strimzi"),
    cloudnativePg: one("cloudnativePg"),
    barmanCloud: one("barmanCloud"),
    kserve: one("kserve"),
    namespace: r.string(obj, "namespace", path, `${prefix}operators`, DNS_LABEL, DNS_LABEL_RULE),
  };
}

function parseIngress(r: Reader, value: unknown): PlatformConfig["ingress"] {
  const path = "ingress";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, ["domain", "className", "clusterIssuer", "tlsSecretName"]);
  return {
    domain: r.optionalString(obj, "domain", path, HOSTNAME, "a DNS domain such as ml.example.com"),
    className: r.string(obj, "className", path, "nginx", DNS_LABEL, DNS_LABEL_RULE),
    clusterIssuer: r.optionalString(obj, "clusterIssuer", path, DNS_LABEL, DNS_LABEL_RULE),
    tlsSecretName: r.optionalString(obj, "tlsSecretName", path, DNS_LABEL, DNS_LABEL_RULE),
  };
}

function parseNetwork(r: Reader, value: unknown, target: Target): NetworkConfig {
  const path = "network";
  const obj = r.object(value, path);
  r.knownKeys(obj, path, [
    "apiServerCidrs",
    "ingressNamespace",
    "monitoringNamespace",
    "objectStoreNamespace",
    "objectStoreCidrs",
    "kedaNamespace",
  ]);
  const openshift = target === "openshift";
  return {
    apiServerCidrs: r.stringList(obj, "apiServerCidrs", path, ["0.0.0.0/0"], isCidr, CIDR_RULE),
    ingressNamespace: r.string(
      obj,
      "ingressNamespace",
      path,
      openshift ? "openshift-ingress" : "ingress-nginx",
      DNS_LABEL,
      DNS_LABEL_RULE,
    ),
    monitoringNamespace: r.string(
      obj,
      "monitoringNamespace",
      path,
      openshift ? "openshift-monitoring" : "monitoring",
      DNS_LABEL,
      DNS_LABEL_RULE,
    ),
    objectStoreNamespace: r.string(
      obj,
      "objectStoreNamespace",
      path,
      openshift ? "openshift-storage" : "rook-ceph",
      DNS_LABEL,
      DNS_LABEL_RULE,
    ),
    objectStoreCidrs: r.stringList(obj, "objectStoreCidrs", path, ["0.0.0.0/0"], isCidr, CIDR_RULE),
    kedaNamespace: r.string(
      obj,
      "kedaNamespace",
      path,
      openshift ? "openshift-keda" : "keda",
      DNS_LABEL,
      DNS_LABEL_RULE,
    ),
  };
}

/** Checks that need the whole model: who may read or write what, and what exposure needs. */
function checkCrossReferences(r: Reader, config: PlatformConfig): void {
  const topics = new Map(config.kafka.topics.map((t) => [t.name, t]));
  const buckets = new Map(config.objectStore.buckets.map((b) => [b.name, b]));
  const topicNames = [...topics.keys()];
  config.serving.models.forEach((model, i) => {
    const mpath = `serving.models[${i}]`;
    if (model.source?.bucket) {
      const bucket = buckets.get(model.source.bucket);
      const teamBuckets = config.objectStore.buckets.filter((b) => b.owner === model.team).map((b) => b.name);
      if (!bucket)
        r.fail(
          `${mpath}.source.bucket`,
          model.source.bucket,
          `is not a declared bucket (buckets of team ${model.team}: ${teamBuckets.join(", ") || "none"})`,
        );
      else if (bucket.owner !== model.team)
        r.fail(
          `${mpath}.source.bucket`,
          model.source.bucket,
          `belongs to ${bucket.owner}, not to the model's team ${model.team} (its buckets: ${teamBuckets.join(", ") || "none"})`,
        );
    }
    if (model.kafka) {
      const input = topics.get(model.kafka.inputTopic);
      const output = topics.get(model.kafka.outputTopic);
      if (model.kafka.inputTopic && !input)
        r.fail(
          `${mpath}.kafka.inputTopic`,
          model.kafka.inputTopic,
          `is not a declared topic (declared: ${topicNames.join(", ") || "none"})`,
        );
      else if (input && input.owner !== model.team && !input.readers.includes(model.team)) {
        r.fail(
          `${mpath}.kafka.inputTopic`,
          model.kafka.inputTopic,
          `may not be read by team ${model.team} (owner ${input.owner}, readers: ${input.readers.join(", ") || "none"}); add the team to the topic's readers`,
        );
      }
      if (model.kafka.outputTopic && !output)
        r.fail(
          `${mpath}.kafka.outputTopic`,
          model.kafka.outputTopic,
          `is not a declared topic (declared: ${topicNames.join(", ") || "none"})`,
        );
      else if (output && output.owner !== model.team && !output.writers.includes(model.team)) {
        r.fail(
          `${mpath}.kafka.outputTopic`,
          model.kafka.outputTopic,
          `may not be written by team ${model.team} (owner ${output.owner}, writers: ${output.writers.join(", ") || "none"}); add the team to the topic's writers`,
        );
      }
    }
    if (model.exposure === "external" && !model.hostname && !config.ingress.domain) {
      r.fail(
        `${mpath}.exposure`,
        "external",
        "needs a hostname: set this model's hostname or mlstack:ingress.domain",
      );
    }
  });
  if (config.serving.models.some((m) => m.gpu.count > 0)) {
    config.serving.models.forEach((model, i) => {
      const team = config.teams.find((t) => t.name === model.team);
      if (team && model.gpu.count > 0 && team.quota.gpu < model.gpu.count * model.minReplicas) {
        r.fail(
          `serving.models[${i}].gpu.count`,
          model.gpu.count,
          `needs ${model.gpu.count * model.minReplicas} GPU(s) at minReplicas but team ${team.name}'s quota.gpu is ${team.quota.gpu}; raise mlstack:teams quota.gpu`,
        );
      }
    });
  }
  const external =
    config.serving.models.some((m) => m.exposure === "external") || config.mlflow.hostname !== undefined;
  if (
    external &&
    config.target !== "openshift" &&
    !config.ingress.clusterIssuer &&
    !config.ingress.tlsSecretName
  ) {
    r.fail(
      "ingress",
      config.ingress,
      "needs clusterIssuer or tlsSecretName: external endpoints are served over TLS only",
    );
  }
  if (config.teams.length === 0) r.fail("teams", [], "must declare at least one team");
}
