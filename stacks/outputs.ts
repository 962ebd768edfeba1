/**
 * The platform stack's outputs: what an application stack needs to deploy into a team namespace,
 * read through a `StackReference` (`new pulumi.StackReference("org/mlstack/dev").getOutput("teams")`).
 *
 * Names and references only, never a secret value: a workload's credentials are named by Secret
 * and key (or by the Secret a file is mounted from), as the workload's own pod template uses them.
 * The names here are an interface: renaming or removing an output key is a breaking change of the
 * package (CHANGELOG.md); `outputsVersion` says which shape a stack exports.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { BackingServices } from "./backing";
import type { PlatformConfig } from "./config";
import type { Platform, PlatformWorkloadGrant } from "./platform";

/** The shape of the outputs below; raised when an output is renamed or removed. */
export const PLATFORM_OUTPUTS_VERSION = 1;

/** A key of a Kubernetes Secret in the workload's namespace. */
export interface SecretKeyOutput {
  secretName: string;
  key: string;
}

/** A file a workload reads: the key of the Secret or ConfigMap mounted at its path. Exactly one name is set. */
export interface FileOutput {
  secretName?: string;
  configMapName?: string;
  key: string;
}

/** One env var of a workload: a plain value, or where its secret value is. Exactly one is set. */
export interface EnvOutput {
  value?: string;
  secretKeyRef?: SecretKeyOutput;
}

/** What one workload (a model, a pipeline) was granted, as its pod template consumes it. */
export interface WorkloadOutputs {
  serviceAccountName: string;
  /** The env its grants give it: `KAFKA_BOOTSTRAP_SERVERS`, `PGHOST`, `DATABASE_URL`, `BUCKET_NAME`, … */
  env: Record<string, EnvOutput>;
  /**
   * Env vars that name a file (`KAFKA_SSL_CA_LOCATION`, `PGSSLROOTCERT`, client certificates) with
   * the Secret or ConfigMap key mounted there: an application pod mounts the same key at the same path.
   */
  files: Record<string, FileOutput>;
}

export interface KafkaOutputs {
  bootstrapServers: string;
  /** `security.protocol` a client uses (TLS-based, always). */
  securityProtocol: string;
  /** `sasl.mechanism`, when SASL is used. */
  saslMechanism?: string;
  /** Logical topic name (`mlstack:kafka.topics`) → physical topic name. */
  topics: Record<string, string>;
}

export interface DatabaseOutputs {
  host: string;
  port: number;
  database: string;
  /** The workload that owns it. */
  owner: string;
  /** Secret holding the owner's `DATABASE_URL` (and password, where passwords are used). */
  credentialSecretName?: string;
}

export interface BucketOutputs {
  /** Physical bucket name. */
  name: string;
  /** `s3://<bucket>` or `gs://<bucket>`. */
  url: string;
  scheme: string;
  /** S3 endpoint for S3-compatible stores; absent on S3 and GCS (the provider's default endpoint). */
  endpoint?: string;
  /** Region clients sign for (S3-compatible stores and S3) or the GCS location. */
  region?: string;
}

/** Everything one team's application stack needs. */
export interface TeamOutputs {
  namespace: string;
  /** The service accounts the platform created in the namespace (one per workload, pipeline workers). */
  serviceAccounts: string[];
  /** The team's workloads and what each was granted. */
  workloads: Record<string, WorkloadOutputs>;
  /** Kafka as the team's workloads reach it: the topics they were granted, and the CA Secret when one is mounted. */
  kafka: KafkaOutputs & { caSecretName?: string };
  /** Databases owned by the team's workloads. */
  databases: Record<string, DatabaseOutputs>;
  /** Buckets the team's workloads were granted. */
  buckets: Record<string, BucketOutputs>;
  mlflowTrackingUri: string;
}

/** The stack outputs of a platform stack, as a `StackReference` returns them (every value resolved). */
export interface PlatformStackOutputs {
  outputsVersion: number;
  target: string;
  environment: string;
  platformNamespace: string;
  teams: Record<string, TeamOutputs>;
  kafka: KafkaOutputs;
  postgres: { host: string; port: number };
  buckets: Record<string, BucketOutputs>;
  mlflow: { trackingUri: string; url?: string };
  models: Record<string, { namespace: string; url: string; externalUrl?: string }>;
  /** Team → namespace (kept from the first outputs; `teams.<team>.namespace` is the same). */
  teamNamespaces: Record<string, string>;
  mlflowTrackingUri: string;
  mlflowUrl?: string;
  orchestratorApiUrl?: string;
  orchestratorUrl?: string;
  kafkaBootstrapServers: string;
}

/** Each output as the program returns it: a value or an Output of it. */
export type PlatformStackOutputValues = {
  [K in keyof PlatformStackOutputs]: pulumi.Input<PlatformStackOutputs[K]>;
};

