/**
 * GCP rules: Cloud Storage, Cloud SQL (`@pulumi/gcp` 9.x: `settings.ipConfiguration.sslMode`
 * replaced `requireSsl`), Managed Service for Apache Kafka, GKE Workload Identity, IAM and KMS.
 *
 * Unknown values: an unknown field is reported as not checked (a finding at the rule's level,
 * never a pass); the engine validates again at `pulumi up`.
 */
import type { PolicyResource, Reporter, ResourceRule } from "./rule";
import { resourceRule, typeAndName } from "./rule";
import { flagField, flagValue, isFalse, noReference, notTrue, resourceFieldRule } from "./fieldChecks";
import { arr, at, bool, isUnknown, jsonDocument, str, strings } from "./values";

const GCS_BUCKET = "gcp:storage/bucket:Bucket";
const SQL_INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance";
const gcsLabel = (r: PolicyResource) => `GCS bucket ${str(r.props.name) ?? r.name}`;
const sqlLabel = (r: PolicyResource) => `Cloud SQL instance ${str(r.props.name) ?? r.name}`;

/** Flags a resource whose customer-managed key reference (`path`) names no key. */
function flagWithoutCmek(resource: PolicyResource, report: Reporter, path: string, label: string): void {
  flagField(
    resource,
    report,
    path,
    noReference,
    () => `${label} is not encrypted with a customer-managed key`,
  );
}

export const gcsUniformAccess = resourceFieldRule(
  {
    name: "gcp-gcs-uniform-access",
    description: "Cloud Storage buckets use uniform bucket-level access (IAM only, no object ACLs).",
    severity: "high",
    remediation: "Set `uniformBucketLevelAccess: true`.",
    defaultLevel: "mandatory",
    appliesTo: [GCS_BUCKET],
  },
  "uniformBucketLevelAccess",
  notTrue,
  (r) => `${gcsLabel(r)} does not use uniform bucket-level access`,
);

export const gcsPublicAccessPrevention = resourceFieldRule(
  {
    name: "gcp-gcs-public-access-prevention",
    description: "Cloud Storage buckets enforce public access prevention.",
    severity: "critical",
    remediation: 'Set `publicAccessPrevention: "enforced"`.',
    defaultLevel: "mandatory",
    appliesTo: [GCS_BUCKET],
  },
  "publicAccessPrevention",
  (v) => v !== "enforced",
  (r, v) =>
    `${gcsLabel(r)} public access prevention is ${v === undefined ? "inherited" : String(v)}, not enforced`,
);

export const PUBLIC_MEMBERS = ["allUsers", "allAuthenticatedUsers"];

/** Members of a GCP IAM policy document (`policyData`): every binding's members, with its role. */
function policyDataBindings(value: unknown): Array<{ role: string; members: string[] }> | "unknown" {
  const doc = jsonDocument(value);
  if (isUnknown(doc)) return "unknown";
  return arr(at(doc, "bindings")).map((b) => ({
    role: String(at(b, "role") ?? ""),
    members: strings(at(b, "members")),
  }));
}

/** Role and members of any IAM member / binding / policy resource. */
function iamGrants(resource: PolicyResource, report: Reporter): Array<{ role: string; members: string[] }> {
  const { props } = resource;
  if (props.policyData !== undefined) {
    const bindings = policyDataBindings(props.policyData);
    if (bindings === "unknown") {
      report.unknown("policyData");
      return [];
    }
    return bindings;
  }
  const role = props.role;
  const members = props.member !== undefined ? props.member : props.members;
  if (isUnknown(role) || isUnknown(members) || strings(members).some(isUnknown)) {
    report.unknown("role / members");
    return [];
  }
  return [{ role: String(role ?? ""), members: strings(members) }];
}

const GCS_ACL_TYPES = [
  "gcp:storage/bucketAccessControl:BucketAccessControl",
  "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
  "gcp:storage/objectAccessControl:ObjectAccessControl",
  "gcp:storage/bucketACL:BucketACL",
  "gcp:storage/defaultObjectACL:DefaultObjectACL",
];
const GCS_IAM_TYPES = [
  "gcp:storage/bucketIAMMember:BucketIAMMember",
  "gcp:storage/bucketIAMBinding:BucketIAMBinding",
  "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
];

