/**
 * AWS data-service rules: RDS / Aurora PostgreSQL (encryption, private, backups, deletion
 * protection, Multi-AZ, IAM auth, forced TLS, logs and upgrades) and MSK (TLS, client
 * authentication, private brokers, CMK and logging).
 */
import { identitiesOf } from "./references";
import type { PolicyResource, StackRule } from "./rule";
import { resourceRule, stackRule } from "./rule";
import { flagField, flagValue, isFalse, isTrue, notTrue, resourceFieldRule } from "./fieldChecks";
import { arr, at, bool, isUnknown, num, str, strings } from "./values";

const RDS_INSTANCE = "aws:rds/instance:Instance";
const RDS_CLUSTER = "aws:rds/cluster:Cluster";
const RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance";
const rdsLabel = (r: PolicyResource) =>
  `${r.type === RDS_CLUSTER ? "RDS cluster" : "RDS instance"} ${str(r.props.identifier) ?? str(r.props.clusterIdentifier) ?? r.name}`;

export const rdsEncrypted = resourceFieldRule(
  {
    name: "aws-rds-encrypted",
    description: "RDS instances and Aurora clusters encrypt storage.",
    severity: "high",
    remediation: "Set `storageEncrypted: true` (and `kmsKeyId` to a customer-managed key).",
    defaultLevel: "mandatory",
    appliesTo: [RDS_INSTANCE, RDS_CLUSTER],
  },
  "storageEncrypted",
  notTrue,
  (r) => `${rdsLabel(r)} does not encrypt storage (storageEncrypted is not true)`,
);

export const rdsNotPublic = resourceFieldRule(
  {
    name: "aws-rds-not-public",
    description: "RDS instances are not publicly accessible.",
    severity: "critical",
    remediation: "Set `publiclyAccessible: false` and place the instance in private subnets.",
    defaultLevel: "mandatory",
    appliesTo: [RDS_INSTANCE, RDS_CLUSTER_INSTANCE],
  },
  "publiclyAccessible",
  isTrue,
  (r) => `${rdsLabel(r)} is publicly accessible`,
);

export const MIN_BACKUP_RETENTION_DAYS = 7;

export const rdsBackups = resourceFieldRule(
  {
    name: "aws-rds-backups",
    description: `RDS instances and Aurora clusters keep automated backups for at least ${MIN_BACKUP_RETENTION_DAYS} days.`,
    severity: "high",
    remediation: `Set \`backupRetentionPeriod\` to ${MIN_BACKUP_RETENTION_DAYS} or more (35 in prod).`,
    defaultLevel: "mandatory",
    appliesTo: [RDS_INSTANCE, RDS_CLUSTER],
  },
  "backupRetentionPeriod",
  (v) => (num(v) ?? 0) < MIN_BACKUP_RETENTION_DAYS,
  (r, v) =>
    `${rdsLabel(r)} keeps backups for ${v === undefined ? "the default (1 day or none)" : `${String(v)} days`} (< ${MIN_BACKUP_RETENTION_DAYS})`,
);

export const rdsDeletionProtection = resourceRule({
  name: "aws-rds-deletion-protection",
  description:
    "In prod, RDS instances and Aurora clusters have deletion protection and take a final snapshot.",
  severity: "high",
  remediation:
    "Set `deletionProtection: true` and `skipFinalSnapshot: false` with a finalSnapshotIdentifier.",
  defaultLevel: "mandatory",
  settings: ["environment"],
  appliesTo: [RDS_INSTANCE, RDS_CLUSTER],
  check(resource, ctx, report) {
    if (ctx.environmentOf(resource) !== "prod") return;
    const label = rdsLabel(resource);
    flagField(resource, report, "deletionProtection", notTrue, () => `${label} has no deletion protection`);
    flagField(resource, report, "skipFinalSnapshot", isTrue, () => `${label} skips the final snapshot`);
  },
});

export const rdsMultiAz = resourceRule({
  name: "aws-rds-multi-az",
  description: "In prod, RDS instances run Multi-AZ (Aurora clusters are multi-AZ by their instances).",
  severity: "medium",
  remediation: "Set `multiAz: true`.",
  defaultLevel: "advisory",
  settings: ["environment"],
  appliesTo: [RDS_INSTANCE],
  check(resource, ctx, report) {
    if (ctx.environmentOf(resource) !== "prod") return;
    flagField(resource, report, "multiAz", notTrue, () => `${rdsLabel(resource)} is not Multi-AZ`);
  },
});

