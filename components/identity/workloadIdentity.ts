/**
 * Workload Identity on GKE: one Google service account (GSA) per workload, impersonable only by
 * that workload's Kubernetes ServiceAccount (KSA), and no key anywhere.
 *
 * The GKE metadata server hands a pod a token for the GSA named in its KSA's
 * `iam.gke.io/gcp-service-account` annotation when the GSA grants `roles/iam.workloadIdentityUser`
 * to `serviceAccount:<pool>[<namespace>/<ksa>]`. Every other role the GSA holds is granted later,
 * resource by resource, by the GCP backing services (`GcsObjectStore`, `ManagedKafka`), which find
 * the GSA from the identity through `googleServiceAccountOf`.
 */
import { isDns1123Label, isDns1123Subdomain } from "../kube/names";
import * as serviceaccount from "@pulumi/gcp/serviceaccount";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import type { WorkloadIdentity, WorkloadIdentityProvider, WorkloadRef } from "./contract";

/** The KSA annotation GKE reads to pick the Google service account. */
export const GKE_SERVICE_ACCOUNT_ANNOTATION = "iam.gke.io/gcp-service-account";
/** The only role the Kubernetes side is ever bound to: impersonation of its own GSA. */
export const WORKLOAD_IDENTITY_USER_ROLE = "roles/iam.workloadIdentityUser";

const POOL = /^[a-z][a-z0-9-]{4,28}[a-z0-9]\.svc\.id\.goog$/;

export interface GkeWorkloadIdentityProviderArgs {
  /** Project the Google service accounts are created in (the project of the backing services). */
  project: string;
  /** The cluster's Workload Identity pool, `<cluster project>.svc.id.goog`. */
  workloadPool: string;
  /** Pulumi project and stack: they go into every account ID, so stacks sharing a GCP project never collide. */
  pulumiProject: string;
  stack: string;
}

/** What a GCP grant needs from an identity: the GSA to bind a role to. */
export interface GoogleServiceAccountRef {
  /** `<accountId>@<project>.iam.gserviceaccount.com`, known before the account exists. */
  email: string;
  /** `serviceAccount:<email>`, the IAM member string. */
  member: string;
  /** The account itself, for `dependsOn`. */
  account: serviceaccount.Account;
}

const accounts = new WeakMap<WorkloadIdentity, GoogleServiceAccountRef>();

/**
 * The GSA behind an identity this provider issued. Throws (naming the grantor and the workload)
 * for any other identity: a GCP grant has nothing to bind its role to without one.
 */
export function googleServiceAccountOf(identity: WorkloadIdentity, grantor: string): GoogleServiceAccountRef {
  const ref = accounts.get(identity);
  if (!ref) {
    throw new Error(
      `${grantor}: the identity of workload "${identity.workload.name}" was not issued by GkeWorkloadIdentityProvider; ` +
        "on gcp every grant binds a role to the workload's Google service account, so pass the identity from gcpTarget.identityProvider(...).forWorkload(...)",
    );
  }
  return ref;
}

/**
 * The account ID of a workload's GSA: `ml-<stack>-<workload>` cut to fit 30 characters, then a
 * 4-hex hash of project, stack and workload, so it is deterministic, unique per stack and
 * workload, and always within GCP's 6–30 character `[a-z][-a-z0-9]*[a-z0-9]` rule.
 */
export function googleServiceAccountId(pulumiProject: string, stack: string, workload: string): string {
  const hash = createHash("sha256").update(`${pulumiProject}/${stack}/${workload}`).digest("hex").slice(0, 4);
  const stem = `ml-${stack}-${workload}`
    .toLowerCase()
    .replace(/[^-a-z0-9]/g, "-")
    .replace(/-+/g, "-")
    .slice(0, 25)
    .replace(/-+$/, "");
  return `${stem}-${hash}`;
}

/** The e-mail of a workload's GSA: deterministic, so ACLs can name it before the account exists. */
export function googleServiceAccountEmail(
  project: string,
  pulumiProject: string,
  stack: string,
  workload: string,
): string {
  return `${googleServiceAccountId(pulumiProject, stack, workload)}@${project}.iam.gserviceaccount.com`;
}

/** A single workload's GSA and its Workload Identity binding. */
export class GkeWorkloadIdentity extends pulumi.ComponentResource {
  readonly email: string;
  /** The exact principal allowed to impersonate the GSA: `serviceAccount:<pool>[<namespace>/<ksa>]`. */
  readonly kubernetesMember: string;
  readonly serviceAccount: serviceaccount.Account;
  readonly binding: serviceaccount.IAMMember;

