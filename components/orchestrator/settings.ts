/** What the pipeline orchestrator (Prefect) is asked to be (`mlstack:orchestrator`). */
import type { ContainerResources } from "../kube/containerResources";

/** The orchestrator's workload name: its ServiceAccount, its database owner, its component name. */
export const ORCHESTRATOR_WORKLOAD = "orchestrator";

/**
 * One pipeline: a Prefect work pool served by a Kubernetes worker in its team's namespace. Flow
 * runs of the pool are Jobs in that namespace (under the team's ResourceQuota), running as the
 * pipeline's own ServiceAccount with exactly the grants listed here.
 */
export interface PipelineSettings {
  /** Pipeline name: the work pool, the worker and the flow runs' ServiceAccount are named after it. */
  name: string;
  /** Owning team (`mlstack:teams[].name`): its namespace runs the worker and the flow runs. */
  team: string;
  /** Logical buckets (`mlstack:objectStore.buckets`) the flow runs read and write. Default none. */
  buckets: string[];
  /** Kafka topics the flow runs read. Default none. */
  readTopics: string[];
  /** Kafka topics the flow runs write. Default none. */
  writeTopics: string[];
  /** Consumer group for `readTopics` (required when it is not empty). */
  consumerGroup?: string;
  /** Requests and limits of each flow-run pod (they count against the team's quota). */
  runResources: ContainerResources;
}

export interface OrchestratorConfig {
  /** Server image: Prefect's official image pinned by version (see image.ts). */
  image: string;
  /** Worker image: the same release with the Kubernetes worker (`-kubernetes` tag). */
  workerImage: string;
  /** Image of the flow-run pods unless a deployment names its own (the team's pipeline image). */
  runImage: string;
  /**
   * Database owned by the `orchestrator` workload (`mlstack:postgres.databases`). Required: Prefect's
   * default metadata store is a per-pod SQLite file, which loses every run on restart.
   */
  database: string;
  /** Public hostname of the UI/API; unset = internal only. */
  hostname?: string;
  /** Server container resources. */
  resources: ContainerResources;
  pipelines: PipelineSettings[];
}
