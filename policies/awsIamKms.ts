/**
 * AWS IAM and KMS rules: no wildcard actions or resources, no administrator policy attached,
 * scoped trust policies, key rotation and safe key policies.
 */
import { wildcardAllows } from "./awsS3";
import { readPolicyDocument, Statement, statementLabel } from "./awsPolicyDocuments";
import { CompanionIndex } from "./references";
import type { PolicyResource, Reporter, StackRule } from "./rule";
import { resourceRule, stackRule, typeAndName } from "./rule";
import { flagField, notTrue } from "./fieldChecks";
import { arr, at, bool, isUnknown, obj, str, strings } from "./values";

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
        if (s.effect === "Allow") fn(s, `${typeAndName(resource)} ${label} ${statementLabel(s)}`);
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
  appliesTo: Object.keys(ATTACHMENTS),
  check(resource, _ctx, report) {
    const field = ATTACHMENTS[resource.type];
    const value = resource.props[field];
    if (isUnknown(value)) return report.unknown(field);
    for (const arn of strings(value)) {
      const policy = arn.split("/").pop() ?? "";
      if (arn.startsWith("arn:") && arn.includes(":iam::aws:policy/") && ADMIN_POLICIES.includes(policy)) {
        report.violation(`${typeAndName(resource)} attaches ${policy}`);
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
  appliesTo: [KMS_KEY],
  check(resource, _ctx, report) {
    const spec = resource.props.customerMasterKeySpec ?? resource.props.keySpec ?? "SYMMETRIC_DEFAULT";
    const usage = resource.props.keyUsage ?? "ENCRYPT_DECRYPT";
    if (isUnknown(spec) || isUnknown(usage)) return report.unknown("key spec");
    if (spec !== "SYMMETRIC_DEFAULT" || usage !== "ENCRYPT_DECRYPT") return;
    flagField(
      resource,
      report,
      "enableKeyRotation",
      notTrue,
      () => `KMS key ${resource.name} does not rotate`,
    );
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
