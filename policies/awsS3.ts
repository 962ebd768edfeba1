/**
 * AWS S3 rules: public access block, no ACLs, default encryption with KMS, versioning, access
 * logging, TLS-only and no wildcard principal in bucket policies.
 *
 * Buckets are configured both ways `@pulumi/aws` 7.x allows: the current `aws:s3/bucket:Bucket`
 * (and the deprecated `aws:s3/bucketV2:BucketV2`) with separate configuration resources (each in
 * its current and deprecated `…V2` spelling), or the deprecated inline inputs
 * (`serverSideEncryptionConfiguration`, `versioning`, `logging`, `acl`, `grants`, `policy`).
 * Stack rules relate a bucket to its configuration resources (see `references.ts`).
 */
import { conditionValues, readPolicyDocument, Statement, statementLabel } from "./awsPolicyDocuments";
import { CompanionIndex, identitiesOf } from "./references";
import type { PolicyResource, Reporter, StackRule, StackView } from "./rule";
import { resourceRule, stackRule } from "./rule";
import { arr, at, bool, isUnknown, str } from "./values";

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

/** The configuration resources of the given types that name a bucket, and whether some name none that could be linked. */
function companionsOf(stack: StackView, companionTypes: string[]) {
  const index = new CompanionIndex(stack.ofType(...companionTypes), "bucket");
  return (bucket: PolicyResource) => ({
    companions: index.of(bucket, BUCKET_NAMES),
    unplaced: index.unplaced.length > 0,
  });
}

type BucketCheck = (
  bucket: PolicyResource,
  companions: PolicyResource[],
  unplaced: boolean,
  report: Reporter,
  stack: StackView,
) => void;

/**
 * An S3 stack rule: `checkBucket` runs on each bucket with the configuration resources of
 * `companionTypes` that name it (`unplaced`: one of them could not be linked to any bucket).
 */
function bucketRule(
  meta: Pick<StackRule, "name" | "description" | "severity" | "remediation" | "defaultLevel">,
  companionTypes: string[],
  checkBucket: BucketCheck,
): StackRule {
  return stackRule({
    ...meta,
    onUnknown: COMPANION_UNKNOWN,
    check(stack, _ctx, report) {
      const buckets = stack.ofType(...S3_BUCKET_TYPES);
      if (buckets.length === 0) return;
      const linked = companionsOf(stack, companionTypes);
      for (const b of buckets) {
        const { companions, unplaced } = linked(b);
        checkBucket(b, companions, unplaced, report, stack);
      }
    },
  });
}

const PUBLIC_ACCESS_BLOCK_FLAGS = [
  "blockPublicAcls",
  "blockPublicPolicy",
  "ignorePublicAcls",
  "restrictPublicBuckets",
];

export const s3PublicAccessBlock: StackRule = bucketRule(
  {
    name: "aws-s3-public-access-block",
    description: "Every S3 bucket has a BucketPublicAccessBlock with all four flags true.",
    severity: "critical",
    remediation:
      "Add an aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
    defaultLevel: "mandatory",
  },
  S3_COMPANIONS.publicAccessBlock,
  (bucket, blocks, unplaced, report) => {
    if (blocks.length === 0) {
      if (unplaced) report.unknown("BucketPublicAccessBlock reference", bucket);
      else report.violation(`${bucketLabel(bucket)} has no public access block`, bucket);
      return;
    }
    let best: string[] | undefined;
    for (const block of blocks) {
      const off = PUBLIC_ACCESS_BLOCK_FLAGS.filter((f) => {
        const v = block.props[f];
        if (isUnknown(v)) report.unknown(f, block);
        return !isUnknown(v) && bool(v) !== true;
      });
      if (!best || off.length < best.length) best = off;
    }
    if (best && best.length > 0)
      report.violation(`${bucketLabel(bucket)}'s public access block leaves ${best.join(", ")} off`, bucket);
  },
);

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

export const s3NoAcls: StackRule = bucketRule(
  {
    name: "aws-s3-no-acls",
    description:
      "S3 buckets grant nothing through ACLs: no public canned ACL or public grant, and object ownership BucketOwnerEnforced (ACLs disabled).",
    severity: "high",
    remediation:
      "Remove `acl` / `grants` and BucketAcl resources; add aws.s3.BucketOwnershipControls with `rule.objectOwnership: BucketOwnerEnforced`.",
    defaultLevel: "mandatory",
  },
  S3_COMPANIONS.acl,
  (bucket, acls, unplaced, report, stack) => {
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
    const owners = companionsOf(stack, S3_COMPANIONS.ownershipControls)(bucket);
    const controls = owners.companions;
    if (controls.length === 0) {
      if (owners.unplaced || unplaced) report.unknown("BucketOwnershipControls reference", bucket);
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
  },
);

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

export const s3SseKms: StackRule = bucketRule(
  {
    name: "aws-s3-sse-kms",
    description: "S3 buckets encrypt by default with SSE-KMS under a customer-managed key.",
    severity: "medium",
    remediation:
      "Add an aws.s3.BucketServerSideEncryptionConfiguration with `sseAlgorithm: aws:kms` and `kmsMasterKeyId` set to your KMS key (bucketKeyEnabled: true).",
    defaultLevel: "advisory",
  },
  S3_COMPANIONS.encryption,
  (bucket, configs, unplaced, report) => {
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
  },
);

export const s3Versioning: StackRule = bucketRule(
  {
    name: "aws-s3-versioning",
    description: "S3 buckets keep object versions (versioning Enabled).",
    severity: "high",
    remediation:
      "Add an aws.s3.BucketVersioning for the bucket with `versioningConfiguration.status: Enabled`.",
    defaultLevel: "mandatory",
  },
  S3_COMPANIONS.versioning,
  (bucket, configs, unplaced, report) => {
    const inline = [...list(bucket.props.versioning), ...list(bucket.props.versionings)].map((v) =>
      at(v, "enabled"),
    );
    const separate = configs.map((c) => at(c.props, "versioningConfiguration.status"));
    if (inline.some((v) => bool(v) === true) || separate.includes("Enabled")) return;
    if ([...inline, ...separate].some(isUnknown) || (configs.length === 0 && unplaced))
      return report.unknown("versioning", bucket);
    report.violation(`${bucketLabel(bucket)} does not have versioning Enabled`, bucket);
  },
);

export const s3AccessLogging: StackRule = bucketRule(
  {
    name: "aws-s3-access-logging",
    description: "S3 buckets log access to another bucket.",
    severity: "low",
    remediation: "Add an aws.s3.BucketLogging for the bucket with a separate log bucket as targetBucket.",
    defaultLevel: "advisory",
  },
  S3_COMPANIONS.logging,
  (bucket, configs, unplaced, report) => {
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
  },
);

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

export const s3TlsOnly: StackRule = bucketRule(
  {
    name: "aws-s3-tls-only",
    description: "S3 bucket policies deny every request made without TLS (`aws:SecureTransport` false).",
    severity: "high",
    remediation:
      'Add a BucketPolicy statement: Effect Deny, Principal "*", Action "s3:*", Resource the bucket and its objects, Condition {"Bool": {"aws:SecureTransport": "false"}}.',
    defaultLevel: "mandatory",
  },
  S3_COMPANIONS.policy,
  (bucket, policies, unplaced, report) => {
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
  },
);

export function wildcardAllows(statements: Statement[]): Statement[] {
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
