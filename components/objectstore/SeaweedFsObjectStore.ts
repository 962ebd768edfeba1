/**
 * An S3-compatible object store mlstack runs itself, for dev on a bare kind / minikube cluster: one
 * SeaweedFS server (`weed mini`: master, volume, filer and S3 gateway in one process) in the platform
 * namespace, on a PersistentVolumeClaim, with every configured bucket created at start and two key
 * pairs per bucket (read/write and read-only), each an identity in SeaweedFS's S3 config that may act
 * on its own bucket only. Keys come from `@pulumi/random` and stay Pulumi secrets; each pair reaches
 * the bucket owner's namespace as a Secret shaped like an ObjectBucketClaim's (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`), so grants work exactly as for the other S3-compatible providers
 * (`S3CompatibleBucket`), and a `read` grant really is read-only here.
 *
 * Why SeaweedFS (see README.md beside this file): Apache-2.0 and actively released, one small static
 * binary that runs as any non-root UID; MinIO's community edition is AGPL and in maintenance,
 * Garage is AGPL, Rook-Ceph RGW needs raw disks and a dozen pods.
 *
 * Dev only: one replica on one volume, plain http inside the cluster. Other environments are refused
 * (use `obc` or `external`).
 */
import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformContext } from "../context";
import { refusal } from "../argumentProblem";
import { kubeLabels, selectorLabels } from "../kube/labels";
import {
  DNS1123_LABEL_RULE,
  DNS1123_SUBDOMAIN_RULE,
  isDns1123Label,
  isDns1123Subdomain,
} from "../kube/names";
import { isQuantity, QUANTITY_RULE } from "../kube/quantity";
import { PLATFORM_OWNER } from "../platformIdentity";
import { declaredBucket, type Bucket, type BucketAccessMode, type ObjectStore } from "./contract";
import type { BucketConfig, ObjectStoreConfig } from "./settings";
import {
  assertS3BucketName,
  ownerNamespace,
  physicalBucketName,
  S3CompatibleBucket,
  type S3Endpoint,
} from "./S3CompatibleBucket";
import { renderSeaweedFsS3Config, seaweedFsIdentity, type SeaweedFsIdentity } from "./seaweedfsIdentities";
import { seaweedFsServer, SEAWEEDFS_S3_PORT } from "./seaweedfsServer";

export { SEAWEEDFS_IMAGE, SEAWEEDFS_S3_PORT } from "./seaweedfsServer";

/** Secret keys of every bucket credential Secret: the names AWS SDKs read from the environment. */
const ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID";
const SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY";

export interface SeaweedFsObjectStoreArgs {
  ctx: PlatformContext;
  /** `mlstack:objectStore`; `provider` must be `seaweedfs`. */
  config: ObjectStoreConfig;
  /** Owner → namespace: every team that owns a bucket, and `platform` (where the server runs). */
  namespaces: Record<string, string>;
  /** Image of the server. Default `SEAWEEDFS_IMAGE`. */
  image?: string;
  /** What the server and the bucket Secrets wait for (the namespaces). */
  dependsOn?: pulumi.Resource[];
}

/** What the constructor builds, computed (and checked) before anything registers. */
export interface SeaweedFsPlan {
  /** The platform namespace, where the server runs. */
  namespace: string;
  serviceName: string;
  endpoint: S3Endpoint;
  volumeSize: string;
  storageClassName?: string;
  buckets: Array<{
    bucket: BucketConfig;
    namespace: string;
    bucketName: string;
    /** Secret (in the owner's namespace) per access mode. */
    secretNames: Record<BucketAccessMode, string>;
  }>;
}

export class SeaweedFsObjectStore extends pulumi.ComponentResource implements ObjectStore {
  readonly buckets: Bucket[];
  /** Physical bucket name per logical bucket. */
  readonly bucketNames: Record<string, string>;
  /** In-cluster S3 endpoint URL. */
  readonly endpoint: pulumi.Output<string>;
  /** The S3 identities file the server reads (a Pulumi secret). */
  readonly s3Config: pulumi.Output<string>;
  private readonly componentName: string;

