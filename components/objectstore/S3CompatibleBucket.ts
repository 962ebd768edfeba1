/**
 * A bucket on an S3-compatible endpoint reached with a static key pair that lives in a Secret in the
 * bucket owner's namespace: what an ObjectBucketClaim produces (the provisioner writes the Secret)
 * and what an external S3 endpoint is configured with (`credentialsSecret`). `ObcObjectStore` and
 * `ExternalObjectStore` differ in who creates the bucket and its Secret and in how the endpoint is
 * reached through the network; how one workload is granted one bucket is the same, and lives here.
 *
 * Isolation rests on the namespace boundary: a pod can reference only Secrets of its own namespace,
 * so a workload can be handed a bucket's key pair only when it runs where the bucket's owner does.
 * Copying the Secret elsewhere would need a controller (or a Pulumi-read of a runtime-created
 * Secret into state), and would make every copy a standing credential for the whole bucket.
 */
import * as crypto from "crypto";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";
import { refusal } from "../argumentProblem";
import type { Bucket, BucketAccessMode } from "./contract";

type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** An S3 endpoint URL broken into what clients and NetworkPolicies need. */
export interface S3Endpoint {
  /** The URL as configured, without a trailing slash. */
  url: string;
  https: boolean;
  host: string;
  /** The port clients connect to (explicit, or 443 / 80 by scheme). */
  port: number;
}

/** Parses `objectStore.endpoint`; `where` names the component for the error message. */
export function parseS3Endpoint(endpoint: string, where: string): S3Endpoint {
  const fail = refusal(where);
  let parsed: URL;
  try {
    parsed = new URL(endpoint);
  } catch {
    return fail("config.endpoint", endpoint, "is not a URL; use e.g. https://s3.openshift-storage.svc");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    fail("config.endpoint", endpoint, "must use http or https");
  }
  if ((parsed.pathname !== "/" && parsed.pathname !== "") || parsed.search || parsed.username) {
    fail("config.endpoint", endpoint, "must be scheme://host[:port] without path, query or credentials");
  }
  const https = parsed.protocol === "https:";
  return {
    url: `${parsed.protocol}//${parsed.host}`,
    https,
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : https ? 443 : 80,
  };
}

/** True for names only the cluster resolves (`*.svc`, `*.svc.cluster.local`). */
export function isClusterServiceHost(host: string): boolean {
  return host.endsWith(".svc") || /\.svc\.[a-z0-9.-]+$/.test(host);
}

const S3_NAME_MAX = 63;
const S3_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * The namespace of a bucket's owner (`namespaces`: owner → namespace, every team and `platform`), or
 * a refusal naming `config.buckets[index].owner` and the owners known: every in-cluster store's check.
 */
export function ownerNamespace(
  where: string,
  namespaces: Record<string, string>,
  bucket: { owner: string },
  index: number,
): string {
  const namespace = namespaces[bucket.owner];
  if (!namespace) {
    refusal(where)(
      `config.buckets[${index}].owner`,
      bucket.owner,
      `has no namespace in args.namespaces (known owners: ${Object.keys(namespaces).join(", ") || "none"})`,
    );
  }
  return namespace;
}

/** Checks the S3 bucket naming rules mlstack relies on (no dots: they break TLS for virtual-host style). */
export function assertS3BucketName(name: string, where: string, arg = "bucket name"): void {
  const reasons: string[] = [];
  if (!S3_NAME.test(name))
    reasons.push("3 to 63 lowercase letters, digits or '-', starting and ending with a letter or digit");
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) reasons.push("not an IP address");
  if (name.startsWith("xn--") || name.startsWith("sthree-"))
    reasons.push("not starting with xn-- or sthree-");
  if (name.endsWith("-s3alias") || name.endsWith("--ol-s3"))
    reasons.push("not ending with -s3alias or --ol-s3");
  if (reasons.length > 0) refusal(where)(arg, name, `must be ${reasons.join("; ")}`);
}