export const gcsNoPublicIam = resourceRule({
  name: "gcp-gcs-no-public-iam",
  description: "No bucket IAM grant or ACL names allUsers or allAuthenticatedUsers.",
  severity: "critical",
  remediation:
    "Grant access to named service accounts or groups; serve public content through a CDN with signed URLs.",
  defaultLevel: "mandatory",
  appliesTo: [...GCS_IAM_TYPES, ...GCS_ACL_TYPES],
  check(resource, _ctx, report) {
    const granter = typeAndName(resource);
    if (GCS_ACL_TYPES.includes(resource.type)) {
      const entities = [...strings(resource.props.entity), ...strings(resource.props.roleEntities)];
      for (const e of entities) {
        const who = PUBLIC_MEMBERS.find((m) => e === m || e.endsWith(`:${m}`));
        if (who) report.violation(`${granter} grants ${e} on bucket ${String(resource.props.bucket ?? "")}`);
      }
      return;
    }
    for (const g of iamGrants(resource, report)) {
      for (const m of g.members.filter((m) => PUBLIC_MEMBERS.includes(m))) {
        report.violation(`${granter} grants ${g.role} to ${m}`);
      }
    }
  },
});

export const gcsVersioningLogging = resourceRule({
  name: "gcp-gcs-versioning-logging",
  description:
    "Cloud Storage buckets keep versions, log access and encrypt with a customer-managed key (CMEK).",
  severity: "low",
  remediation:
    "Set `versioning.enabled: true`, `logging.logBucket` to a log bucket, and `encryption.defaultKmsKeyName` to a KMS key.",
  defaultLevel: "advisory",
  appliesTo: [GCS_BUCKET],
  check(resource, _ctx, report) {
    const label = gcsLabel(resource);
    flagField(
      resource,
      report,
      "versioning.enabled",
      notTrue,
      () => `${label} does not keep object versions`,
    );
    flagField(resource, report, "logging.logBucket", noReference, () => `${label} does not log access`);
    flagWithoutCmek(resource, report, "encryption.defaultKmsKeyName", label);
  },
});

export const SQL_SSL_MODES = ["ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"];
const isReplica = (r: PolicyResource) => r.props.masterInstanceName !== undefined;
const isPostgres = (r: PolicyResource) => String(r.props.databaseVersion ?? "").startsWith("POSTGRES");

export const sqlSsl = resourceRule({
  name: "gcp-sql-ssl",
  description: `Cloud SQL accepts only encrypted connections (settings.ipConfiguration.sslMode ${SQL_SSL_MODES.join(" or ")}).`,
  severity: "high",
  remediation:
    'Set `settings.ipConfiguration.sslMode: "ENCRYPTED_ONLY"` (the `requireSsl` flag of older providers is gone in @pulumi/gcp 9).',
  defaultLevel: "mandatory",
  appliesTo: [SQL_INSTANCE],
  check(resource, _ctx, report) {
    const ip = at(resource.props, "settings.ipConfiguration");
    if (isUnknown(ip)) return report.unknown("settings.ipConfiguration");
    const mode = at(ip, "sslMode");
    if (isUnknown(mode)) return report.unknown("settings.ipConfiguration.sslMode");
    if (SQL_SSL_MODES.includes(String(mode))) return;
    const legacy = bool(at(ip, "requireSsl")) === true ? " (requireSsl is set: use sslMode instead)" : "";
    report.violation(
      `${sqlLabel(resource)} sslMode is ${mode === undefined ? "unset (unencrypted connections allowed)" : String(mode)}${legacy}`,
    );
  },
});