  constructor(name: string, args: SeaweedFsObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    const where = `SeaweedFsObjectStore ${name}`;
    const plan = planSeaweedFsObjectStore(name, args);
    super("mlstack:objectstore:SeaweedFsObjectStore", name, {}, opts);
    this.componentName = name;
    const { ctx, config } = args;

    const keys = plan.buckets.map((b) => ({ plan: b, pairs: this.keyPairs(name, b.bucket.name) }));
    const identities = pulumi
      .all(
        keys.flatMap(({ plan: b, pairs }) =>
          (["readwrite", "read"] as const).map((mode) =>
            pulumi
              .all([pairs[mode].accessKey, pairs[mode].secretKey])
              .apply(([accessKey, secretKey]) =>
                seaweedFsIdentity(b.bucketName, mode, { accessKey, secretKey }),
              ),
          ),
        ),
      )
      .apply((list: SeaweedFsIdentity[]) => renderSeaweedFsS3Config(list));
    this.s3Config = pulumi.secret(identities);

    const server = seaweedFsServer(this, name, {
      ctx,
      plan,
      s3Config: this.s3Config,
      // A digest of the identities file rolls the pod when keys change; the keys are 160+ random
      // bits each, so the digest reveals nothing about them.
      s3ConfigDigest: pulumi.unsecret(
        this.s3Config.apply((text) => crypto.createHash("sha256").update(text).digest("hex")),
      ),
      image: args.image,
      clientNamespaces: [...new Set(plan.buckets.map((b) => b.namespace))].sort(),
      dependsOn: args.dependsOn,
    });
    this.endpoint = pulumi.output(plan.endpoint.url);

    const egress = [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": plan.namespace } },
            podSelector: { matchLabels: selectorLabels({ name: server.appName }) },
          },
        ],
        ports: [{ protocol: "TCP", port: SEAWEEDFS_S3_PORT }],
      },
    ];

    this.buckets = [];
    this.bucketNames = {};
    for (const { plan: b, pairs } of keys) {
      const secrets = (["readwrite", "read"] as const).map(
        (mode) =>
          new k8s.core.v1.Secret(
            `${name}-${b.bucket.name}-${mode}-keys`,
            {
              metadata: {
                name: b.secretNames[mode],
                namespace: b.namespace,
                labels: kubeLabels({
                  name: b.bucket.name,
                  component: "object-bucket-credentials",
                  environment: ctx.environment,
                  team: b.bucket.owner,
                }),
              },
              type: "Opaque",
              stringData: {
                [ACCESS_KEY_ID]: pairs[mode].accessKey,
                [SECRET_ACCESS_KEY]: pairs[mode].secretKey,
              },
            },
            { parent: this, dependsOn: args.dependsOn },
          ),
      );
      const credentials = (mode: BucketAccessMode) => ({
        secretName: b.secretNames[mode],
        accessKeyIdKey: ACCESS_KEY_ID,
        secretAccessKeyKey: SECRET_ACCESS_KEY,
      });
      this.buckets.push(
        new S3CompatibleBucket({
          store: where,
          logicalName: b.bucket.name,
          owner: b.bucket.owner,
          namespace: b.namespace,
          bucketName: pulumi.output(b.bucketName),
          endpoint: plan.endpoint,
          region: config.region,
          credentials: credentials("readwrite"),
          readCredentials: credentials("read"),
          egress,
          dependsOn: [server.deployment, ...secrets],
        }),
      );
      this.bucketNames[b.bucket.name] = b.bucketName;
    }

    const unenforced = config.buckets.filter((b) => b.versioning || b.lifecycle.expirationDays > 0);
    if (unenforced.length > 0) {
      pulumi.log.warn(
        `${where}: versioning and lifecycle expiration (requested for ${unenforced.map((b) => b.name).join(", ")}) are not ` +
          `applied: the dev store creates plain buckets and holds no admin key. Apply them with a bucket's read/write key ` +
          `(aws s3api put-bucket-versioning / put-bucket-lifecycle-configuration) if dev needs them.`,
        this,
      );
    }
    this.registerOutputs({ bucketNames: this.bucketNames, endpoint: this.endpoint });
  }

  bucket(logicalName: string): Bucket {
    return declaredBucket(`SeaweedFsObjectStore ${this.componentName}`, this.buckets, logicalName);
  }

  /** A read/write and a read-only key pair for one bucket, random and kept as Pulumi secrets. */
  private keyPairs(
    name: string,
    bucket: string,
  ): Record<BucketAccessMode, { accessKey: pulumi.Output<string>; secretKey: pulumi.Output<string> }> {
    const pair = (mode: BucketAccessMode) => {
      // An AWS-shaped access key id (20 upper-case letters and digits) and a 40-character secret.
      const accessKey = new random.RandomPassword(
        `${name}-${bucket}-${mode}-access-key`,
        { length: 20, special: false, lower: false, upper: true, numeric: true },
        { parent: this },
      );
      const secretKey = new random.RandomPassword(
        `${name}-${bucket}-${mode}-secret-key`,
        { length: 40, special: false },
        { parent: this },
      );
      return { accessKey: pulumi.secret(accessKey.result), secretKey: pulumi.secret(secretKey.result) };
    };
    return { readwrite: pair("readwrite"), read: pair("read") };
  }
}

