/**
 * PostgreSQL, provider-neutral: CloudNativePG in-cluster, RDS / Aurora on AWS, Cloud SQL on GCP.
 * Each configured database has one owning workload; granting creates (or reuses) that
 * workload's role and hands its pods a connection over TLS.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";

export interface PostgresService {
  host: pulumi.Output<string>;
  port: number;
  /**
   * Connects one workload to the database it owns. The env carries `PGHOST`, `PGPORT`,
   * `PGDATABASE`, `PGUSER`, `PGSSLMODE` (`verify-full` or `require`, never weaker), the
   * password as a `secretKeyRef` (where passwords are used), and `DATABASE_URL` — a
   * SQLAlchemy/libpq URI — also as a `secretKeyRef`.
   */
  grantDatabase(
    identity: WorkloadIdentity,
    database: string,
    opts: { parent: pulumi.Resource },
  ): WorkloadAccess;
}