export const rdsIamAuth = resourceFieldRule(
  {
    name: "aws-rds-iam-auth",
    description: "RDS instances and Aurora clusters accept IAM database authentication.",
    severity: "medium",
    remediation: "Set `iamDatabaseAuthenticationEnabled: true` and grant `rds_iam` to the roles that use it.",
    defaultLevel: "advisory",
    appliesTo: [RDS_INSTANCE, RDS_CLUSTER],
  },
  "iamDatabaseAuthenticationEnabled",
  notTrue,
  (r) => `${rdsLabel(r)} does not enable IAM database authentication`,
);

const isPostgres = (r: PolicyResource) => {
  const engine = r.props.engine;
  return engine === "postgres" || engine === "aurora-postgresql";
};

/** PostgreSQL majors whose default RDS parameter group already sets rds.force_ssl=1. */
const FORCE_SSL_DEFAULT_FROM_MAJOR = 15;

export const rdsForceSsl: StackRule = stackRule({
  name: "aws-rds-force-ssl",
  description:
    "RDS PostgreSQL instances and Aurora PostgreSQL clusters use a parameter group that sets rds.force_ssl=1 (the AWS default groups do so from PostgreSQL 15).",
  severity: "high",
  remediation:
    "Create an aws.rds.ParameterGroup (Aurora: ClusterParameterGroup) with parameter rds.force_ssl = 1 and set parameterGroupName (dbClusterParameterGroupName) to it.",
  defaultLevel: "mandatory",
  onUnknown:
    "An unknown group reference with no dependency information, or a group that is not in the stack, is reported as not checked; so are unknown parameter values.",
  check(stack, _ctx, report) {
    const targets: Array<[string, string, string]> = [
      [RDS_INSTANCE, "parameterGroupName", "aws:rds/parameterGroup:ParameterGroup"],
      [RDS_CLUSTER, "dbClusterParameterGroupName", "aws:rds/clusterParameterGroup:ClusterParameterGroup"],
    ];
    for (const [dbType, field, groupType] of targets) {
      const dbs = stack.ofType(dbType).filter(isPostgres);
      if (dbs.length === 0) continue;
      const groups = stack.ofType(groupType);
      const byUrn = new Map(groups.map((g) => [g.urn, g]));
      const byIdentity = new Map<string, PolicyResource>();
      for (const g of groups) for (const id of identitiesOf(g, ["name"])) byIdentity.set(id, g);
      for (const db of dbs) {
        const ref = db.props[field];
        const dep = (db.propertyDependencies?.[field] ?? [])
          .map((u) => byUrn.get(u))
          .find((g) => g !== undefined);
        const group = dep ?? (typeof ref === "string" ? byIdentity.get(ref) : undefined);
        if (!group) {
          if (isUnknown(ref)) report.unknown(field, db);
          else if (ref === undefined || (typeof ref === "string" && ref.startsWith("default."))) {
            const major = num(String(db.props.engineVersion ?? "").split(".")[0]);
            if (major === undefined || major < FORCE_SSL_DEFAULT_FROM_MAJOR) {
              report.violation(
                `${rdsLabel(db)} uses the default parameter group, which does not force SSL${major ? ` on PostgreSQL ${major}` : ""}`,
                db,
              );
            }
          } else report.unknown(`parameter group ${String(ref)} (not in the stack)`, db);
          continue;
        }
        const params = group.props.parameters;
        if (isUnknown(params)) {
          report.unknown("parameters", group);
          continue;
        }
        const forceSsl = arr(params).find((p) => at(p, "name") === "rds.force_ssl");
        const value = at(forceSsl, "value");
        if (isUnknown(value)) report.unknown("rds.force_ssl", group);
        else if (String(value) !== "1") {
          report.violation(
            `${rdsLabel(db)} uses parameter group ${str(group.props.name) ?? group.name}, which ${forceSsl ? `sets rds.force_ssl=${String(value)}` : "does not set rds.force_ssl=1"}`,
            db,
          );
        }
      }
    }
  },
});

export const rdsLogsUpgrades = resourceRule({
  name: "aws-rds-logs-upgrades",
  description:
    "RDS / Aurora PostgreSQL exports its `postgresql` log to CloudWatch and takes minor version upgrades.",
  severity: "low",
  remediation: 'Set `enabledCloudwatchLogsExports: ["postgresql"]` and leave `autoMinorVersionUpgrade` true.',
  defaultLevel: "advisory",
  appliesTo: [RDS_INSTANCE, RDS_CLUSTER],
  check(resource, _ctx, report) {
    if (!isPostgres(resource)) return;
    const label = rdsLabel(resource);
    flagField(
      resource,
      report,
      "enabledCloudwatchLogsExports",
      (v) => !strings(v).includes("postgresql"),
      () => `${label} does not export the postgresql log`,
    );
    flagField(
      resource,
      report,
      "autoMinorVersionUpgrade",
      isFalse,
      () => `${label} turns automatic minor version upgrades off`,
    );
  },
});

