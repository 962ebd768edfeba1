/** The Kubernetes API server as a network peer. */

/** The API server answers on 443 (managed control planes) or 6443 (self-managed, OpenShift). */
export const API_SERVER_PORTS = [443, 6443];
