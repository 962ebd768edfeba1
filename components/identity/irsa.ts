/**
 * IAM roles for service accounts (IRSA) on EKS: one IAM role per workload, assumable only by
 * that workload's Kubernetes ServiceAccount, and no static AWS key anywhere.
 *
 * The EKS pod identity webhook gives every pod whose ServiceAccount carries
 * `eks.amazonaws.com/role-arn` a projected token (audience `sts.amazonaws.com`) and the env the
 * AWS SDKs read to exchange it for the role's credentials (`AssumeRoleWithWebIdentity`). The
 * role's trust policy admits exactly one token subject, `system:serviceaccount:<ns>:<sa>`, and
 * that audience (`StringEquals`, no wildcards), from the cluster's OIDC provider only.
 *
 * The role starts with no permissions. Each backing service that grants the workload something
 * attaches one inline policy naming exactly that resource (`attachWorkloadPolicy`), finding the
 * role from the identity this provider issued.
 */
import * as iam from "@pulumi/aws/iam";
import type { Provider as AwsProvider } from "@pulumi/aws/provider";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../context";
import { cloudTags } from "../kube/labels";
import { physicalName } from "./awsAccount";
import type { WorkloadIdentity, WorkloadIdentityProvider, WorkloadRef } from "./contract";
import { validateWorkloadRef } from "./kubernetes";

/** The ServiceAccount annotation the pod identity webhook reads. */
export const IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn";
/** Regional STS endpoint: the token exchange stays in the cluster's region (and its VPC endpoint). */
export const IRSA_REGIONAL_STS_ANNOTATION = "eks.amazonaws.com/sts-regional-endpoints";
/** The audience the webhook's projected token carries. */
export const IRSA_AUDIENCE = "sts.amazonaws.com";

export interface IrsaSettings {
  ctx: PlatformContext;
  /** ARN of the cluster's IAM OIDC provider. */
  oidcProviderArn: string;
  /** Issuer host and path, no scheme (`oidc.eks.<region>.amazonaws.com/id/<ID>`). */
  oidcIssuer: string;
  /** Physical role names start with this (`<project>-<stack>`), so stacks never collide. */
  nameStem: string;
  /** IAM path of the roles. Default `/mlstack/`. */
  path?: string;
  /** Permissions boundary of every role, when the organisation requires one. */
  permissionsBoundaryArn?: string;
  /** Provider of every IAM resource (region and allowed account pinned); default the ambient one. */
  provider?: AwsProvider;
}

