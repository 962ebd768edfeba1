/**
 * MLflow (3.5+) rejects requests whose `Host` header is not allowed (DNS-rebinding protection)
 * and state-changing API calls whose `Origin` is not allowed (CORS). Its defaults allow only
 * localhost and private IP literals, so the in-cluster Service names and the public hostname
 * must be listed, or every client that uses a name gets 403. Exact names only: a wildcard
 * suffix such as `mlflow.ns.svc.*` would also match an attacker's `mlflow.ns.svc.evil.example`.
 * `/health` and `/version` are exempt in MLflow, so probes are unaffected.
 */

export interface AllowedHostsArgs {
  serviceName: string;
  namespace: string;
  /** The Service port clients dial (it is part of the Host header unless it is the scheme's default). */
  servicePort: number;
  /** Cluster DNS domain. */
  clusterDomain: string;
  /** Public hostname (Route / Ingress), if exposed. */
  hostname?: string;
}

/** The comma-separated `MLFLOW_SERVER_ALLOWED_HOSTS` value. */
export function allowedHosts(args: AllowedHostsArgs): string {
  const { serviceName, namespace, servicePort, clusterDomain, hostname } = args;
  const serviceNames = [
    serviceName,
    `${serviceName}.${namespace}`,
    `${serviceName}.${namespace}.svc`,
    `${serviceName}.${namespace}.svc.${clusterDomain}`,
  ];
  const hosts = serviceNames.flatMap((n) => [n, `${n}:${servicePort}`]);
  if (hostname) hosts.push(hostname, `${hostname}:443`);
  // `kubectl port-forward` to any local port, as MLflow's own defaults allow.
  hosts.push("localhost", "localhost:*", "127.0.0.1", "127.0.0.1:*");
  return hosts.join(",");
}

/**
 * The `MLFLOW_SERVER_CORS_ALLOWED_ORIGINS` value: the UI served on the public hostname posts
 * to the API with `Origin: https://<hostname>`, which MLflow would otherwise block. Undefined
 * when MLflow is internal only (MLflow then allows localhost origins, for port-forwarding).
 */
export function allowedOrigins(hostname?: string): string | undefined {
  return hostname ? `https://${hostname}` : undefined;
}
