/** Requests and limits of one container, as Kubernetes quantities (see ./quantity.ts). */

export interface ContainerResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}
