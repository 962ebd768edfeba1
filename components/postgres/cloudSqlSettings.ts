/** Cloud SQL choices shared by the config layer and the component (`mlstack:gcp.postgres`). */

/*
 * The string enums here are `as const` objects as well as types (values unchanged): Pulumi's
 * component analyzer reads this pattern, not a bare string union, as a schema enum (@pulumi/pulumi
 * 3.270.0, provider/experimental/analyzer.js), so CloudSqlPostgres fits a package schema.
 */

/** The Cloud SQL edition. */
export const CloudSqlEdition = { enterprise: "ENTERPRISE", enterprisePlus: "ENTERPRISE_PLUS" } as const;
export type CloudSqlEdition = (typeof CloudSqlEdition)[keyof typeof CloudSqlEdition];

/** `REGIONAL`: a standby in a second zone with automatic failover; `ZONAL`: one zone. */
export const CloudSqlAvailabilityType = { regional: "REGIONAL", zonal: "ZONAL" } as const;
export type CloudSqlAvailabilityType =
  (typeof CloudSqlAvailabilityType)[keyof typeof CloudSqlAvailabilityType];

/** Hosts where a Cloud SQL Auth Proxy on the Pulumi runner listens (it, not the client, encrypts). */
export const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1"];
