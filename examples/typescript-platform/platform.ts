/**
 * The search team's ML platform, composed from mlstack's components with its own choices — not one
 * of mlstack's shipped stacks: one team, Postgres on CloudNativePG, buckets on the company's
 * existing S3-compatible endpoint, MLflow, and one model served from a bucket. No Kafka, no
 * orchestrator, no cloud SDK: everything comes from `mlstack/kubernetes`.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  CnpgPostgres,
  ExternalObjectStore,
  KubernetesIdentityProvider,
  Mlflow,
  ModelServing,
  TeamNamespace,
  mergeAccess,
  type NetworkConfig,
  type PlatformContext,
} from "mlstack/kubernetes";

const PLATFORM_NAMESPACE = "search-platform";
const TEAM = "search";
const TEAM_NAMESPACE = "search-ml";
const MODEL = "ranker";

/** What each namespace may use at most (a ResourceQuota and LimitRange per namespace). */
const quota = { cpu: "8", memory: "16Gi", gpu: 0, pods: 30, storage: "50Gi" };

const small = { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } };

/** The cluster as this team runs it: Calico, CoreDNS, ingress-nginx, Prometheus in `monitoring`. */
const network: NetworkConfig = {
  apiServerCidrs: ["10.96.0.1/32"],
  dns: { resolver: "kube-dns" },
  cni: "other",
  ingressNamespace: "ingress-nginx",
  monitoringNamespace: "monitoring",
  monitorLabels: {},
  objectStoreNamespace: "minio",
  // The company's MinIO, outside the cluster.
  objectStoreCidrs: ["10.20.30.0/24"],
  kedaNamespace: "keda",
};

/** Groups what the platform creates to give one workload its access, so a plan shows it under the workload. */
class Grants extends pulumi.ComponentResource {
  constructor(name: string) {
    super("search:platform:Grants", name, {});
    this.registerOutputs({});
  }
}