export const sqlPrivateIp = resourceRule({
  name: "gcp-sql-private-ip",
  description:
    "Cloud SQL has no public IPv4 address (ipv4Enabled false; Cloud SQL enables it by default) and no authorized network 0.0.0.0/0.",
  severity: "critical",
  remediation:
    "Set `settings.ipConfiguration.ipv4Enabled: false` with `privateNetwork` set, and remove 0.0.0.0/0 from authorizedNetworks.",
  defaultLevel: "mandatory",
  appliesTo: [SQL_INSTANCE],
  check(resource, _ctx, report) {
    const ip = at(resource.props, "settings.ipConfiguration");
    if (isUnknown(ip)) return report.unknown("settings.ipConfiguration");
    flagValue(
      at(ip, "ipv4Enabled"),
      report,
      "ipv4Enabled",
      (v) => bool(v) !== false,
      (v) =>
        `${sqlLabel(resource)} has a public IPv4 address (ipv4Enabled is ${v === undefined ? "unset, default true" : "true"})`,
    );
    for (const n of arr(at(ip, "authorizedNetworks"))) {
      if (at(n, "value") === "0.0.0.0/0") report.violation(`${sqlLabel(resource)} authorizes 0.0.0.0/0`);
    }
  },
});

export const sqlBackupsPitr = resourceRule({
  name: "gcp-sql-backups-pitr",
  description:
    "Cloud SQL primaries take backups with point-in-time recovery (PostgreSQL) or binary logging (MySQL).",
  severity: "high",
  remediation:
    "Set `settings.backupConfiguration.enabled: true` and `pointInTimeRecoveryEnabled: true` (MySQL: binaryLogEnabled).",
  defaultLevel: "mandatory",
  appliesTo: [SQL_INSTANCE],
  check(resource, _ctx, report) {
    if (isReplica(resource)) return;
    const label = sqlLabel(resource);
    const backups = "settings.backupConfiguration";
    flagField(resource, report, `${backups}.enabled`, notTrue, () => `${label} takes no automated backups`);
    const pitr = isPostgres(resource) ? "pointInTimeRecoveryEnabled" : "binaryLogEnabled";
    flagField(
      resource,
      report,
      `${backups}.${pitr}`,
      notTrue,
      () => `${label} has point-in-time recovery off (${pitr})`,
    );
  },
});

export const sqlDeletionProtection = resourceRule({
  name: "gcp-sql-deletion-protection",
  description:
    "In prod, Cloud SQL keeps both Pulumi's deletionProtection and the API's settings.deletionProtectionEnabled on.",
  severity: "high",
  remediation: "Leave `deletionProtection` true and set `settings.deletionProtectionEnabled: true`.",
  defaultLevel: "mandatory",
  settings: ["environment"],
  appliesTo: [SQL_INSTANCE],
  check(resource, ctx, report) {
    if (ctx.environmentOf(resource) !== "prod") return;
    const label = sqlLabel(resource);
    flagField(resource, report, "deletionProtection", isFalse, () => `${label} turns deletionProtection off`);
    const enabled = "settings.deletionProtectionEnabled";
    flagField(resource, report, enabled, notTrue, () => `${label} does not set ${enabled}`);
  },
});

/** Logging flags CIS recommends for Cloud SQL PostgreSQL. */
export const PG_LOG_FLAGS = ["log_connections", "log_disconnections", "log_checkpoints", "log_lock_waits"];

export const sqlPgLogFlags = resourceRule({
  name: "gcp-sql-pg-log-flags",
  description: `Cloud SQL PostgreSQL turns on ${PG_LOG_FLAGS.join(", ")}.`,
  severity: "low",
  remediation: `Add database flags ${PG_LOG_FLAGS.map((f) => `${f}=on`).join(", ")} under settings.databaseFlags.`,
  defaultLevel: "advisory",
  appliesTo: [SQL_INSTANCE],
  check(resource, _ctx, report) {
    if (!isPostgres(resource)) return;
    const flags = at(resource.props, "settings.databaseFlags");
    if (isUnknown(flags)) return report.unknown("settings.databaseFlags");
    const on = new Set(
      arr(flags)
        .filter((f) => at(f, "value") === "on")
        .map((f) => String(at(f, "name"))),
    );
    const missing = PG_LOG_FLAGS.filter((f) => !on.has(f));
    if (missing.length > 0) report.violation(`${sqlLabel(resource)} does not turn on ${missing.join(", ")}`);
  },
});

