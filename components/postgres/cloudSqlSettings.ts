/** Cloud SQL choices shared by the config layer and the component (`mlstack:gcp.postgres`). */

export type CloudSqlEdition = "ENTERPRISE" | "ENTERPRISE_PLUS";

/** Hosts where a Cloud SQL Auth Proxy on the Pulumi runner listens (it, not the client, encrypts). */
export const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1"];
