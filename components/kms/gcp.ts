/**
 * Cloud KMS for the GCP target: one key ring, one customer-managed key per data domain (Kafka,
 * Postgres, object storage), each rotated automatically, and each usable by exactly one Google
 * service agent — the one of the service that stores that domain's data.
 *
 * A service agent is the Google-managed identity a service (Cloud SQL, GCS, Managed Kafka) uses
 * to call KMS on the project's behalf. Its e-mail is fixed by the project number, so grants name
 * it before it exists; the agent itself is made to exist first (`ServiceIdentity`, or the GCS
 * lookup that creates the storage agent) and every grant waits for it.
 */
import * as kms from "@pulumi/gcp/kms";
import * as projects from "@pulumi/gcp/projects";
import * as storage from "@pulumi/gcp/storage";
import * as pulumi from "@pulumi/pulumi";
import type { KmsProtectionLevel } from "./gcpSettings";
import { cloudLabels } from "../kube/labels";

/** The data domains with a key of their own (an `as const` object as well as a type: a schema enum). */
export const GcpKeyDomain = { kafka: "kafka", postgres: "postgres", storage: "storage" } as const;
export type GcpKeyDomain = (typeof GcpKeyDomain)[keyof typeof GcpKeyDomain];

export const ENCRYPTER_DECRYPTER_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter";

/** Each domain's service agent: the API that owns it and the e-mail domain it lives in. */
export const SERVICE_AGENTS: Record<GcpKeyDomain, { service: string; emailDomain: string }> = {
  kafka: {
    service: "managedkafka.googleapis.com",
    emailDomain: "gcp-sa-managedkafka.iam.gserviceaccount.com",
  },
  postgres: { service: "sqladmin.googleapis.com", emailDomain: "gcp-sa-cloud-sql.iam.gserviceaccount.com" },
  storage: { service: "storage.googleapis.com", emailDomain: "gs-project-accounts.iam.gserviceaccount.com" },
};

/** `service-<project number>@<domain>`: the service agent of a domain. */
export function serviceAgentEmail(projectNumber: string, domain: GcpKeyDomain): string {
  return `service-${projectNumber}@${SERVICE_AGENTS[domain].emailDomain}`;
}

const SECONDS_PER_DAY = 86400;

export interface GcpKmsArgs {
  /** Project of the key ring (the project of the services using the keys). */
  project: string;
  /** Its number, which names the service agents. */
  projectNumber: string;
  /** Location of the key ring: CMEK keys must be in the location of the data they protect. */
  location: string;
  /** Domains to create a key for. Default all three. */
  domains?: GcpKeyDomain[];
  /** Automatic rotation, 1–90 days. Default 90: a compromised key version protects at most a quarter's new data. */
  rotationDays?: number;
  /** Default `SOFTWARE`. */
  protectionLevel?: KmsProtectionLevel;
  environment: string;
  /** Protect the ring and keys from deletion (destroying a key destroys every byte it encrypted). */
  protect: boolean;
}

/** A domain's key, and what a resource encrypted with it must wait for. */
export interface GcpDomainKey {
  /** `projects/…/locations/…/keyRings/…/cryptoKeys/…`: what CMEK fields take. */
  id: pulumi.Output<string>;
  /** The service agent allowed to use the key. */
  serviceAgent: string;
  /** The key and its grant: a CMEK resource created before the grant fails. */
  ready: pulumi.Resource[];
}

/**
 * Each ring's keys and name, kept beside the component rather than in fields: Pulumi's component
 * analyzer reads every field, private ones too, as an output of the package schema, and a Map is
 * not expressible there (@pulumi/pulumi 3.270.0, provider/experimental/analyzer.js).
 */
const ringState = new WeakMap<GcpKms, { name: string; keys: Map<GcpKeyDomain, GcpDomainKey> }>();

export class GcpKms extends pulumi.ComponentResource {
  readonly keyRing: kms.KeyRing;