/**
 * The physical bucket name for a logical bucket: `<project>-<stack>-<logical>`, lowercased and
 * reduced to S3's alphabet, so it is unique per stack (object stores have one flat bucket namespace
 * shared by every tenant) and stable across runs. Names longer than 63 characters keep a readable
 * prefix and end with 8 hex characters of a hash of the full identity, so two long names never
 * collide.
 *
 * Deterministic, not provisioner-generated (`generateBucketName`): consumers must know the name
 * before anything runs — CloudNativePG's backup `destinationPath` and MLflow's
 * `--artifacts-destination` are written into manifests, and cannot read the name the provisioner
 * would pick into a ConfigMap at runtime.
 */
export function physicalBucketName(project: string, stack: string, logical: string): string {
  const identity = `${project}/${stack}/${logical}`;
  let name = `${project}-${stack}-${logical}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "");
  if (/^(xn--|sthree-)/.test(name)) name = `b-${name}`;
  if (name.length > S3_NAME_MAX) {
    const hash = crypto.createHash("sha256").update(identity).digest("hex").slice(0, 8);
    name = `${name.slice(0, S3_NAME_MAX - hash.length - 1).replace(/-+$/, "")}-${hash}`;
  }
  return name;
}

/**
 * A ConfigMap, present in every namespace that may be granted the bucket, holding the CA that signed
 * the endpoint's certificate. CA certificates are public, hence a ConfigMap.
 */
export interface EndpointCa {
  configMapName: string;
  key: string;
}

/**
 * OpenShift injects the service-serving CA into a ConfigMap named `openshift-service-ca.crt` in
 * every namespace; in-cluster https services (NooBaa's `s3.openshift-storage.svc`) are signed by it.
 */
export const OPENSHIFT_SERVICE_CA: EndpointCa = {
  configMapName: "openshift-service-ca.crt",
  key: "service-ca.crt",
};

/** Where granted pods find the endpoint CA (one directory per bucket, so two grants never clash). */
export const ENDPOINT_CA_MOUNT_ROOT = "/etc/mlstack/object-store-ca";

export interface S3CompatibleBucketArgs {
  /** `<Kind> <component name>` of the store, for error messages. */
  store: string;
  logicalName: string;
  /** Owning team, or `platform`. */
  owner: string;
  /** The owner's namespace: where the bucket's credentials Secret lives. */
  namespace: string;
  bucketName: pulumi.Output<string>;
  endpoint: S3Endpoint;
  region: string;
  /** Secret (in `namespace`) holding the key pair, and its keys. */
  credentials: S3CredentialsSecret;
  /**
   * A read-only key pair for `read` grants, where the store issues one (SeaweedFS). Unset: `read`
   * grants get `credentials` too, with `readModeCaveat` logged.
   */
  readCredentials?: S3CredentialsSecret;
  /** Egress a granted pod needs to reach the endpoint. */
  egress: EgressRule[];
  /** CA to trust for an https endpoint whose certificate is not publicly trusted. */
  endpointCa?: EndpointCa;
  /** What a granted pod must wait for (the ObjectBucketClaim). */
  dependsOn: pulumi.Resource[];
  /**
   * Why `read` grants still receive a read/write key pair, logged as a warning on each such grant:
   * one key pair per bucket is all these providers hand out. Required unless `readCredentials` is set.
   */
  readModeCaveat?: string;
}

/** A Secret holding an S3 key pair, and the keys it holds them under. */
export interface S3CredentialsSecret {
  secretName: string;
  accessKeyIdKey: string;
  secretAccessKeyKey: string;
}

export class S3CompatibleBucket implements Bucket {
  readonly logicalName: string;
  readonly bucketName: pulumi.Output<string>;
  readonly scheme = "s3" as const;
  readonly endpoint: pulumi.Output<string>;
  /** The owner's namespace, where the credentials Secret lives and where grantees must run. */
  readonly namespace: string;
  readonly owner: string;
  private readonly args: S3CompatibleBucketArgs;
  /** Whether the read-grant caveat was already logged for this bucket. */
  private readCaveatShown = false;

  constructor(args: S3CompatibleBucketArgs) {
    this.args = args;
    this.logicalName = args.logicalName;
    this.bucketName = args.bucketName;
    this.endpoint = pulumi.output(args.endpoint.url);
    this.namespace = args.namespace;
    this.owner = args.owner;
  }

  url(path?: string): pulumi.Output<string> {
    const key = (path ?? "").replace(/^\/+/, "");
    return pulumi.interpolate`s3://${this.bucketName}/${key}`;
  }

  /**
   * Hands one workload this bucket's key pair by reference. Refuses a workload of another team or
   * in another namespace: the key pair is a Secret in the owner's namespace and cannot be referenced
   * from anywhere else — and each workload gets only its own team's buckets.
   */
  grantAccess(
    identity: WorkloadIdentity,
    mode: BucketAccessMode,
    opts: { parent: pulumi.Resource },
  ): WorkloadAccess {
    const { store, logicalName, owner, namespace } = this.args;
    const workload = identity.workload;
    if (mode !== "read" && mode !== "readwrite") {
      throw new Error(
        `${store}: access mode ${JSON.stringify(mode)} for bucket "${logicalName}" is not "read" or "readwrite"`,
      );
    }
    if (workload.namespace !== namespace) {
      throw new Error(
        `${store}: workload "${workload.name}" runs in namespace "${workload.namespace}" but bucket "${logicalName}" belongs to ` +
          `"${owner}" in namespace "${namespace}"; its credentials are a Secret there, and a pod can only reference Secrets in ` +
          `its own namespace, so bucket access cannot cross namespaces. Grant the workload a bucket owned by its own team.`,
      );
    }
    if (workload.team !== owner) {
      throw new Error(
        `${store}: bucket "${logicalName}" belongs to "${owner}", not to workload "${workload.name}"'s team "${workload.team}"; each workload gets only its team's buckets`,
      );
    }
    // Once per bucket, not per grant: a hundred models reading one bucket need the caveat once.
    if (mode === "read" && !this.args.readCredentials && !this.readCaveatShown) {
      this.readCaveatShown = true;
      pulumi.log.warn(
        `${store}: workload "${workload.name}" asked for read-only access to bucket "${logicalName}" but receives the bucket's ` +
          `read/write key pair: ${this.args.readModeCaveat}. Isolation holds at the bucket boundary only ` +
          `(said once per bucket; later read grants on it get the same pair).`,
        opts.parent,
      );
    }

    const { endpoint, region } = this.args;
    const credentials =
      mode === "read" && this.args.readCredentials ? this.args.readCredentials : this.args.credentials;
    const env: k8s.types.input.core.v1.EnvVar[] = [
      { name: "BUCKET_NAME", value: this.bucketName },
      { name: "AWS_ENDPOINT_URL", value: endpoint.url },
      // AWS SDKs read AWS_REGION, botocore (MLflow, barman-cloud) AWS_DEFAULT_REGION.
      { name: "AWS_REGION", value: region },
      { name: "AWS_DEFAULT_REGION", value: region },
      {
        name: "AWS_ACCESS_KEY_ID",
        valueFrom: { secretKeyRef: { name: credentials.secretName, key: credentials.accessKeyIdKey } },
      },
      {
        name: "AWS_SECRET_ACCESS_KEY",
        valueFrom: { secretKeyRef: { name: credentials.secretName, key: credentials.secretAccessKeyKey } },
      },
    ];
    const volumes: k8s.types.input.core.v1.Volume[] = [];
    const volumeMounts: k8s.types.input.core.v1.VolumeMount[] = [];
    const ca = this.args.endpointCa;
    if (ca) {
      const volumeName = `s3-ca-${logicalName}`.slice(0, 63).replace(/-+$/, "");
      const mountPath = `${ENDPOINT_CA_MOUNT_ROOT}/${logicalName}`;
      volumes.push({
        name: volumeName,
        configMap: { name: ca.configMapName, items: [{ key: ca.key, path: ca.key }] },
      });
      volumeMounts.push({ name: volumeName, mountPath, readOnly: true });
      env.push({ name: "AWS_CA_BUNDLE", value: `${mountPath}/${ca.key}` });
    }
    return {
      env,
      volumes,
      volumeMounts,
      egress: this.args.egress,
      dependsOn: [...this.args.dependsOn, ...identity.dependencies],
    };
  }
}
