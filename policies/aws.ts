/**
 * AWS rules (after Pulumi's awsguard and Checkov): S3, RDS / Aurora PostgreSQL, MSK, IAM and KMS.
 *
 * S3 buckets are configured both ways `@pulumi/aws` 7.x allows: the current `aws:s3/bucket:Bucket`
 * (and the deprecated `aws:s3/bucketV2:BucketV2`) with separate configuration resources (each in
 * its current and deprecated `…V2` spelling), or the deprecated inline inputs
 * (`serverSideEncryptionConfiguration`, `versioning`, `logging`, `acl`, `grants`, `policy`).
 * Stack rules relate a bucket to its configuration resources (see `references.ts`).
 *
 * Unknown values: an unknown field or policy document is reported as not checked (a finding at the
 * rule's level, never a pass); the engine validates again at `pulumi up`. A configuration
 * resource that cannot be linked to any bucket (unknown reference, no dependency information)
 * makes a bucket without one *not checked* rather than failed.
 */
import { conditionValues, readPolicyDocument, Statement, statementLabel } from "./awsPolicyDocuments";
import { CompanionIndex, identitiesOf } from "./references";
import type { PolicyResource, Reporter, ResourceRule, StackRule, StackView } from "./rule";
import { resourceRule, stackRule, UNKNOWN_NOT_CHECKED } from "./rule";
import { arr, at, bool, isUnknown, num, obj, str, strings } from "./values";

const COMPANION_UNKNOWN =
  "A configuration resource whose bucket reference is unknown and carries no dependency information cannot be linked: buckets without a linked one are reported as not checked instead of failed. Unknown settings are reported as not checked (a finding at the rule's level).";

export const S3_BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
export const S3_COMPANIONS = {
  publicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
  ownershipControls: ["aws:s3/bucketOwnershipControls:BucketOwnershipControls"],
  acl: ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"],
  encryption: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ],
  versioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
  logging: ["aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"],
  policy: ["aws:s3/bucketPolicy:BucketPolicy"],
};
/** How configuration resources name a bucket: its physical name (or id). */
const BUCKET_NAMES = ["bucket"];

const bucketLabel = (b: PolicyResource) => `bucket ${str(b.props.bucket) ?? b.name}`;

/** A value or list of values as a list (inline S3 inputs are objects in `Bucket`, lists in `BucketV2`). */
function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}

/** Each bucket with the configuration resources of the given types that name it. */
function eachBucket(
  stack: StackView,
  companionTypes: string[],
  fn: (bucket: PolicyResource, companions: PolicyResource[], unplaced: boolean) => void,
): void {
  const buckets = stack.ofType(...S3_BUCKET_TYPES);
  if (buckets.length === 0) return;
  const index = new CompanionIndex(stack.ofType(...companionTypes), "bucket");
  for (const b of buckets) fn(b, index.of(b, BUCKET_NAMES), index.unplaced.length > 0);
}

export const s3PublicAccessBlock: StackRule = stackRule({
  name: "aws-s3-public-access-block",
  description: "Every S3 bucket has a BucketPublicAccessBlock with all four flags true.",
  severity: "critical",
  remediation:
    "Add an aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
  defaultLevel: "mandatory",
  onUnknown: COMPANION_UNKNOWN,
  check(stack, _ctx, report) {
    const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
    eachBucket(stack, S3_COMPANIONS.publicAccessBlock, (bucket, blocks, unplaced) => {
      if (blocks.length === 0) {
        if (unplaced) report.unknown("BucketPublicAccessBlock reference", bucket);
        else report.violation(`${bucketLabel(bucket)} has no public access block`, bucket);
        return;
      }
      let best: string[] | undefined;
      for (const block of blocks) {
        const off = flags.filter((f) => {
          const v = block.props[f];
          if (isUnknown(v)) report.unknown(f, block);
          return !isUnknown(v) && bool(v) !== true;
        });
        if (!best || off.length < best.length) best = off;
      }
      if (best && best.length > 0)
        report.violation(
          `${bucketLabel(bucket)}'s public access block leaves ${best.join(", ")} off`,
          bucket,
        );
    });
  },
});