/**
 * Checks a SeaweedFsObjectStore's arguments and plans it: pure, so the stack's pre-flight runs it
 * before anything registers, and the constructor runs it again. Refuses with an `ArgumentRefusal`.
 */
export function planSeaweedFsObjectStore(
  name: string,
  args: Omit<SeaweedFsObjectStoreArgs, "dependsOn">,
): SeaweedFsPlan {
  const where = `SeaweedFsObjectStore ${name}`;
  const fail = refusal(where);
  const { ctx, config } = args;
  if (config.provider !== "seaweedfs") {
    fail(
      "config.provider",
      config.provider,
      'is not "seaweedfs"; SeaweedFsObjectStore serves only seaweedfs (ObcObjectStore serves "obc", ExternalObjectStore "external")',
    );
  }
  if (ctx.environment !== "dev") {
    fail(
      "ctx.environment",
      ctx.environment,
      'is not "dev": the SeaweedFS store is one replica on one volume behind plain http, fit for a developer\'s cluster only; use objectStore.provider obc or external',
    );
  }
  const namespace = args.namespaces[PLATFORM_OWNER];
  if (!namespace) {
    fail(`namespaces.${PLATFORM_OWNER}`, undefined, "is required: the server runs in the platform namespace");
  }
  const volumeSize = config.seaweedfs?.volumeSize ?? "10Gi";
  if (!isQuantity(volumeSize)) fail("config.seaweedfs.volumeSize", volumeSize, `is not ${QUANTITY_RULE}`);
  const storageClassName = config.seaweedfs?.storageClassName;
  if (storageClassName !== undefined && !isDns1123Subdomain(storageClassName)) {
    fail(
      "config.seaweedfs.storageClassName",
      storageClassName,
      `is not a StorageClass name (${DNS1123_SUBDOMAIN_RULE})`,
    );
  }
  const serviceName = `${name}-seaweedfs`;
  if (!isDns1123Label(serviceName)) {
    fail("name", name, `gives the Service name "${serviceName}", which is not ${DNS1123_LABEL_RULE}`);
  }
  const buckets = config.buckets.map((bucket, i) => {
    const owner = ownerNamespace(where, args.namespaces, bucket, i);
    const secretNames = { readwrite: `${name}-${bucket.name}`, read: `${name}-${bucket.name}-read` };
    if (!isDns1123Label(secretNames.read)) {
      fail(
        `config.buckets[${i}].name`,
        bucket.name,
        `gives the Secret name "${secretNames.read}" (component name + bucket + "-read"), which is not ${DNS1123_LABEL_RULE}; shorten the bucket name`,
      );
    }
    const bucketName = physicalBucketName(ctx.project, ctx.stack, bucket.name);
    assertS3BucketName(bucketName, where, `config.buckets[${i}].name (physical bucket name)`);
    return { bucket, namespace: owner, bucketName, secretNames };
  });
  if (buckets.length === 0)
    fail("config.buckets", [], "is empty; the store serves the configured buckets only");
  return {
    namespace,
    serviceName,
    endpoint: {
      url: `http://${serviceName}.${namespace}.svc:${SEAWEEDFS_S3_PORT}`,
      https: false,
      host: `${serviceName}.${namespace}.svc`,
      port: SEAWEEDFS_S3_PORT,
    },
    volumeSize,
    storageClassName,
    buckets,
  };
}
