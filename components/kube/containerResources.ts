/** Requests and limits of one container, as Kubernetes quantities (see ./quantity.ts). */

/**
 * CPU and memory of a request or a limit, e.g. `250m` and `512Mi`. The index signature keeps it
 * assignable to Kubernetes' resource map (an interface without one is not).
 */
export interface CpuMemory {
  [resource: string]: string;
  cpu: string;
  memory: string;
}

// Named rather than inline object types: Pulumi's component analyzer refuses anonymous object
// types in component args (@pulumi/pulumi 3.270.0, provider/experimental/analyzer.js).
export interface ContainerResources {
  requests: CpuMemory;
  limits: CpuMemory;
}