type ResolvedEnv = {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
};
type KeyItems = { items?: { key: string; path: string }[] };
type ResolvedVolume = {
  name: string;
  secret?: { secretName: string } & KeyItems;
  configMap?: { name: string } & KeyItems;
};
type ResolvedMount = { name: string; mountPath: string; subPath?: string };

/** The key of a mounted Secret / ConfigMap volume that `path` names, if any. */
function mountedKey(path: string, mount: ResolvedMount, volume: ResolvedVolume): FileOutput | undefined {
  const source = volume.secret
    ? { ref: { secretName: volume.secret.secretName }, items: volume.secret.items }
    : volume.configMap
      ? { ref: { configMapName: volume.configMap.name }, items: volume.configMap.items }
      : undefined;
  if (!source) return undefined;
  let key: string | undefined;
  if (mount.subPath !== undefined) {
    if (path === mount.mountPath)
      key = source.items?.find((i) => i.path === mount.subPath)?.key ?? mount.subPath;
  } else if (path.startsWith(`${mount.mountPath}/`)) {
    const relative = path.slice(mount.mountPath.length + 1);
    // With items only the listed keys are files (at their paths); without, every key is a file.
    key = source.items ? source.items.find((i) => i.path === relative)?.key : relative;
  }
  return key === undefined ? undefined : { ...source.ref, key };
}

/** A workload's grants as plain names: env values and references, and the key behind each file path. */
export function workloadOutputs(
  serviceAccountName: string,
  env: ResolvedEnv[],
  volumes: ResolvedVolume[],
  mounts: ResolvedMount[],
): WorkloadOutputs {
  const out: WorkloadOutputs = { serviceAccountName, env: {}, files: {} };
  for (const e of env) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) out.env[e.name] = { secretKeyRef: { secretName: ref.name, key: ref.key } };
    else if (e.value !== undefined) out.env[e.name] = { value: e.value };
    if (e.value === undefined || !e.value.startsWith("/")) continue;
    for (const m of mounts) {
      const volume = volumes.find((v) => v.name === m.name);
      const file = volume && mountedKey(e.value, m, volume);
      if (file) out.files[e.name] = file;
    }
  }
  return out;
}

/**
 * What each of `grants` was granted, by workload name. One Output over all their env, volumes and
 * mounts (not one `pulumi.all` per grant and another over those): a stack of many models then builds
 * its outputs with a few hundred fewer Outputs and applies, with the same values.
 */
function resolvedAccess(grants: PlatformWorkloadGrant[]): pulumi.Output<Record<string, WorkloadOutputs>> {
  return pulumi
    .output(
      grants.map((g) => [
        g.access.env as pulumi.Input<k8s.types.input.core.v1.EnvVar>[],
        g.access.volumes,
        g.access.volumeMounts,
      ]),
    )
    .apply((resolved) =>
      Object.fromEntries(
        grants.map((g, i): [string, WorkloadOutputs] => {
          const [env, volumes, mounts] = resolved[i] as unknown as [
            ResolvedEnv[],
            ResolvedVolume[],
            ResolvedMount[],
          ];
          return [g.name, workloadOutputs(g.serviceAccountName, env, volumes, mounts)];
        }),
      ),
    );
}

/** Where clients sign requests for the target's buckets. */
function bucketRegion(config: PlatformConfig): string | undefined {
  if (config.target === "aws") return config.aws?.region;
  if (config.target === "gcp") return config.gcp?.region;
  return config.objectStore.region;
}

function bucketOutputs(
  backing: BackingServices,
  config: PlatformConfig,
): pulumi.Output<Record<string, BucketOutputs>> {
  const region = bucketRegion(config);
  return pulumi
    .all(
      backing.objectStore.buckets.map((b) =>
        pulumi
          .all([b.bucketName, b.url(""), b.endpoint])
          .apply(([name, url, endpoint]): [string, BucketOutputs] => [
            b.logicalName,
            {
              name,
              url: url.replace(/\/$/, ""),
              scheme: b.scheme,
              ...(endpoint ? { endpoint } : {}),
              ...(region ? { region } : {}),
            },
          ]),
      ),
    )
    .apply((entries) => Object.fromEntries(entries));
}

/** The topics each workload of the config reads or writes, by workload name. */
function workloadTopics(config: PlatformConfig): Map<string, string[]> {
  const topics = new Map<string, string[]>();
  for (const m of config.serving.models)
    if (m.kafka) topics.set(m.name, [m.kafka.inputTopic, m.kafka.outputTopic]);
  for (const p of config.orchestrator?.pipelines ?? [])
    topics.set(p.name, [...p.readTopics, ...p.writeTopics]);
  return topics;
}

