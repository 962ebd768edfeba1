/** A team namespace's resource budget (`mlstack:teams[].quota`). */

export interface ResourceQuotaConfig {
  /** Total CPU requests in the namespace (Kubernetes quantity). Default dev 8, staging 16, prod 32. */
  cpu: string;
  /** Total memory requests. Default dev 16Gi, staging 32Gi, prod 64Gi. */
  memory: string;
  /** `requests.nvidia.com/gpu`. Default 0: GPUs are opt-in per team. */
  gpu: number;
  /** Maximum pods. Default 50. */
  pods: number;
  /** Total PVC storage. Default dev 50Gi, else 200Gi. */
  storage: string;
}