export const PUBLIC_CANNED_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_GRANTEE_URIS = [
  "http://acs.amazonaws.com/groups/global/AllUsers",
  "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];

function publicGrants(grants: unknown): string[] {
  return arr(grants)
    .map((g) => str(at(g, "uri")) ?? str(at(g, "grantee.uri")))
    .filter((uri): uri is string => uri !== undefined && PUBLIC_GRANTEE_URIS.includes(uri));
}

export const s3NoAcls: StackRule = stackRule({
  name: "aws-s3-no-acls",
  description:
    "S3 buckets grant nothing through ACLs: no public canned ACL or public grant, and object ownership BucketOwnerEnforced (ACLs disabled).",
  severity: "high",
  remediation:
    "Remove `acl` / `grants` and BucketAcl resources; add aws.s3.BucketOwnershipControls with `rule.objectOwnership: BucketOwnerEnforced`.",
  defaultLevel: "mandatory",
  onUnknown: COMPANION_UNKNOWN,
  check(stack, _ctx, report) {
    const owners = new CompanionIndex(stack.ofType(...S3_COMPANIONS.ownershipControls), "bucket");
    eachBucket(stack, S3_COMPANIONS.acl, (bucket, acls, unplaced) => {
      const label = bucketLabel(bucket);
      const acl = bucket.props.acl;
      if (typeof acl === "string" && PUBLIC_CANNED_ACLS.includes(acl))
        report.violation(`${label} has the public ACL ${acl}`, bucket);
      for (const uri of publicGrants(bucket.props.grants))
        report.violation(`${label} grants access to ${uri}`, bucket);
      for (const a of acls) {
        const companionAcl = a.props.acl;
        if (typeof companionAcl === "string" && PUBLIC_CANNED_ACLS.includes(companionAcl)) {
          report.violation(`${label} has the public ACL ${companionAcl} (BucketAcl ${a.name})`, bucket);
        }
        for (const uri of publicGrants(at(a.props, "accessControlPolicy.grants"))) {
          report.violation(`${label} grants access to ${uri} (BucketAcl ${a.name})`, bucket);
        }
      }
      const controls = owners.of(bucket, BUCKET_NAMES);
      if (controls.length === 0) {
        if (owners.unplaced.length > 0 || unplaced)
          report.unknown("BucketOwnershipControls reference", bucket);
        else
          report.violation(
            `${label} has no BucketOwnershipControls enforcing bucket-owner ownership (ACLs stay enabled)`,
            bucket,
          );
        return;
      }
      for (const c of controls) {
        const ownership = at(c.props, "rule.objectOwnership");
        if (isUnknown(ownership)) report.unknown("rule.objectOwnership", c);
        else if (ownership !== "BucketOwnerEnforced")
          report.violation(
            `${label} object ownership is ${String(ownership)}, not BucketOwnerEnforced`,
            bucket,
          );
      }
    });
  },
});

/** Default-encryption settings, from the inline inputs of either bucket type or a configuration resource. */
function encryptionDefaults(props: Record<string, unknown>): unknown[] {
  const configs = [
    ...list(props.serverSideEncryptionConfiguration),
    ...list(props.serverSideEncryptionConfigurations),
  ];
  const rules = [
    ...configs.flatMap((c) => [...list(at(c, "rule")), ...list(at(c, "rules"))]),
    ...list(props.rules),
  ];
  return rules.flatMap((r) => [
    ...list(at(r, "applyServerSideEncryptionByDefault")),
    ...list(at(r, "applyServerSideEncryptionByDefaults")),
  ]);
}

export const s3SseKms: StackRule = stackRule({
  name: "aws-s3-sse-kms",
  description: "S3 buckets encrypt by default with SSE-KMS under a customer-managed key.",
  severity: "medium",
  remediation:
    "Add an aws.s3.BucketServerSideEncryptionConfiguration with `sseAlgorithm: aws:kms` and `kmsMasterKeyId` set to your KMS key (bucketKeyEnabled: true).",
  defaultLevel: "advisory",
  onUnknown: COMPANION_UNKNOWN,
  check(stack, _ctx, report) {
    eachBucket(stack, S3_COMPANIONS.encryption, (bucket, configs, unplaced) => {
      const defaults = [
        ...encryptionDefaults(bucket.props),
        ...configs.flatMap((c) => encryptionDefaults(c.props)),
      ];
      let unknown = false;
      const ok = defaults.some((d) => {
        const algorithm = at(d, "sseAlgorithm");
        const key = at(d, "kmsMasterKeyId");
        if (isUnknown(algorithm)) unknown = true;
        return (
          (algorithm === "aws:kms" || algorithm === "aws:kms:dsse") &&
          (isUnknown(key) || (typeof key === "string" && key !== ""))
        );
      });
      if (ok) return;
      if (unknown || (defaults.length === 0 && unplaced)) return report.unknown("default encryption", bucket);
      const algorithms = defaults.map((d) => String(at(d, "sseAlgorithm"))).join(", ");
      report.violation(
        defaults.length === 0
          ? `${bucketLabel(bucket)} declares no default encryption (S3 falls back to SSE-S3)`
          : `${bucketLabel(bucket)} encrypts with ${algorithms}, not SSE-KMS under a customer-managed key`,
        bucket,
      );
    });
  },
});

export const s3Versioning: StackRule = stackRule({
  name: "aws-s3-versioning",
  description: "S3 buckets keep object versions (versioning Enabled).",
  severity: "high",
  remediation:
    "Add an aws.s3.BucketVersioning for the bucket with `versioningConfiguration.status: Enabled`.",
  defaultLevel: "mandatory",
  onUnknown: COMPANION_UNKNOWN,
  check(stack, _ctx, report) {
    eachBucket(stack, S3_COMPANIONS.versioning, (bucket, configs, unplaced) => {
      const inline = [...list(bucket.props.versioning), ...list(bucket.props.versionings)].map((v) =>
        at(v, "enabled"),
      );
      const separate = configs.map((c) => at(c.props, "versioningConfiguration.status"));
      if (inline.some((v) => bool(v) === true) || separate.includes("Enabled")) return;
      if ([...inline, ...separate].some(isUnknown) || (configs.length === 0 && unplaced))
        return report.unknown("versioning", bucket);
      report.violation(`${bucketLabel(bucket)} does not have versioning Enabled`, bucket);
    });
  },
});

export const s3AccessLogging: StackRule = stackRule({
  name: "aws-s3-access-logging",
  description: "S3 buckets log access to another bucket.",
  severity: "low",
  remediation: "Add an aws.s3.BucketLogging for the bucket with a separate log bucket as targetBucket.",
  defaultLevel: "advisory",
  onUnknown: COMPANION_UNKNOWN,
  check(stack, _ctx, report) {
    eachBucket(stack, S3_COMPANIONS.logging, (bucket, configs, unplaced) => {
      const self = new Set(identitiesOf(bucket, BUCKET_NAMES));
      const targets: Array<{ value: unknown; deps?: string[] }> = [
        ...[...list(bucket.props.logging), ...list(bucket.props.loggings)].map((l) => ({
          value: at(l, "targetBucket"),
        })),
        ...configs.map((c) => ({ value: c.props.targetBucket, deps: c.propertyDependencies?.targetBucket })),
      ];
      if (targets.length === 0) {
        if (unplaced) report.unknown("BucketLogging reference", bucket);
        else report.violation(`${bucketLabel(bucket)} has no access logging`, bucket);
        return;
      }
      const toItself = (t: (typeof targets)[number]) =>
        (typeof t.value === "string" && self.has(t.value)) || (t.deps ?? []).includes(bucket.urn);
      if (targets.every(toItself)) report.violation(`${bucketLabel(bucket)} logs access to itself`, bucket);
    });
  },
});

/** The statements of a bucket's policies: inline `policy` and BucketPolicy resources. */
function bucketPolicies(
  bucket: PolicyResource,
  policies: PolicyResource[],
  report: Reporter,
): Statement[] | "unknown" {
  const statements: Statement[] = [];
  for (const source of [bucket, ...policies]) {
    const doc = readPolicyDocument(source.props.policy);
    if (doc === "unknown") return "unknown";
    if (doc === "invalid")
      report.violation(
        `${source === bucket ? bucketLabel(bucket) : `BucketPolicy ${source.name}`} has a policy that is not valid JSON`,
        bucket,
      );
    else if (doc) statements.push(...doc.statements);
  }
  return statements;
}

export const s3TlsOnly: StackRule = stackRule({
  name: "aws-s3-tls-only",
  description: "S3 bucket policies deny every request made without TLS (`aws:SecureTransport` false).",
  severity: "high",
  remediation:
    'Add a BucketPolicy statement: Effect Deny, Principal "*", Action "s3:*", Resource the bucket and its objects, Condition {"Bool": {"aws:SecureTransport": "false"}}.',
  defaultLevel: "mandatory",
  onUnknown: COMPANION_UNKNOWN,
  check(stack, _ctx, report) {
    eachBucket(stack, S3_COMPANIONS.policy, (bucket, policies, unplaced) => {
      const statements = bucketPolicies(bucket, policies, report);
      if (statements === "unknown") return report.unknown("bucket policy", bucket);
      const denies = statements.some(
        (s) =>
          s.effect === "Deny" &&
          conditionValues(s.condition, ["Bool", "BoolIfExists"], "aws:SecureTransport").some(
            (v) => v === "false",
          ),
      );
      if (denies) return;
      if (policies.length === 0 && unplaced) return report.unknown("BucketPolicy reference", bucket);
      report.violation(
        `${bucketLabel(bucket)} has no policy denying requests without TLS (aws:SecureTransport false)`,
        bucket,
      );
    });
  },
});

function wildcardAllows(statements: Statement[]): Statement[] {
  return statements.filter(
    (s) => s.effect === "Allow" && s.anyonePrincipal && Object.keys(s.condition).length === 0,
  );
}

export const s3NoWildcardPrincipal = resourceRule({
  name: "aws-s3-no-wildcard-principal",
  description: 'S3 bucket policies allow nothing to Principal "*" without a condition.',
  severity: "critical",
  remediation:
    "Name the principals (roles, accounts) the statement allows, or add a condition (aws:PrincipalOrgID, aws:SourceVpce).",
  defaultLevel: "mandatory",
  onUnknown: UNKNOWN_NOT_CHECKED,
  appliesTo: [...S3_BUCKET_TYPES, ...S3_COMPANIONS.policy],
  check(resource, _ctx, report) {
    const doc = readPolicyDocument(resource.props.policy);
    if (doc === "unknown") return report.unknown("policy");
    if (!doc || doc === "invalid") return;
    for (const s of wildcardAllows(doc.statements)) {
      report.violation(
        `${S3_BUCKET_TYPES.includes(resource.type) ? bucketLabel(resource) : `BucketPolicy ${resource.name}`} ${statementLabel(s)} allows Principal * without a condition`,
      );
    }
  },
});

const RDS_INSTANCE = "aws:rds/instance:Instance";
const RDS_CLUSTER = "aws:rds/cluster:Cluster";
const RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance";
const rdsLabel = (r: PolicyResource) =>
  `${r.type === RDS_CLUSTER ? "RDS cluster" : "RDS instance"} ${str(r.props.identifier) ?? str(r.props.clusterIdentifier) ?? r.name}`;

function rdsFlagRule(
  name: string,
  field: string,
  description: string,
  remediation: string,
  level: "mandatory" | "advisory",
  severity: "critical" | "high" | "medium" | "low",
  types: string[],
  bad: (v: unknown) => boolean,
  message: (v: unknown) => string,
): ResourceRule {
  return resourceRule({
    name,
    description,
    severity,
    remediation,
    defaultLevel: level,
    onUnknown: UNKNOWN_NOT_CHECKED,
    appliesTo: types,
    check(resource, _ctx, report) {
      const v = resource.props[field];
      if (isUnknown(v)) report.unknown(field);
      else if (bad(v)) report.violation(`${rdsLabel(resource)} ${message(v)}`);
    },
  });
}

export const rdsEncrypted = rdsFlagRule(
  "aws-rds-encrypted",
  "storageEncrypted",
  "RDS instances and Aurora clusters encrypt storage.",
  "Set `storageEncrypted: true` (and `kmsKeyId` to a customer-managed key).",
  "mandatory",
  "high",
  [RDS_INSTANCE, RDS_CLUSTER],
  (v) => bool(v) !== true,
  () => "does not encrypt storage (storageEncrypted is not true)",
);

export const rdsNotPublic = rdsFlagRule(
  "aws-rds-not-public",
  "publiclyAccessible",
  "RDS instances are not publicly accessible.",
  "Set `publiclyAccessible: false` and place the instance in private subnets.",
  "mandatory",
  "critical",
  [RDS_INSTANCE, RDS_CLUSTER_INSTANCE],
  (v) => bool(v) === true,
  () => "is publicly accessible",
);

export const MIN_BACKUP_RETENTION_DAYS = 7;

export const rdsBackups = rdsFlagRule(
  "aws-rds-backups",
  "backupRetentionPeriod",
  `RDS instances and Aurora clusters keep automated backups for at least ${MIN_BACKUP_RETENTION_DAYS} days.`,
  `Set \`backupRetentionPeriod\` to ${MIN_BACKUP_RETENTION_DAYS} or more (35 in prod).`,
  "mandatory",
  "high",
  [RDS_INSTANCE, RDS_CLUSTER],
  (v) => (num(v) ?? 0) < MIN_BACKUP_RETENTION_DAYS,
  (v) =>
    `keeps backups for ${v === undefined ? "the default (1 day or none)" : `${String(v)} days`} (< ${MIN_BACKUP_RETENTION_DAYS})`,
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
  onUnknown: UNKNOWN_NOT_CHECKED,
  appliesTo: [RDS_INSTANCE, RDS_CLUSTER],
  check(resource, ctx, report) {
    if (ctx.environmentOf(resource) !== "prod") return;
    const protection = resource.props.deletionProtection;
    const skip = resource.props.skipFinalSnapshot;
    if (isUnknown(protection)) report.unknown("deletionProtection");
    else if (bool(protection) !== true) report.violation(`${rdsLabel(resource)} has no deletion protection`);
    if (isUnknown(skip)) report.unknown("skipFinalSnapshot");
    else if (bool(skip) === true) report.violation(`${rdsLabel(resource)} skips the final snapshot`);
  },
});