export const sqlHaCmek = resourceRule({
  name: "gcp-sql-ha-cmek",
  description:
    "Cloud SQL is encrypted with a customer-managed key, and in prod is REGIONAL (highly available).",
  severity: "medium",
  remediation: 'Set `encryptionKeyName` to a KMS key and, in prod, `settings.availabilityType: "REGIONAL"`.',
  defaultLevel: "advisory",
  settings: ["environment"],
  appliesTo: [SQL_INSTANCE],
  check(resource, ctx, report) {
    const label = sqlLabel(resource);
    flagWithoutCmek(resource, report, "encryptionKeyName", label);
    if (ctx.environmentOf(resource) === "prod" && !isReplica(resource)) {
      flagField(
        resource,
        report,
        "settings.availabilityType",
        (v) => v !== "REGIONAL",
        (v) => `${label} availability is ${String(v ?? "ZONAL")}, not REGIONAL`,
      );
    }
  },
});

export const kafkaCmekNetwork = resourceRule({
  name: "gcp-kafka-cmek-network",
  description:
    "Managed Service for Apache Kafka clusters use a customer-managed key and attach to named subnets.",
  severity: "medium",
  remediation: "Set `gcpConfig.kmsKey` and `gcpConfig.accessConfig.networkConfigs[].subnet`.",
  defaultLevel: "advisory",
  appliesTo: ["gcp:managedkafka/cluster:Cluster"],
  check(resource, _ctx, report) {
    const label = `Managed Kafka cluster ${str(resource.props.clusterId) ?? resource.name}`;
    flagWithoutCmek(resource, report, "gcpConfig.kmsKey", label);
    const networks = at(resource.props, "gcpConfig.accessConfig.networkConfigs");
    if (isUnknown(networks)) return report.unknown("gcpConfig.accessConfig.networkConfigs");
    if (!arr(networks).some((n) => at(n, "subnet") !== undefined && at(n, "subnet") !== ""))
      report.violation(`${label} names no subnet`);
  },
});

export const gkeWorkloadIdentity = resourceRule({
  name: "gcp-gke-workload-identity",
  description:
    "GKE clusters enable Workload Identity, and node pools serve the GKE metadata server (GKE_METADATA), so pods never see node credentials.",
  severity: "high",
  remediation:
    'Set `workloadIdentityConfig.workloadPool: "<project>.svc.id.goog"` on the cluster and `nodeConfig.workloadMetadataConfig.mode: GKE_METADATA` on node pools.',
  defaultLevel: "mandatory",
  appliesTo: ["gcp:container/cluster:Cluster", "gcp:container/nodePool:NodePool"],
  check(resource, _ctx, report) {
    const checkMode = (mode: unknown, where: string) =>
      flagValue(
        mode,
        report,
        where,
        (m) => m !== undefined && m !== "GKE_METADATA",
        (m) => `${where} is ${String(m)}, not GKE_METADATA`,
      );
    if (resource.type === "gcp:container/nodePool:NodePool") {
      return checkMode(
        at(resource.props, "nodeConfig.workloadMetadataConfig.mode"),
        `node pool ${resource.name} workload metadata mode`,
      );
    }
    if (bool(resource.props.enableAutopilot) === true) return;
    flagField(
      resource,
      report,
      "workloadIdentityConfig.workloadPool",
      noReference,
      () => `GKE cluster ${resource.name} does not enable Workload Identity`,
    );
    checkMode(
      at(resource.props, "nodeConfig.workloadMetadataConfig.mode"),
      `GKE cluster ${resource.name} default node pool workload metadata mode`,
    );
    arr(resource.props.nodePools).forEach((p, i) =>
      checkMode(
        at(p, "nodeConfig.workloadMetadataConfig.mode"),
        `GKE cluster ${resource.name} nodePools[${i}] workload metadata mode`,
      ),
    );
  },
});

export const BASIC_ROLES = ["roles/owner", "roles/editor", "roles/viewer"];
const PROJECT_IAM_TYPES = ["projects", "folder", "organizations"].flatMap((scope) => [
  `gcp:${scope}/iAMMember:IAMMember`,
  `gcp:${scope}/iAMBinding:IAMBinding`,
  `gcp:${scope}/iAMPolicy:IAMPolicy`,
]);
const SA_IAM_TYPES = [
  "gcp:serviceaccount/iAMMember:IAMMember",
  "gcp:serviceaccount/iAMBinding:IAMBinding",
  "gcp:serviceaccount/iAMPolicy:IAMPolicy",
];

