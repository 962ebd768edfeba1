/**
 * The SeaweedFS server of `SeaweedFsObjectStore`: its identities Secret, ServiceAccount, volume,
 * Deployment, Service and NetworkPolicy, in the platform namespace.
 *
 * `weed mini` runs master, volume server, filer and S3 gateway in one process; every extra listener
 * it would start (WebDAV, admin UI, Iceberg and Lance catalogs, embedded IAM API) is switched off,
 * telemetry too (the pod has no egress at all), and the components find each other on 127.0.0.1
 * (`-ip`), so only the S3 port is reachable from outside the pod, and the NetworkPolicy admits it
 * from the bucket owners' namespaces only. Buckets are created by the server itself at start
 * (`-bucket`, idempotent) and no client identity may create one (`-s3.autoCreateBucket=false`, no
 * `Admin` action).
 *
 * Flags read from `weed/command/mini.go` at github.com/seaweedfs/seaweedfs commit 7506e5f91cd6.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "../context";
import { kubeLabels, selectorLabels } from "../kube/labels";
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";
import type { SeaweedFsPlan } from "./SeaweedFsObjectStore";

/**
 * The pinned SeaweedFS image, shaped like a row of the version table (components/versions): what,
 * version, and the upstream file and ref the version was read from.
 */
export const SEAWEEDFS_IMAGE = {
  what: "SeaweedFS server image (objectStore.provider seaweedfs, the dev object store)",
  repository: "docker.io/chrislusf/seaweedfs",
  version: "4.53",
  source: {
    repository: "github.com/seaweedfs/seaweedfs",
    file: "weed/util/version/constants.go (MAJOR_VERSION 4, MINOR_VERSION 53); k8s/charts/seaweedfs/Chart.yaml appVersion 4.53, whose values.yaml names the image chrislusf/seaweedfs with the tag defaulting to appVersion",
    ref: "7506e5f91cd6 (Go module pseudo-version v0.0.0-20261109003541-7506e5f91cd6)",
  },
} as const;

/** The S3 gateway's port (`weed mini -s3.port`, its default). */
export const SEAWEEDFS_S3_PORT = 8333;

const DATA_DIR = "/data";
const CONFIG_DIR = "/etc/mlstack/seaweedfs";
const CONFIG_KEY = "s3.json";

export interface SeaweedFsServerArgs {
  ctx: PlatformContext;
  plan: SeaweedFsPlan;
  /** The S3 identities file (a Pulumi secret). */
  s3Config: pulumi.Output<string>;
  /** A digest of it, put on the pod template so that new keys restart the server. */
  s3ConfigDigest: pulumi.Input<string>;
  image?: string;
  /** Namespaces whose pods may reach the S3 port: the bucket owners'. */
  clientNamespaces: string[];
  dependsOn?: pulumi.Resource[];
}

/** The `weed mini` command line: data on the volume, S3 only, buckets made at start. */
export function seaweedFsArgs(bucketNames: string[], configPath = `${CONFIG_DIR}/${CONFIG_KEY}`): string[] {
  return [
    "mini",
    `-dir=${DATA_DIR}`,
    // Master, volume server and filer address each other on loopback; S3 listens on every address.
    "-ip=127.0.0.1",
    "-ip.bind=0.0.0.0",
    `-s3.port=${SEAWEEDFS_S3_PORT}`,
    `-s3.config=${configPath}`,
    `-bucket=${bucketNames.join(",")}`,
    "-s3.autoCreateBucket=false",
    "-s3.iam=false",
    "-s3.port.iceberg=0",
    "-s3.port.lance=0",
    "-webdav=false",
    "-admin.ui=false",
    "-master.telemetry=false",
  ];
}