export const rdsMultiAz = resourceRule({
  name: "aws-rds-multi-az",
  description: "In prod, RDS instances run Multi-AZ (Aurora clusters are multi-AZ by their instances).",
  severity: "medium",
  remediation: "Set `multiAz: true`.",
  defaultLevel: "advisory",
  settings: ["environment"],
  onUnknown: UNKNOWN_NOT_CHECKED,
  appliesTo: [RDS_INSTANCE],
  check(resource, ctx, report) {
    if (ctx.environmentOf(resource) !== "prod") return;
    const v = resource.props.multiAz;
    if (isUnknown(v)) report.unknown("multiAz");
    else if (bool(v) !== true) report.violation(`${rdsLabel(resource)} is not Multi-AZ`);
  },
});

export const rdsIamAuth = rdsFlagRule(
  "aws-rds-iam-auth",
  "iamDatabaseAuthenticationEnabled",
  "RDS instances and Aurora clusters accept IAM database authentication.",
  "Set `iamDatabaseAuthenticationEnabled: true` and grant `rds_iam` to the roles that use it.",
  "advisory",
  "medium",
  [RDS_INSTANCE, RDS_CLUSTER],
  (v) => bool(v) !== true,
  () => "does not enable IAM database authentication",
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
  onUnknown: UNKNOWN_NOT_CHECKED,
  appliesTo: [RDS_INSTANCE, RDS_CLUSTER],
  check(resource, _ctx, report) {
    if (!isPostgres(resource)) return;
    const exports = resource.props.enabledCloudwatchLogsExports;
    if (isUnknown(exports)) report.unknown("enabledCloudwatchLogsExports");
    else if (!strings(exports).includes("postgresql"))
      report.violation(`${rdsLabel(resource)} does not export the postgresql log`);
    const upgrades = resource.props.autoMinorVersionUpgrade;
    if (isUnknown(upgrades)) report.unknown("autoMinorVersionUpgrade");
    else if (bool(upgrades) === false)
      report.violation(`${rdsLabel(resource)} turns automatic minor version upgrades off`);
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
  onUnknown: UNKNOWN_NOT_CHECKED,
  appliesTo: [MSK_CLUSTER],
  check(resource, _ctx, report) {
    const transit = at(resource.props, "encryptionInfo.encryptionInTransit");
    if (isUnknown(transit)) return report.unknown("encryptionInfo.encryptionInTransit");
    const clientBroker = at(transit, "clientBroker");
    const inCluster = at(transit, "inCluster");
    if (isUnknown(clientBroker)) report.unknown("clientBroker");
    else if (clientBroker !== undefined && clientBroker !== "TLS")
      report.violation(`${mskLabel(resource)} allows ${String(clientBroker)} between clients and brokers`);
    if (isUnknown(inCluster)) report.unknown("inCluster");
    else if (bool(inCluster) === false)
      report.violation(`${mskLabel(resource)} does not encrypt traffic between brokers`);
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
  onUnknown: UNKNOWN_NOT_CHECKED,
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
  onUnknown: UNKNOWN_NOT_CHECKED,
  appliesTo: [MSK_CLUSTER],
  check(resource, _ctx, report) {
    const type = at(resource.props, "brokerNodeGroupInfo.connectivityInfo.publicAccess.type");
    if (isUnknown(type)) report.unknown("publicAccess.type");
    else if (type === "SERVICE_PROVIDED_EIPS")
      report.violation(`${mskLabel(resource)} gives brokers public IPs (SERVICE_PROVIDED_EIPS)`);
  },
});

export const mskCmkLogging = resourceRule({
  name: "aws-msk-cmk-logging",
  description: "MSK encrypts data at rest under a customer-managed KMS key and ships broker logs.",
  severity: "low",
  remediation:
    "Set `encryptionInfo.encryptionAtRestKmsKeyArn` and enable `loggingInfo.brokerLogs` (CloudWatch, Firehose or S3).",
  defaultLevel: "advisory",
  onUnknown: UNKNOWN_NOT_CHECKED,
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

/** IAM resources holding a policy document, and where. */
const IAM_POLICY_DOCUMENTS: Record<string, string> = {
  "aws:iam/policy:Policy": "policy",
  "aws:iam/rolePolicy:RolePolicy": "policy",
  "aws:iam/userPolicy:UserPolicy": "policy",
  "aws:iam/groupPolicy:GroupPolicy": "policy",
};
const IAM_ROLE = "aws:iam/role:Role";

/** The policy documents of an IAM resource (a role's inline policies included). */
function iamDocuments(resource: PolicyResource): Array<{ label: string; value: unknown }> {
  if (resource.type === IAM_ROLE) {
    return arr(resource.props.inlinePolicies).map((p, i) => ({
      label: `inline policy ${str(at(p, "name")) ?? i}`,
      value: at(p, "policy"),
    }));
  }
  const field = IAM_POLICY_DOCUMENTS[resource.type];
  return field ? [{ label: "policy", value: resource.props[field] }] : [];
}

function eachAllowStatement(
  resource: PolicyResource,
  report: Reporter,
  fn: (s: Statement, where: string) => void,
): void {
  for (const { label, value } of iamDocuments(resource)) {
    const doc = readPolicyDocument(value);
    if (doc === "unknown") report.unknown(label);
    else if (doc && doc !== "invalid") {
      for (const s of doc.statements)
        if (s.effect === "Allow")
          fn(s, `${resource.type.split(":").pop()} ${resource.name} ${label} ${statementLabel(s)}`);
    }
  }
}

/** Services where `service:*` hands over control of data, keys or identity. */
export const SENSITIVE_SERVICES = [
  "iam",
  "sts",
  "kms",
  "s3",
  "secretsmanager",
  "ssm",
  "organizations",
  "ec2",
  "rds",
  "rds-db",
  "dynamodb",
  "lambda",
  "kafka",
  "kafka-cluster",
  "eks",
  "ecr",
  "cloudtrail",
  "logs",
];

export const iamNoWildcardAction = resourceRule({
  name: "aws-iam-no-wildcard-action",
  description: `IAM policies allow no Action "*", no NotAction, and no "service:*" on sensitive services (${SENSITIVE_SERVICES.join(", ")}).`,
  severity: "critical",
  remediation: "List the exact actions the principal needs (e.g. s3:GetObject, s3:PutObject).",
  defaultLevel: "mandatory",
  onUnknown: UNKNOWN_NOT_CHECKED,
  appliesTo: [...Object.keys(IAM_POLICY_DOCUMENTS), IAM_ROLE],
  check(resource, _ctx, report) {
    eachAllowStatement(resource, report, (s, where) => {
      if (s.notActions.length > 0)
        report.violation(`${where} allows everything except ${s.notActions.join(", ")} (NotAction)`);
      const wild = s.actions.filter(
        (a) => a === "*" || (a.endsWith(":*") && SENSITIVE_SERVICES.includes(a.slice(0, -2).toLowerCase())),
      );
      if (wild.length > 0) report.violation(`${where} allows ${wild.join(", ")}`);
    });
  },
});

/** Actions AWS does not scope to resources, so `Resource: "*"` is the only way to grant them. */
export const UNSCOPED_ACTIONS = [
  "sts:GetCallerIdentity",
  "ecr:GetAuthorizationToken",
  "s3:ListAllMyBuckets",
  "cloudwatch:PutMetricData",
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "kms:CreateKey",
  "kms:ListKeys",
  "kms:ListAliases",
  "iam:ListRoles",
  "iam:ListPolicies",
  "logs:DescribeLogGroups",
  "kafka:ListClusters",
  "kafka:ListClustersV2",
  "secretsmanager:ListSecrets",
  "ssm:DescribeParameters",
  "tag:GetResources",
  "ec2:Describe*",
  "autoscaling:Describe*",
  "elasticloadbalancing:Describe*",
  "rds:DescribeDBEngineVersions",
  "rds:DescribeOrderableDBInstanceOptions",
];

function unscoped(action: string): boolean {
  return UNSCOPED_ACTIONS.some((u) => {
    if (u.endsWith("*")) return action.toLowerCase().startsWith(u.slice(0, -1).toLowerCase());
    return u.toLowerCase() === action.toLowerCase();
  });
}

export const iamNoWildcardResource = resourceRule({
  name: "aws-iam-no-wildcard-resource",
  description:
    'IAM policies allow actions that can be scoped to resources only on named resources, not Resource "*".',
  severity: "medium",
  remediation:
    'Replace Resource "*" with the ARNs the actions need; keep "*" only for actions AWS cannot scope (sts:GetCallerIdentity, ec2:Describe*…).',
  defaultLevel: "advisory",
  onUnknown: UNKNOWN_NOT_CHECKED,
  appliesTo: [...Object.keys(IAM_POLICY_DOCUMENTS), IAM_ROLE],
  check(resource, _ctx, report) {
    eachAllowStatement(resource, report, (s, where) => {
      if (!s.resources.includes("*")) return;
      const scoped = s.actions.filter((a) => !unscoped(a));
      if (scoped.length > 0) report.violation(`${where} allows ${scoped.join(", ")} on Resource *`);
    });
  },
});

export const ADMIN_POLICIES = ["AdministratorAccess", "IAMFullAccess"];
const ATTACHMENTS: Record<string, string> = {
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "policyArn",
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": "policyArn",
  "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "policyArn",
  "aws:iam/policyAttachment:PolicyAttachment": "policyArn",
  "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "policyArns",
  [IAM_ROLE]: "managedPolicyArns",
};

export const iamNoAdminAttach = resourceRule({
  name: "aws-iam-no-admin-attach",
  description: `No role, user or group is attached ${ADMIN_POLICIES.join(" or ")}.`,
  severity: "critical",
  remediation: "Attach a policy with only the actions and resources the principal needs.",
  defaultLevel: "mandatory",
  onUnknown: UNKNOWN_NOT_CHECKED,
  appliesTo: Object.keys(ATTACHMENTS),
  check(resource, _ctx, report) {
    const field = ATTACHMENTS[resource.type];
    const value = resource.props[field];
    if (isUnknown(value)) return report.unknown(field);
    for (const arn of strings(value)) {
      const policy = arn.split("/").pop() ?? "";
      if (arn.startsWith("arn:") && arn.includes(":iam::aws:policy/") && ADMIN_POLICIES.includes(policy)) {
        report.violation(`${resource.type.split(":").pop()} ${resource.name} attaches ${policy}`);
      }
    }
  },
});

export const iamTrustScoped = resourceRule({
  name: "aws-iam-trust-scoped",
  description:
    'Role trust policies never trust Principal "*", and OIDC (web identity) trusts pin the exact `sub` and `aud` with StringEquals.',
  severity: "critical",
  remediation:
    'Trust named principals only; for IRSA / OIDC add Condition StringEquals {"<issuer>:sub": "system:serviceaccount:<ns>:<sa>", "<issuer>:aud": "sts.amazonaws.com"}.',
  defaultLevel: "mandatory",
  onUnknown: UNKNOWN_NOT_CHECKED,
  appliesTo: [IAM_ROLE],
  check(resource, _ctx, report) {
    const doc = readPolicyDocument(resource.props.assumeRolePolicy);
    if (doc === "unknown") return report.unknown("assumeRolePolicy");
    if (!doc || doc === "invalid") return;
    for (const s of doc.statements) {
      if (s.effect !== "Allow") continue;
      const where = `Role ${resource.name} trust ${statementLabel(s)}`;
      if (s.anyonePrincipal) {
        report.violation(`${where} trusts Principal *`);
        continue;
      }
      const federated = s.principals.Federated ?? [];
      const oidc =
        federated.some((f) => f.includes(":oidc-provider/")) ||
        s.actions.includes("sts:AssumeRoleWithWebIdentity");
      if (!oidc) continue;
      const exact = obj(s.condition.StringEquals);
      const hasKey = (suffix: string) =>
        Object.entries(exact).some(
          ([k, v]) =>
            k.endsWith(`:${suffix}`) && strings(v).length > 0 && strings(v).every((x) => !x.includes("*")),
        );
      const missing = ["sub", "aud"].filter((k) => !hasKey(k));
      if (missing.length > 0)
        report.violation(
          `${where} is a web-identity trust without an exact StringEquals on ${missing.join(" and ")}`,
        );
    }
  },
});

const KMS_KEY = "aws:kms/key:Key";

export const kmsRotation = resourceRule({
  name: "aws-kms-rotation",
  description: "Symmetric KMS keys rotate their key material.",
  severity: "high",
  remediation: "Set `enableKeyRotation: true` (rotationPeriodInDays 90–365).",
  defaultLevel: "mandatory",
  onUnknown: UNKNOWN_NOT_CHECKED,
  appliesTo: [KMS_KEY],
  check(resource, _ctx, report) {
    const spec = resource.props.customerMasterKeySpec ?? resource.props.keySpec ?? "SYMMETRIC_DEFAULT";
    const usage = resource.props.keyUsage ?? "ENCRYPT_DECRYPT";
    if (isUnknown(spec) || isUnknown(usage)) return report.unknown("key spec");
    if (spec !== "SYMMETRIC_DEFAULT" || usage !== "ENCRYPT_DECRYPT") return;
    const rotation = resource.props.enableKeyRotation;
    if (isUnknown(rotation)) report.unknown("enableKeyRotation");
    else if (bool(rotation) !== true) report.violation(`KMS key ${resource.name} does not rotate`);
  },
});

export const kmsPolicySafe: StackRule = stackRule({
  name: "aws-kms-policy-safe",
  description:
    'KMS keys have an explicit key policy (on the key or as an aws.kms.KeyPolicy) that allows nothing to Principal "*" without a condition and keeps the lockout safety check.',
  severity: "medium",
  remediation:
    "Write a key policy naming the administrators and the roles that use the key; never set bypassPolicyLockoutSafetyCheck.",
  defaultLevel: "advisory",
  onUnknown:
    "A KeyPolicy whose key reference is unknown without dependency information, or an unknown policy document, is reported as not checked (a finding at the rule's level).",
  check(stack, _ctx, report) {
    const keys = stack.ofType(KMS_KEY);
    if (keys.length === 0) return;
    const index = new CompanionIndex(stack.ofType("aws:kms/keyPolicy:KeyPolicy"), "keyId");
    for (const key of keys) {
      const sources = [key, ...index.of(key, ["keyId"])];
      let hasPolicy = false;
      for (const source of sources) {
        if (bool(source.props.bypassPolicyLockoutSafetyCheck) === true) {
          report.violation(`KMS key ${key.name} bypasses the policy lockout safety check`, key);
        }
        const doc = readPolicyDocument(source.props.policy);
        if (doc === "unknown") {
          hasPolicy = true;
          report.unknown("key policy", key);
        } else if (doc && doc !== "invalid") {
          hasPolicy = true;
          for (const s of wildcardAllows(doc.statements))
            report.violation(
              `KMS key ${key.name} policy ${statementLabel(s)} allows Principal * without a condition`,
              key,
            );
        }
      }
      if (!hasPolicy) {
        if (index.unplaced.length > 0) report.unknown("KeyPolicy reference", key);
        else
          report.violation(
            `KMS key ${key.name} has no key policy (the default grants the whole account)`,
            key,
          );
      }
    }
  },
});

export const awsRules: ResourceRule[] = [
  s3NoWildcardPrincipal,
  rdsEncrypted,
  rdsNotPublic,
  rdsBackups,
  rdsDeletionProtection,
  rdsMultiAz,
  rdsIamAuth,
  rdsLogsUpgrades,
  mskTls,
  mskClientAuth,
  mskPrivate,
  mskCmkLogging,
  iamNoWildcardAction,
  iamNoWildcardResource,
  iamNoAdminAttach,
  iamTrustScoped,
  kmsRotation,
];
export const awsStackRules: StackRule[] = [
  s3PublicAccessBlock,
  s3NoAcls,
  s3SseKms,
  s3Versioning,
  s3AccessLogging,
  s3TlsOnly,
  rdsForceSsl,
  kmsPolicySafe,
];