/** The trust policy of a workload role: exactly one ServiceAccount, exactly the STS audience. */
export function irsaTrustPolicy(
  oidcProviderArn: string,
  oidcIssuer: string,
  workload: WorkloadRef,
): iam.PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ServiceAccountOnly",
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${oidcIssuer}:sub`]: `system:serviceaccount:${workload.namespace}:${workload.serviceAccountName}`,
            [`${oidcIssuer}:aud`]: IRSA_AUDIENCE,
          },
        },
      },
    ],
  };
}

/** The workload an IrsaRole is for, and the cluster's IRSA settings. */
export interface IrsaRoleArgs {
  workload: WorkloadRef;
  settings: IrsaSettings;
}

/** One workload's IAM role (no permissions until a grant attaches a policy). */
export class IrsaRole extends pulumi.ComponentResource {
  readonly role: iam.Role;
  readonly roleArn: pulumi.Output<string>;
  readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: IrsaRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlstack:identity:IrsaRole", name, {}, opts);
    const { workload, settings } = args;
    this.role = new iam.Role(
      `${name}-role`,
      {
        name: physicalName([settings.nameStem, workload.name], 64),
        path: settings.path ?? "/mlstack/",
        description:
          `IRSA role of ${workload.namespace}/${workload.serviceAccountName} (team ${workload.team}); policies name its own bucket, topics and database user. Managed by Pulumi.`.slice(
            0,
            1000,
          ),
        assumeRolePolicy: irsaTrustPolicy(settings.oidcProviderArn, settings.oidcIssuer, workload),
        maxSessionDuration: 3600,
        permissionsBoundary: settings.permissionsBoundaryArn,
        tags: cloudTags({
          environment: settings.ctx.environment,
          team: workload.team,
          component: `workload-identity-${workload.name}`,
        }),
      },
      { parent: this },
    );
    this.roleArn = this.role.arn;
    this.roleName = this.role.name;
    this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
  }
}

interface IssuedRole {
  component: IrsaRole;
  provider?: AwsProvider;
}

const issued = new WeakMap<WorkloadIdentity, IssuedRole>();

/**
 * The IRSA role behind an identity the provider issued. Throws (naming the grantor and the
 * workload) for any other identity: an AWS grant has no role to attach its policy to otherwise.
 */
export function irsaRoleOf(identity: WorkloadIdentity, grantor: string): IrsaRole {
  return issuedRole(identity, grantor).component;
}

function issuedRole(identity: WorkloadIdentity, grantor: string): IssuedRole {
  const found = issued.get(identity);
  if (!found) {
    throw new Error(
      `${grantor}: the identity of workload "${identity.workload.name}" was not issued by IrsaIdentityProvider; ` +
        "on aws every grant attaches a policy to the workload's IAM role, so pass the identity from awsTarget.identityProvider(...).forWorkload(...)",
    );
  }
  return found;
}

/**
 * Attaches one inline policy to a workload's role and returns it: pods must wait for it (`dependsOn`).
 * `policyName` is unique per role (e.g. `s3-mlflow-artifacts-readwrite`); the resource is parented
 * under `opts.parent` (the workload) with the provider the role was created with.
 */
export function attachWorkloadPolicy(
  identity: WorkloadIdentity,
  grantor: string,
  policyName: string,
  statements: pulumi.Input<iam.PolicyStatement>[],
  opts: { parent: pulumi.Resource },
): iam.RolePolicy {
  const { component, provider } = issuedRole(identity, grantor);
  if (statements.length === 0)
    throw new Error(
      `${grantor}: policy ${policyName} for workload "${identity.workload.name}" has no statements`,
    );
  if (!/^[A-Za-z0-9+=,.@_-]{1,128}$/.test(policyName)) {
    throw new Error(
      `${grantor}: policyName ${JSON.stringify(policyName)} is not an IAM policy name (letters, digits and +=,.@_-, at most 128)`,
    );
  }
  return new iam.RolePolicy(
    `${identity.workload.name}-${policyName}`,
    { role: component.roleName, name: policyName, policy: { Version: "2012-10-17", Statement: statements } },
    { parent: opts.parent, provider },
  );
}

/** Issues one IRSA role per workload; implements the provider-neutral `WorkloadIdentityProvider`. */
export class IrsaIdentityProvider implements WorkloadIdentityProvider {
  private readonly byWorkload = new Map<string, WorkloadIdentity>();

  constructor(private readonly settings: IrsaSettings) {
    if (!/^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:oidc-provider\/.+$/.test(settings.oidcProviderArn)) {
      throw new Error(
        `IrsaIdentityProvider: oidcProviderArn ${JSON.stringify(settings.oidcProviderArn)} is not an IAM OIDC provider ARN`,
      );
    }
    if (
      settings.oidcIssuer === "" ||
      settings.oidcIssuer.includes("://") ||
      !settings.oidcProviderArn.endsWith(`:oidc-provider/${settings.oidcIssuer}`)
    ) {
      throw new Error(
        `IrsaIdentityProvider: oidcIssuer ${JSON.stringify(settings.oidcIssuer)} is not the issuer of ${settings.oidcProviderArn} (host and path, no https://)`,
      );
    }
  }

  forWorkload(workload: WorkloadRef, opts: { parent: pulumi.Resource }): WorkloadIdentity {
    validateWorkloadRef(workload);
    const previous = this.byWorkload.get(workload.name);
    if (previous) {
      const w = previous.workload;
      if (w.namespace !== workload.namespace || w.serviceAccountName !== workload.serviceAccountName) {
        throw new Error(
          `IrsaIdentityProvider: workload "${workload.name}" already has a role trusted by ${w.namespace}/${w.serviceAccountName}; ` +
            `an IRSA role trusts exactly one ServiceAccount, so ${workload.namespace}/${workload.serviceAccountName} cannot share it`,
        );
      }
      return previous;
    }
    const component = new IrsaRole(
      `${workload.name}-irsa`,
      { workload: { ...workload }, settings: this.settings },
      { parent: opts.parent, provider: this.settings.provider },
    );
    const identity: WorkloadIdentity = {
      workload: { ...workload },
      serviceAccountAnnotations: {
        [IRSA_ROLE_ANNOTATION]: component.roleArn,
        [IRSA_REGIONAL_STS_ANNOTATION]: "true",
      },
      dependencies: [component.role],
    };
    issued.set(identity, { component, provider: this.settings.provider });
    this.byWorkload.set(workload.name, identity);
    return identity;
  }
}

/**
 * Egress a pod with an IRSA role needs: AWS APIs on TCP 443 — STS for the token exchange, and S3
 * for buckets. A `0.0.0.0/0` entry excludes the VPC, so the rule opens AWS's public endpoints but
 * nothing inside the VPC; with STS and S3 interface endpoints, `awsApiCidrs` is the VPC CIDR.
 */
export function awsApiEgress(
  awsApiCidrs: string[],
  vpcCidr: string,
): k8s.types.input.networking.v1.NetworkPolicyEgressRule {
  return {
    to: awsApiCidrs.map((cidr) => ({
      ipBlock: cidr === "0.0.0.0/0" ? { cidr, except: [vpcCidr] } : { cidr },
    })),
    ports: [{ protocol: "TCP", port: 443 }],
  };
}