export function seaweedFsServer(
  parent: pulumi.Resource,
  name: string,
  args: SeaweedFsServerArgs,
): { deployment: k8s.apps.v1.Deployment; appName: string } {
  const { ctx, plan } = args;
  const appName = plan.serviceName;
  const labels = kubeLabels({
    name: appName,
    component: "object-store",
    environment: ctx.environment,
    team: "platform",
  });
  const selector = selectorLabels({ name: appName });
  const metadata = (suffix: string) => ({
    name: `${appName}${suffix}`,
    namespace: plan.namespace,
    labels,
  });
  const opts = { parent, dependsOn: args.dependsOn };

  const config = new k8s.core.v1.Secret(
    `${name}-seaweedfs-s3-config`,
    { metadata: metadata("-s3-config"), type: "Opaque", stringData: { [CONFIG_KEY]: args.s3Config } },
    opts,
  );
  // Its own ServiceAccount without a token: the server never talks to the Kubernetes API.
  const serviceAccount = new k8s.core.v1.ServiceAccount(
    `${name}-seaweedfs`,
    { metadata: metadata(""), automountServiceAccountToken: false },
    opts,
  );
  const data = new k8s.core.v1.PersistentVolumeClaim(
    `${name}-seaweedfs-data`,
    {
      metadata: metadata("-data"),
      spec: {
        accessModes: ["ReadWriteOnce"],
        ...(plan.storageClassName ? { storageClassName: plan.storageClassName } : {}),
        resources: { requests: { storage: plan.volumeSize } },
      },
    },
    { ...opts, protect: ctx.protect, retainOnDelete: ctx.protect },
  );
  const deployment = new k8s.apps.v1.Deployment(
    `${name}-seaweedfs`,
    {
      metadata: metadata(""),
      spec: {
        replicas: 1,
        // One ReadWriteOnce volume: the old pod must let go of it before the new one starts.
        strategy: { type: "Recreate" },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels, annotations: { "mlstack.io/s3-config-sha256": args.s3ConfigDigest } },
          spec: {
            serviceAccountName: serviceAccount.metadata.name,
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(ctx.flavor),
            containers: [
              {
                name: "seaweedfs",
                image: args.image ?? `${SEAWEEDFS_IMAGE.repository}:${SEAWEEDFS_IMAGE.version}`,
                // The binary, not the image's entrypoint script: that one chowns /data as root first.
                command: ["/usr/bin/weed"],
                args: seaweedFsArgs(plan.buckets.map((b) => b.bucketName)),
                ports: [{ name: "s3", containerPort: SEAWEEDFS_S3_PORT, protocol: "TCP" }],
                readinessProbe: {
                  tcpSocket: { port: SEAWEEDFS_S3_PORT },
                  initialDelaySeconds: 5,
                  periodSeconds: 10,
                },
                livenessProbe: {
                  tcpSocket: { port: SEAWEEDFS_S3_PORT },
                  initialDelaySeconds: 30,
                  periodSeconds: 20,
                },
                resources: {
                  requests: { cpu: "100m", memory: "256Mi" },
                  limits: { cpu: "1", memory: "1Gi" },
                },
                securityContext: containerSecurityContext(ctx.flavor),
                volumeMounts: [
                  { name: "data", mountPath: DATA_DIR },
                  { name: "s3-config", mountPath: CONFIG_DIR, readOnly: true },
                  { name: "tmp", mountPath: "/tmp" },
                ],
              },
            ],
            volumes: [
              { name: "data", persistentVolumeClaim: { claimName: data.metadata.name } },
              { name: "s3-config", secret: { secretName: config.metadata.name } },
              { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
            ],
          },
        },
      },
    },
    opts,
  );
  new k8s.core.v1.Service(
    `${name}-seaweedfs`,
    {
      metadata: metadata(""),
      spec: {
        type: "ClusterIP",
        selector,
        ports: [{ name: "s3", port: SEAWEEDFS_S3_PORT, targetPort: SEAWEEDFS_S3_PORT, protocol: "TCP" }],
      },
    },
    opts,
  );
  new k8s.networking.v1.NetworkPolicy(
    `${name}-seaweedfs`,
    {
      metadata: metadata(""),
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
          {
            from: [
              {
                namespaceSelector: {
                  matchExpressions: [
                    { key: "kubernetes.io/metadata.name", operator: "In", values: args.clientNamespaces },
                  ],
                },
              },
            ],
            ports: [{ protocol: "TCP", port: SEAWEEDFS_S3_PORT }],
          },
        ],
        // No egress: master, volume server and filer talk over loopback, telemetry is off.
        egress: [],
      },
    },
    opts,
  );
  return { deployment, appName };
}
