/**
 * Per-environment defaults. dev is small and unprotected; staging and prod are highly
 * available; prod is protected and keeps backups longest. Every value here can be
 * overridden by the matching `mlstack:*` key.
 */
import { PINS, POSTGRES_IMAGES } from "../../components/versions/pins";
import type { ContainerResources, Environment, Target } from "./types";

interface EnvironmentDefaults {
  highAvailability: boolean;
  protect: boolean;
  quota: { cpu: string; memory: string; storage: string };
  kafka: {
    brokers: number;
    controllers: number;
    storageSize: string;
    replicationFactor: number;
    minInsyncReplicas: number;
    partitions: number;
  };
  postgres: { instances: number; storageSize: string; backup: boolean; retentionDays: number };
  mlflowReplicas: number;
  model: { minReplicas: number; maxReplicas: number };
  monitoring: boolean;
}

export const ENVIRONMENT_DEFAULTS: Record<Environment, EnvironmentDefaults> = {
  dev: {
    highAvailability: false,
    protect: false,
    quota: { cpu: "8", memory: "16Gi", storage: "50Gi" },
    kafka: {
      brokers: 1,
      controllers: 1,
      storageSize: "10Gi",
      replicationFactor: 1,
      minInsyncReplicas: 1,
      partitions: 1,
    },
    postgres: { instances: 1, storageSize: "5Gi", backup: false, retentionDays: 7 },
    mlflowReplicas: 1,
    model: { minReplicas: 1, maxReplicas: 2 },
    monitoring: false,
  },
  staging: {
    highAvailability: true,
    protect: false,
    quota: { cpu: "16", memory: "32Gi", storage: "200Gi" },
    kafka: {
      brokers: 3,
      controllers: 3,
      storageSize: "100Gi",
      replicationFactor: 3,
      minInsyncReplicas: 2,
      partitions: 3,
    },
    postgres: { instances: 2, storageSize: "50Gi", backup: true, retentionDays: 14 },
    mlflowReplicas: 2,
    model: { minReplicas: 2, maxReplicas: 6 },
    monitoring: true,
  },
  prod: {
    highAvailability: true,
    protect: true,
    quota: { cpu: "32", memory: "64Gi", storage: "200Gi" },
    kafka: {
      brokers: 3,
      controllers: 3,
      storageSize: "500Gi",
      replicationFactor: 3,
      minInsyncReplicas: 2,
      partitions: 3,
    },
    postgres: { instances: 3, storageSize: "200Gi", backup: true, retentionDays: 35 },
    mlflowReplicas: 2,
    model: { minReplicas: 2, maxReplicas: 6 },
    monitoring: true,
  },
};

/**
 * Default image registries: where the pinned default images below come from. One list, owned by
 * the policy pack (which must stay self-contained), so the config and k8s-allowed-registries
 * cannot disagree.
 */
export { DEFAULT_REGISTRIES } from "../../policies/packConfig";

/** Pinned in the version table (components/versions/pins.ts), so a tag move upstream never changes a running platform. */
export const DEFAULT_MLFLOW_IMAGE = PINS.mlflowImage.version;
export const DEFAULT_OAUTH_PROXY_IMAGE = PINS.oauthProxyImage.version;
export const DEFAULT_RUNTIME_IMAGES = {
  mlflow: DEFAULT_MLFLOW_IMAGE,
  mlserver: PINS.mlserverImage.version,
  triton: PINS.tritonImage.version,
  vllm: PINS.vllmImage.version,
};

/** `mlstack:operators.<name>`: chart versions (kubernetes) and OLM channels (openshift), from the version table. */
export const DEFAULT_OPERATORS = {
  strimzi: { version: PINS.strimziChart.version, channel: PINS.strimziOlm.version },
  cloudnativePg: { version: PINS.cloudnativePgChart.version, channel: PINS.cloudnativePgOlm.version },
  barmanCloud: { version: PINS.barmanCloudChart.version, channel: "stable" },
  kserve: { version: PINS.kserveChart.version, channel: PINS.rhoaiOlm.version },
  keda: { version: PINS.kedaChart.version },
  certManager: { version: PINS.certManagerChart.version },
};

/** The Kafka the pinned Strimzi runs by default (one of its supported versions). */
export const DEFAULT_KAFKA_VERSION = PINS.kafka.version;
export const DEFAULT_POSTGRES_VERSION = POSTGRES_IMAGES.defaultMajor;

export function defaultResources(
  cpu: string,
  memory: string,
  cpuLimit: string,
  memoryLimit: string,
): ContainerResources {
  return { requests: { cpu, memory }, limits: { cpu: cpuLimit, memory: memoryLimit } };
}

export function objectStoreDefaults(target: Target): { storageClassName: string; endpoint: string } {
  return target === "openshift"
    ? { storageClassName: "openshift-storage.noobaa.io", endpoint: "https://s3.openshift-storage.svc" }
    : { storageClassName: "rook-ceph-bucket", endpoint: "http://rook-ceph-rgw-objectstore.rook-ceph.svc" };
}