export const iamNoBasicRoles = resourceRule({
  name: "gcp-iam-no-basic-roles",
  description: `No one is granted a basic role (${BASIC_ROLES.join(", ")}).`,
  severity: "critical",
  remediation: "Grant predefined or custom roles limited to what the member needs.",
  defaultLevel: "mandatory",
  appliesTo: [...PROJECT_IAM_TYPES, ...SA_IAM_TYPES, ...GCS_IAM_TYPES],
  check(resource, _ctx, report) {
    for (const g of iamGrants(resource, report)) {
      if (BASIC_ROLES.includes(g.role))
        report.violation(`${typeAndName(resource)} grants ${g.role} to ${g.members.join(", ")}`);
    }
  },
});

const WI_ROLE = "roles/iam.workloadIdentityUser";
/** `serviceAccount:<project>.svc.id.goog[<namespace>/<ksa>]`, no wildcard. */
const KSA_MEMBER =
  /^serviceAccount:[a-z0-9.:-]+\.svc\.id\.goog\[[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?\]$/;

export const iamWiBindingScoped = resourceRule({
  name: "gcp-iam-wi-binding-scoped",
  description:
    "roles/iam.workloadIdentityUser is granted on a service account to exactly one Kubernetes service account, never project-wide or to a principal set.",
  severity: "critical",
  remediation:
    "Bind workloadIdentityUser on the Google service account to `serviceAccount:<project>.svc.id.goog[<namespace>/<ksa>]`, one binding per KSA.",
  defaultLevel: "mandatory",
  appliesTo: [...SA_IAM_TYPES, ...PROJECT_IAM_TYPES],
  check(resource, _ctx, report) {
    const granter = typeAndName(resource);
    for (const g of iamGrants(resource, report)) {
      if (g.role !== WI_ROLE) continue;
      if (PROJECT_IAM_TYPES.includes(resource.type)) {
        report.violation(
          `${granter} grants ${WI_ROLE} on a whole ${resource.type.split(":")[1].split("/")[0]}, not on one service account`,
        );
        continue;
      }
      if (g.members.length !== 1)
        report.violation(
          `${granter} grants ${WI_ROLE} to ${g.members.length} members (want exactly one KSA)`,
        );
      for (const m of g.members.filter((m) => !KSA_MEMBER.test(m))) {
        report.violation(`${granter} grants ${WI_ROLE} to ${m}, not one Kubernetes service account`);
      }
    }
  },
});

/** 90 days in seconds. */
export const MAX_ROTATION_SECONDS = 90 * 24 * 3600;

export const kmsRotation = resourceRule({
  name: "gcp-kms-rotation",
  description: "Symmetric Cloud KMS keys rotate at least every 90 days.",
  severity: "medium",
  remediation: 'Set `rotationPeriod: "7776000s"` (90 days) or shorter.',
  defaultLevel: "advisory",
  appliesTo: ["gcp:kms/cryptoKey:CryptoKey"],
  check(resource, _ctx, report) {
    const purpose = resource.props.purpose ?? "ENCRYPT_DECRYPT";
    if (isUnknown(purpose)) return report.unknown("purpose");
    if (purpose !== "ENCRYPT_DECRYPT") return;
    const period = resource.props.rotationPeriod;
    if (isUnknown(period)) return report.unknown("rotationPeriod");
    if (period === undefined || period === "")
      return report.violation(`KMS key ${resource.name} does not rotate`);
    const seconds = Number(String(period).replace(/s$/, ""));
    if (!Number.isFinite(seconds) || seconds > MAX_ROTATION_SECONDS)
      report.violation(`KMS key ${resource.name} rotates every ${String(period)} (> 90 days)`);
  },
});

export const gcpRules: ResourceRule[] = [
  gcsUniformAccess,
  gcsPublicAccessPrevention,
  gcsNoPublicIam,
  gcsVersioningLogging,
  sqlSsl,
  sqlPrivateIp,
  sqlBackupsPitr,
  sqlDeletionProtection,
  sqlPgLogFlags,
  sqlHaCmek,
  kafkaCmekNetwork,
  gkeWorkloadIdentity,
  iamNoBasicRoles,
  iamWiBindingScoped,
  kmsRotation,
];