const MSK_CLUSTER = "aws:msk/cluster:Cluster";
const mskLabel = (r: PolicyResource) => `MSK cluster ${str(r.props.clusterName) ?? r.name}`;

export const mskTls = resourceRule({
  name: "aws-msk-tls",
  description:
    "MSK encrypts client-broker traffic with TLS only and encrypts traffic between brokers (the AWS defaults, unless overridden).",
  severity: "high",
  remediation:
    "Set `encryptionInfo.encryptionInTransit.clientBroker: TLS` and `inCluster: true` (or leave both unset).",
  defaultLevel: "mandatory",
  appliesTo: [MSK_CLUSTER],
  check(resource, _ctx, report) {
    const transit = at(resource.props, "encryptionInfo.encryptionInTransit");
    if (isUnknown(transit)) return report.unknown("encryptionInfo.encryptionInTransit");
    const label = mskLabel(resource);
    flagValue(
      at(transit, "clientBroker"),
      report,
      "clientBroker",
      (v) => v !== undefined && v !== "TLS",
      (v) => `${label} allows ${String(v)} between clients and brokers`,
    );
    flagValue(
      at(transit, "inCluster"),
      report,
      "inCluster",
      isFalse,
      () => `${label} does not encrypt traffic between brokers`,
    );
  },
});

export const mskClientAuth = resourceRule({
  name: "aws-msk-client-auth",
  description:
    "MSK authenticates every client (IAM, SCRAM or TLS certificates) and allows no unauthenticated access.",
  severity: "high",
  remediation:
    "Set `clientAuthentication.sasl.iam: true` (or scram, or tls.certificateAuthorityArns) and `unauthenticated: false`.",
  defaultLevel: "mandatory",
  appliesTo: [MSK_CLUSTER],
  check(resource, _ctx, report) {
    const auth = resource.props.clientAuthentication;
    if (isUnknown(auth)) return report.unknown("clientAuthentication");
    if (bool(at(auth, "unauthenticated")) === true)
      report.violation(`${mskLabel(resource)} allows unauthenticated clients`);
    const iam = bool(at(auth, "sasl.iam")) === true;
    const scram = bool(at(auth, "sasl.scram")) === true;
    const cas = at(auth, "tls.certificateAuthorityArns");
    const tls = isUnknown(cas) || arr(cas).length > 0;
    if (!iam && !scram && !tls)
      report.violation(`${mskLabel(resource)} has no client authentication (IAM, SCRAM or TLS)`);
  },
});

export const mskPrivate = resourceRule({
  name: "aws-msk-private",
  description: "MSK brokers have no public endpoints.",
  severity: "critical",
  remediation: "Remove `brokerNodeGroupInfo.connectivityInfo.publicAccess` or set its type to DISABLED.",
  defaultLevel: "mandatory",
  appliesTo: [MSK_CLUSTER],
  check(resource, _ctx, report) {
    flagValue(
      at(resource.props, "brokerNodeGroupInfo.connectivityInfo.publicAccess.type"),
      report,
      "publicAccess.type",
      (v) => v === "SERVICE_PROVIDED_EIPS",
      () => `${mskLabel(resource)} gives brokers public IPs (SERVICE_PROVIDED_EIPS)`,
    );
  },
});

export const mskCmkLogging = resourceRule({
  name: "aws-msk-cmk-logging",
  description: "MSK encrypts data at rest under a customer-managed KMS key and ships broker logs.",
  severity: "low",
  remediation:
    "Set `encryptionInfo.encryptionAtRestKmsKeyArn` and enable `loggingInfo.brokerLogs` (CloudWatch, Firehose or S3).",
  defaultLevel: "advisory",
  appliesTo: [MSK_CLUSTER],
  check(resource, _ctx, report) {
    const key = at(resource.props, "encryptionInfo.encryptionAtRestKmsKeyArn");
    if (!isUnknown(key) && (typeof key !== "string" || key === ""))
      report.violation(`${mskLabel(resource)} encrypts at rest with the AWS-managed key`);
    const logs = at(resource.props, "loggingInfo.brokerLogs");
    if (isUnknown(logs)) return report.unknown("loggingInfo.brokerLogs");
    const enabled = ["cloudwatchLogs", "firehose", "s3"].some((d) => {
      const v = at(logs, `${d}.enabled`);
      return isUnknown(v) || bool(v) === true;
    });
    if (!enabled) report.violation(`${mskLabel(resource)} ships no broker logs`);
  },
});