export function searchPlatform() {
  const ctx: PlatformContext = {
    environment: "dev",
    target: "kubernetes",
    flavor: "kubernetes",
    protect: false,
    highAvailability: false,
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
  };

  // Namespaces: the platform's (Postgres, MLflow) and the team's (its model), default-deny, PSA restricted.
  const platformNs = new TeamNamespace("ns-platform", {
    ctx,
    namespace: PLATFORM_NAMESPACE,
    team: "platform",
    groups: ["search-platform-admins"],
    members: [],
    quota,
    serviceAccounts: [{ name: "mlflow" }],
  });
  const teamNs = new TeamNamespace("ns-search", {
    ctx,
    namespace: TEAM_NAMESPACE,
    team: TEAM,
    groups: ["search-data-scientists"],
    members: [],
    quota,
    serviceAccounts: [{ name: MODEL }],
  });
  const dependsOn = [...platformNs.ready, ...teamNs.ready];

  // Backing services: Postgres in-cluster, buckets on the existing endpoint (each with its key Secret).
  const postgres = new CnpgPostgres("postgres", {
    ctx,
    config: {
      name: "postgres",
      version: 17,
      instances: 1,
      storageSize: "10Gi",
      resources: small,
      backup: { enabled: false, retentionDays: 7, schedule: "0 0 2 * * *", bucket: "search-backups" },
      databases: [{ name: "mlflow", owner: "mlflow" }],
    },
    namespace: PLATFORM_NAMESPACE,
    clientNamespaces: [PLATFORM_NAMESPACE, TEAM_NAMESPACE],
    operatorNamespace: "cnpg-system",
    network,
    owners: { mlflow: PLATFORM_NAMESPACE },
    monitoring: false,
    dependsOn,
  });
  const objectStore = new ExternalObjectStore("objectstore", {
    ctx,
    config: {
      provider: "external",
      storageClassName: "",
      endpoint: "https://minio.search.example.internal",
      region: "eu-central-1",
      buckets: [
        {
          name: "mlflow-artifacts",
          owner: "platform",
          versioning: true,
          lifecycle: { noncurrentVersionExpirationDays: 30, expirationDays: 0 },
          credentialsSecret: "minio-mlflow-artifacts",
        },
        {
          name: "search-models",
          owner: TEAM,
          versioning: true,
          lifecycle: { noncurrentVersionExpirationDays: 30, expirationDays: 0 },
          credentialsSecret: "minio-search-models",
        },
      ],
    },
    network,
    namespaces: { platform: PLATFORM_NAMESPACE, [TEAM]: TEAM_NAMESPACE },
  });

  // Identities: a ServiceAccount per workload (credentials arrive as Secrets on plain Kubernetes).
  const identities = new KubernetesIdentityProvider();
  const mlflowIdentity = identities.forWorkload(
    { name: "mlflow", team: "platform", namespace: PLATFORM_NAMESPACE, serviceAccountName: "mlflow" },
    { parent: platformNs },
  );
  const modelIdentity = identities.forWorkload(
    { name: MODEL, team: TEAM, namespace: TEAM_NAMESPACE, serviceAccountName: MODEL },
    { parent: teamNs },
  );

  // MLflow: its database and its artifact bucket; the team's pods may reach it.
  const artifacts = objectStore.bucket("mlflow-artifacts");
  const mlflowGrants = new Grants("grants-mlflow");
  const mlflow = new Mlflow(
    "mlflow",
    {
      ctx,
      config: {
        image: "ghcr.io/mlstack/mlflow:3.17.2-3",
        replicas: 1,
        auth: "basic",
        oauthProxyImage: "registry.redhat.io/openshift4/ose-oauth-proxy-rhel9:v4.18",
        artifactBucket: "mlflow-artifacts",
        database: "mlflow",
        resources: small,
      },
      namespace: PLATFORM_NAMESPACE,
      serviceAccountName: "mlflow",
      database: postgres.grantDatabase(mlflowIdentity, "mlflow", { parent: mlflowGrants }),
      artifacts: {
        access: artifacts.grantAccess(mlflowIdentity, "readwrite", { parent: mlflowGrants }),
        destination: artifacts.url(""),
      },
      ingressFrom: [
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": TEAM_NAMESPACE } } },
      ],
      monitoringNamespace: network.monitoringNamespace,
      apiServerCidrs: network.apiServerCidrs,
    },
    { dependsOn },
  );

  // The ranker model: read-only on its prefix of the team's bucket, served by MLflow's runtime.
  const models = objectStore.bucket("search-models");
  const modelGrants = new Grants(`grants-${MODEL}`);
  const ranker = new ModelServing(
    `model-${MODEL}`,
    {
      ctx,
      model: {
        name: MODEL,
        team: TEAM,
        engine: "deployment",
        runtime: "mlflow",
        image: "ghcr.io/mlstack/mlflow:3.17.2-3",
        source: { bucket: "search-models", path: "ranker/3" },
        port: 8080,
        minReplicas: 1,
        maxReplicas: 3,
        targetCpuUtilization: 70,
        resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } },
        gpu: { count: 0, nodeSelector: {}, tolerations: false },
        exposure: "internal",
      },
      namespace: TEAM_NAMESPACE,
      serviceAccountName: MODEL,
      modelUri: models.url("ranker/3"),
      modelStoreEndpoint: models.endpoint,
      access: mergeAccess(
        models.grantAccess(modelIdentity, "read", { parent: modelGrants, prefix: "ranker/3" }),
      ),
      monitoring: false,
      ingressFrom: [
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": TEAM_NAMESPACE } } },
      ],
      monitoringNamespace: network.monitoringNamespace,
    },
    { dependsOn },
  );

  return {
    teamNamespace: TEAM_NAMESPACE,
    mlflowTrackingUri: mlflow.trackingUri,
    postgresHost: postgres.host,
    rankerUrl: ranker.url,
  };
}