  constructor(
    name: string,
    args: { workload: WorkloadRef; project: string; workloadPool: string; accountId: string; stack: string },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("mlstack:identity:GkeWorkloadIdentity", name, {}, opts);
    const { workload } = args;
    this.email = `${args.accountId}@${args.project}.iam.gserviceaccount.com`;
    this.kubernetesMember = `serviceAccount:${args.workloadPool}[${workload.namespace}/${workload.serviceAccountName}]`;
    this.serviceAccount = new serviceaccount.Account(
      `${name}-gsa`,
      {
        project: args.project,
        accountId: args.accountId,
        displayName: `mlstack ${args.stack} ${workload.name}`.slice(0, 100),
        description: `Workload Identity of ${workload.namespace}/${workload.serviceAccountName} (team ${workload.team}); roles are granted per bucket, topic and database. Managed by Pulumi.`,
      },
      { parent: this },
    );
    this.binding = new serviceaccount.IAMMember(
      `${name}-wi-user`,
      {
        serviceAccountId: this.serviceAccount.name,
        role: WORKLOAD_IDENTITY_USER_ROLE,
        member: this.kubernetesMember,
      },
      { parent: this },
    );
    this.registerOutputs({ email: this.email, kubernetesMember: this.kubernetesMember });
  }
}

/** Issues one GSA per workload; implements the provider-neutral `WorkloadIdentityProvider`. */
export class GkeWorkloadIdentityProvider implements WorkloadIdentityProvider {
  private readonly issued = new Map<string, WorkloadIdentity>();

  constructor(private readonly args: GkeWorkloadIdentityProviderArgs) {
    if (!POOL.test(args.workloadPool)) {
      throw new Error(
        `GkeWorkloadIdentityProvider: workloadPool ${JSON.stringify(args.workloadPool)} is not a Workload Identity pool (<project>.svc.id.goog)`,
      );
    }
    if (!args.project) throw new Error("GkeWorkloadIdentityProvider: project is required");
  }

  /** The e-mail the workload's GSA has (or will have). */
  emailFor(workloadName: string): string {
    return googleServiceAccountEmail(
      this.args.project,
      this.args.pulumiProject,
      this.args.stack,
      workloadName,
    );
  }

  forWorkload(workload: WorkloadRef, opts: { parent: pulumi.Resource }): WorkloadIdentity {
    checkWorkload(workload);
    const previous = this.issued.get(workload.name);
    if (previous) {
      const w = previous.workload;
      if (w.namespace !== workload.namespace || w.serviceAccountName !== workload.serviceAccountName) {
        throw new Error(
          `GkeWorkloadIdentityProvider: workload "${workload.name}" already has an identity bound to ${w.namespace}/${w.serviceAccountName}; ` +
            `a GSA is impersonable by exactly one ServiceAccount, so ${workload.namespace}/${workload.serviceAccountName} cannot share it`,
        );
      }
      return previous;
    }
    const component = new GkeWorkloadIdentity(
      `${workload.name}-identity`,
      {
        workload,
        project: this.args.project,
        workloadPool: this.args.workloadPool,
        accountId: googleServiceAccountId(this.args.pulumiProject, this.args.stack, workload.name),
        stack: this.args.stack,
      },
      { parent: opts.parent },
    );
    const identity: WorkloadIdentity = {
      workload,
      serviceAccountAnnotations: { [GKE_SERVICE_ACCOUNT_ANNOTATION]: component.email },
      dependencies: [component.serviceAccount, component.binding],
    };
    accounts.set(identity, {
      email: component.email,
      member: `serviceAccount:${component.email}`,
      account: component.serviceAccount,
    });
    this.issued.set(workload.name, identity);
    return identity;
  }
}

function checkWorkload(workload: WorkloadRef): void {
  const bad = (field: string, value: string, allowed: string) =>
    new Error(`GkeWorkloadIdentityProvider: workload.${field} ${JSON.stringify(value)} ${allowed}`);
  if (!isDns1123Label(workload.name)) throw bad("name", workload.name, "is not a DNS label");
  if (!isDns1123Label(workload.namespace))
    throw bad("namespace", workload.namespace, "is not a namespace name (DNS label)");
  if (!isDns1123Subdomain(workload.serviceAccountName))
    throw bad("serviceAccountName", workload.serviceAccountName, "is not a ServiceAccount name");
  if (workload.serviceAccountName === "default") {
    throw bad(
      "serviceAccountName",
      workload.serviceAccountName,
      "is the namespace's default ServiceAccount, which every pod without its own uses; give the workload its own",
    );
  }
}
