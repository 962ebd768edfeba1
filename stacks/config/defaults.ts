/**
 * Per-environment defaults. dev is small and unprotected; staging and prod are highly
 * available; prod is protected and keeps backups longest. Every value here can be
 * overridden by the matching `mlstack:*` key.
 */
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

/** Built from images/mlflow; pinned so a tag move upstream never changes a running platform. */
export const DEFAULT_MLFLOW_IMAGE = "ghcr.io/mlstack/mlflow:3.17.2-3";
export const DEFAULT_OAUTH_PROXY_IMAGE = "registry.redhat.io/openshift4/ose-oauth-proxy-rhel9:v4.18";
export const DEFAULT_RUNTIME_IMAGES = {
  mlflow: DEFAULT_MLFLOW_IMAGE,
  mlserver: "docker.io/seldonio/mlserver:1.7.1",
  triton: "nvcr.io/nvidia/tritonserver:25.10-py3",
  // vLLM's official OpenAI-compatible server image; v0.33.0 is the newest vllm release on PyPI
  // (https://pypi.org/project/vllm/0.33.0/), and the image is tagged per release
  // (https://hub.docker.com/r/vllm/vllm-openai/tags).
  vllm: "docker.io/vllm/vllm-openai:v0.33.0",
};

export const DEFAULT_OPERATORS = {
  strimzi: { version: "0.49.0", channel: "stable" },
  // CloudNativePG 1.27 is out of support; chart 0.29.x ships a supported 1.2x operator with CNPG-I plugins.
  cloudnativePg: { version: "0.29.1", channel: "stable-v1" },
  barmanCloud: { version: "0.8.1", channel: "stable" },
  kserve: { version: "v0.16.0", channel: "stable" },
};

export const DEFAULT_KAFKA_VERSION = "4.1.0";
export const DEFAULT_POSTGRES_VERSION = 17;

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