  constructor(name: string, args: GcpKmsArgs, opts?: pulumi.ComponentResourceOptions) {
    const rotationDays = args.rotationDays ?? 90;
    if (!Number.isInteger(rotationDays) || rotationDays < 1 || rotationDays > 90) {
      throw new Error(
        `GcpKms ${name}: rotationDays ${JSON.stringify(args.rotationDays)} is not a whole number from 1 to 90`,
      );
    }
    if (!/^[1-9][0-9]{5,19}$/.test(args.projectNumber)) {
      throw new Error(
        `GcpKms ${name}: projectNumber ${JSON.stringify(args.projectNumber)} is not a project number (digits only)`,
      );
    }
    const domains = args.domains ?? (["kafka", "postgres", "storage"] as GcpKeyDomain[]);
    if (domains.length === 0 || new Set(domains).size !== domains.length) {
      throw new Error(
        `GcpKms ${name}: domains ${JSON.stringify(domains)} must list each of kafka, postgres, storage at most once, and at least one`,
      );
    }
    super("mlstack:kms:GcpKms", name, {}, opts);
    const keys = new Map<GcpKeyDomain, GcpDomainKey>();
    ringState.set(this, { name, keys });
    const stateful = { parent: this, protect: args.protect, retainOnDelete: args.protect };

    // Auto-named (a random suffix): key rings and keys can never be deleted in GCP, so a fixed name
    // would collide with the remains of a destroyed stack.
    this.keyRing = new kms.KeyRing(
      `${name}-ring`,
      { project: args.project, location: args.location },
      stateful,
    );

    for (const domain of domains) {
      const key = new kms.CryptoKey(
        `${name}-${domain}`,
        {
          keyRing: this.keyRing.id,
          purpose: "ENCRYPT_DECRYPT",
          rotationPeriod: `${rotationDays * SECONDS_PER_DAY}s`,
          versionTemplate: {
            algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION",
            protectionLevel: args.protectionLevel ?? "SOFTWARE",
          },
          // 30 days between "destroy" and destruction: time to notice and restore a version by mistake.
          destroyScheduledDuration: `${30 * SECONDS_PER_DAY}s`,
          labels: cloudLabels({
            environment: args.environment,
            team: "platform",
            component: `kms-${domain}`,
          }),
        },
        stateful,
      );
      const serviceAgent = serviceAgentEmail(args.projectNumber, domain);
      const agent = this.ensureServiceAgent(name, args, domain, serviceAgent);
      const grant = new kms.CryptoKeyIAMMember(
        `${name}-${domain}-encrypter`,
        { cryptoKeyId: key.id, role: ENCRYPTER_DECRYPTER_ROLE, member: agent.member },
        { parent: this, dependsOn: agent.dependsOn },
      );
      keys.set(domain, { id: key.id, serviceAgent, ready: [key, grant] });
    }

    this.registerOutputs({ keyRing: this.keyRing.id });
  }

  /** The key of a domain; throws when the ring was built without it. */
  key(domain: GcpKeyDomain): GcpDomainKey {
    const { name, keys } = ringState.get(this) as { name: string; keys: Map<GcpKeyDomain, GcpDomainKey> };
    const key = keys.get(domain);
    if (!key)
      throw new Error(`GcpKms ${name}: no key for domain "${domain}" (keys: ${[...keys.keys()].join(", ")})`);
    return key;
  }

  /**
   * Makes sure a domain's service agent exists before it is granted the key: Cloud SQL and Managed
   * Kafka agents are generated through `ServiceIdentity`; the storage agent is created by the GCS
   * lookup of the project's service account (an invoke, so the member waits on its result).
   */
  private ensureServiceAgent(
    name: string,
    args: GcpKmsArgs,
    domain: GcpKeyDomain,
    email: string,
  ): { member: pulumi.Input<string>; dependsOn: pulumi.Resource[] } {
    const member = `serviceAccount:${email}`;
    if (domain === "storage") {
      const lookup = storage.getProjectServiceAccountOutput({ project: args.project }, { parent: this });
      return { member: lookup.apply(() => member), dependsOn: [] };
    }
    const agent = new projects.ServiceIdentity(
      `${name}-${domain}-service-agent`,
      { project: args.project, service: SERVICE_AGENTS[domain].service },
      { parent: this },
    );
    return { member, dependsOn: [agent] };
  }
}