/** The buckets each workload of the config was granted, by workload name. */
function workloadBuckets(config: PlatformConfig): Map<string, string[]> {
  const buckets = new Map<string, string[]>();
  for (const m of config.serving.models) if (m.source?.bucket) buckets.set(m.name, [m.source.bucket]);
  for (const p of config.orchestrator?.pipelines ?? []) buckets.set(p.name, [...p.buckets]);
  return buckets;
}

const unique = (items: string[]): string[] => [...new Set(items)].sort();

/** Builds the stack outputs from the platform the program registered. */
export function platformStackOutputs(config: PlatformConfig, platform: Platform): PlatformStackOutputValues {
  const { backing } = platform;
  const o = platform.outputs;
  const allTopics = config.kafka.topics.map((t) => t.name);
  const topicNames = (logical: string[]): pulumi.Output<Record<string, string>> =>
    pulumi
      .all(logical.map((t) => backing.kafka.topicName(t)))
      .apply((names) => Object.fromEntries(logical.map((t, i) => [t, names[i]])));
  const kafka = pulumi
    .all([backing.kafka.bootstrapServers, topicNames(allTopics)])
    .apply(([bootstrapServers, topics]): KafkaOutputs => ({
      bootstrapServers,
      securityProtocol: backing.kafka.security.protocol,
      ...(backing.kafka.security.saslMechanism
        ? { saslMechanism: backing.kafka.security.saslMechanism }
        : {}),
      topics,
    }));
  const buckets = bucketOutputs(backing, config);
  const topicsOf = workloadTopics(config);
  const bucketsOf = workloadBuckets(config);

  const teams = pulumi
    .all(
      config.teams.map((team) => {
        const grants = platform.workloadGrants.filter((g) => g.team === team.name);
        const ns = platform.teamNamespaces.get(team.name);
        const serviceAccounts = ns ? pulumi.all(ns.serviceAccountNames).apply((n) => Object.values(n)) : [];
        const workloads = resolvedAccess(grants);
        const owned = config.postgres.databases.filter((d) => grants.some((g) => g.name === d.owner));
        return pulumi
          .all([
            serviceAccounts,
            workloads,
            kafka,
            buckets,
            backing.postgres.host,
            topicNames(unique(grants.flatMap((g) => topicsOf.get(g.name) ?? []))),
            o.mlflowTrackingUri,
          ])
          .apply(
            ([accounts, byWorkload, cluster, allBuckets, host, topics, mlflowTrackingUri]): [
              string,
              TeamOutputs,
            ] => {
              const caSecretName = Object.values(byWorkload)
                .map((w) => w.files.KAFKA_SSL_CA_LOCATION?.secretName)
                .find((name) => name !== undefined);
              const databases = Object.fromEntries(
                owned.map((d): [string, DatabaseOutputs] => {
                  const credentialSecretName =
                    byWorkload[d.owner]?.env.DATABASE_URL?.secretKeyRef?.secretName;
                  return [
                    d.name,
                    {
                      host,
                      port: backing.postgres.port,
                      database: d.name,
                      owner: d.owner,
                      ...(credentialSecretName ? { credentialSecretName } : {}),
                    },
                  ];
                }),
              );
              const granted = unique(grants.flatMap((g) => bucketsOf.get(g.name) ?? []));
              return [
                team.name,
                {
                  namespace: team.namespace,
                  serviceAccounts: unique(accounts),
                  workloads: byWorkload,
                  kafka: { ...cluster, topics, ...(caSecretName ? { caSecretName } : {}) },
                  databases,
                  buckets: Object.fromEntries(granted.map((b) => [b, allBuckets[b]])),
                  mlflowTrackingUri,
                },
              ];
            },
          );
      }),
    )
    .apply((entries) => Object.fromEntries(entries));

  return {
    outputsVersion: PLATFORM_OUTPUTS_VERSION,
    target: o.target,
    environment: o.environment,
    platformNamespace: o.platformNamespace,
    teams,
    kafka,
    postgres: backing.postgres.host.apply((host) => ({ host, port: backing.postgres.port })),
    buckets,
    mlflow: pulumi
      .all([o.mlflowTrackingUri, o.mlflowUrl])
      .apply(([trackingUri, url]) => ({ trackingUri, ...(url ? { url } : {}) })),
    models: pulumi.output(o.models),
    teamNamespaces: o.teamNamespaces,
    mlflowTrackingUri: o.mlflowTrackingUri,
    ...(o.mlflowUrl ? { mlflowUrl: o.mlflowUrl } : {}),
    ...(o.orchestratorApiUrl ? { orchestratorApiUrl: o.orchestratorApiUrl } : {}),
    ...(o.orchestratorUrl ? { orchestratorUrl: o.orchestratorUrl } : {}),
    kafkaBootstrapServers: o.kafkaBootstrapServers,
  };
}
