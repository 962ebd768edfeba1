/**
 * `mlstack:gcp.postgres`: Cloud SQL for PostgreSQL sized from `mlstack:postgres` (disk, backups,
 * instances), with the GCP-only choices (tier, edition, the runner's admin host, maintenance window).
 */
import { isIPv4 } from "net";
import type { Static } from "@sinclair/typebox";
import { CloudSqlEdition, LOOPBACK_HOSTS } from "../../components/postgres/cloudSqlSettings";
import type { GcpPostgresConfig } from "./gcp";
import { HOSTNAME } from "./reader";
import type { Reader } from "./reader";
import { Int, OneOf, Opt, Str, Strict, Text } from "./schemaKinds";
import type { PlatformConfig } from "./types";

export const CloudSqlPostgresSchema = Strict({
  tier: Opt(
    Str(/^db-[A-Za-z0-9-]+$/, "a Cloud SQL tier such as db-custom-4-16384", {
      description: "default per environment (db-perf-optimized-N-2 with ENTERPRISE_PLUS)",
    }),
  ),
  edition: Opt(OneOf<CloudSqlEdition>(["ENTERPRISE", "ENTERPRISE_PLUS"], { default: "ENTERPRISE" })),
  adminHost: Opt(
    Text(
      "where Pulumi reaches the instance: an IPv4 address, localhost or a hostname; default its private IP",
    ),
  ),
  maintenanceWindow: Opt(
    Strict({ day: Opt(Int(1, 7, { default: 7 })), hour: Opt(Int(0, 23, { default: 3 })) }),
  ),
});

export function parseCloudSqlPostgres(
  r: Reader,
  obj: Static<typeof CloudSqlPostgresSchema>,
  defaultTier: string,
  config: PlatformConfig,
): GcpPostgresConfig {
  const path = "gcp.postgres";
  const edition = obj.edition ?? "ENTERPRISE";
  const tier = obj.tier ?? (edition === "ENTERPRISE_PLUS" ? "db-perf-optimized-N-2" : defaultTier);
  if (edition === "ENTERPRISE_PLUS" && !tier.startsWith("db-perf-optimized-N-")) {
    r.fail(`${path}.tier`, tier, "is not an ENTERPRISE_PLUS tier (db-perf-optimized-N-<vCPUs>)");
  }
  if (edition === "ENTERPRISE" && tier.startsWith("db-perf-optimized-N-")) {
    r.fail(`${path}.tier`, tier, "needs edition ENTERPRISE_PLUS");
  }
  if (config.environment !== "dev" && /^db-(f1-micro|g1-small)$/.test(tier)) {
    r.fail(
      `${path}.tier`,
      tier,
      `is a shared-core tier without an SLA, which ${config.environment} does not allow`,
    );
  }
  const adminHost = obj.adminHost;
  if (
    adminHost !== undefined &&
    !LOOPBACK_HOSTS.includes(adminHost) &&
    !isIPv4(adminHost) &&
    !HOSTNAME.test(adminHost)
  ) {
    r.fail(`${path}.adminHost`, adminHost, "is not an IPv4 address, localhost or a fully qualified hostname");
  }

  const maxLogDays = edition === "ENTERPRISE_PLUS" ? 35 : 7;
  return {
    tier,
    edition,
    diskSizeGb: diskSizeGb(r, config.postgres.storageSize),
    backupStartTime: backupStartTime(r, config.postgres.backup.schedule),
    transactionLogRetentionDays: Math.min(config.postgres.backup.retentionDays, maxLogDays),
    adminHost,
    maintenanceWindow: {
      day: obj.maintenanceWindow?.day ?? 7,
      hour: obj.maintenanceWindow?.hour ?? 3,
    },
  };
}

/** Cloud SQL sizes disks in whole GB, from 10 (smaller sizes, such as dev's 5Gi default, are raised to it). */
function diskSizeGb(r: Reader, quantity: string): number {
  const match = /^([0-9]+)(Gi|G|Ti|T)$/.exec(quantity);
  if (!match) {
    r.fail(
      "postgres.storageSize",
      quantity,
      "is not a size Cloud SQL can take on gcp: use whole Gi or Ti, e.g. 200Gi",
    );
    return 10;
  }
  const n = Number(match[1]);
  const bytes = n * { Gi: 2 ** 30, G: 1e9, Ti: 2 ** 40, T: 1e12 }[match[2] as "Gi" | "G" | "Ti" | "T"];
  const gb = Math.ceil(bytes / 1e9);
  if (gb > 65536) r.fail("postgres.storageSize", quantity, "is above 64Ti, the largest Cloud SQL disk");
  return Math.max(gb, 10);
}

/** Cloud SQL takes one automated backup a day, starting at a fixed UTC time. */
function backupStartTime(r: Reader, schedule: string): string {
  const [seconds, minute, hour, dayOfMonth, month, dayOfWeek] = schedule.trim().split(/\s+/);
  const daily =
    seconds === "0" &&
    /^[0-9]{1,2}$/.test(minute) &&
    /^[0-9]{1,2}$/.test(hour) &&
    dayOfMonth === "*" &&
    month === "*" &&
    dayOfWeek === "*";
  if (!daily || Number(minute) > 59 || Number(hour) > 23) {
    r.fail(
      "postgres.backup.schedule",
      schedule,
      'is not a daily schedule at a fixed time, the only kind Cloud SQL runs (e.g. "0 0 2 * * *")',
    );
    return "02:00";
  }
  return `${hour.padStart(2, "0")}:${minute.padStart(2, "0")}`;
}
