/**
 * The MLflow tracking server, written against the contracts only: it gets a database grant and
 * a bucket grant and never learns which cloud (if any) is behind them, so the same component
 * runs on plain Kubernetes, OpenShift, EKS and GKE.
 *
 * What it creates (all in `args.namespace`, named after the component):
 * - a Deployment running `mlflow server` (image from `images/mlflow`) with the PostgreSQL backend,
 *   artifacts proxied to the bucket (`--serve-artifacts --artifacts-destination <bucket URL>`),
 *   schema migrations serialised across replicas by the image's entrypoint;
 * - authentication, on by default:
 *   `basic`       MLflow's basic-auth app; generated admin password and Flask secret key in
 *                 Secrets; the auth tables live in the same PostgreSQL database (MLflow ≥ 3.6
 *                 keeps their migrations in `alembic_version_auth`), never in a per-pod SQLite;
 *   `oauth-proxy` (OpenShift) an oauth-proxy sidecar in front, MLflow on 127.0.0.1 only, TLS
 *                 from the service CA, access = `get` on the MLflow Service (see oauthProxy.ts);
 *   `none`        dev only;
 * - a Service (`http`, or `https` with oauth-proxy), a NetworkPolicy, and when
 *   `ctx.highAvailability` a PodDisruptionBudget and topology spread.
 *
 * Exposure (Route / Ingress) is not done here: hand `serviceName`, `servicePort` and
 * `backendTls` to the Exposure component.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PLATFORM_OWNER } from "../platformIdentity";
import type { MlflowConfig } from "./settings";
import type { PlatformContext } from "../context";
import { emptyAccess, mergeAccess, type WorkloadAccess } from "../identity/contract";
import { kubeLabels, selectorLabels } from "../kube/labels";
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";
import { backendStoreUriEnv, mergeVolumeMounts, mergeVolumes, renameEnv, s3EndpointEnv } from "./grants";
import { allowedHosts, allowedOrigins } from "./hosts";
import { ciliumApiServerPolicy } from "../kube/apiServer";
import type { ClusterNetworkFacts } from "../kube/clusterNetwork";
import { mlflowNetworkPolicySpec } from "./networkPolicy";
import {
  AUTOMOUNT_REASON,
  AUTOMOUNT_REASON_ANNOTATION,
  COOKIE_SECRET_KEY,
  OAUTH_PROXY_COOKIE_VOLUME,
  OAUTH_PROXY_PORT,
  OAUTH_PROXY_TLS_VOLUME,
  oauthProxyContainer,
  oauthProxyEgress,
  oauthProxyServiceAccountAnnotations,
} from "./oauthProxy";
import { validateMlflowArgs } from "./validation";
import { defaultWorkers } from "./workers";

/** The port MLflow listens on (on all interfaces, or on 127.0.0.1 behind oauth-proxy). */
export const MLFLOW_PORT = 5000;
/** Where the image's entrypoint renders the basic-auth ini (inside the /tmp emptyDir). */
export const AUTH_CONFIG_PATH = "/tmp/mlflow-auth/basic_auth.ini";
/** The basic-auth admin user MLflow creates on first start. */
export const ADMIN_USERNAME = "admin";
const ENTRYPOINT = "/usr/local/bin/mlflow-entrypoint";
/** The /tmp emptyDir (its name is reserved in validation.ts). */
const SCRATCH_VOLUME = "tmp";

/** MLflow's permission levels (an `as const` object as well as a type: a schema enum). */
export const MlflowPermission = {
  READ: "READ",
  USE: "USE",
  EDIT: "EDIT",
  MANAGE: "MANAGE",
  NO_PERMISSIONS: "NO_PERMISSIONS",
} as const;
export type MlflowPermission = (typeof MlflowPermission)[keyof typeof MlflowPermission];

/** The artifact bucket MLflow proxies uploads and downloads to. */
export interface MlflowArtifacts {
  /** The grant from `Bucket.grantAccess(identity, "readwrite")`. */
  access: WorkloadAccess;
  /** The bucket's `s3://…` / `gs://…` URL. */
  destination: pulumi.Input<string>;
}

export interface MlflowArgs {
  /** Environment, cluster flavor, HA and protection of the platform. */
  ctx: PlatformContext;
  /** `mlstack:mlflow`: image, replicas, auth mode, oauth-proxy image, hostname, resources. */
  config: MlflowConfig;
  /** Namespace the server runs in (the platform namespace, default-deny). */
  namespace: pulumi.Input<string>;
  /**
   * The workload's ServiceAccount, created by the namespace component. With `oauth-proxy` it
   * must carry `Mlflow.serviceAccountAnnotations(...)`. Never `default`. May be an output (the
   * ServiceAccount resource's name); a known name is checked before anything registers.
   */
  serviceAccountName: pulumi.Input<string>;
  /**
   * The grant from `PostgresService.grantDatabase` for `config.database`. Its env must carry
   * `DATABASE_URL` as a `secretKeyRef`; it becomes `MLFLOW_BACKEND_STORE_URI` (and the auth
   * database URI) by reference. Its env, volumes (CA bundles) and egress are passed through.
   */
  database: WorkloadAccess;
  /**
   * The artifact bucket: `access` from `Bucket.grantAccess(identity, "readwrite")` and
   * `destination` its `s3://…` / `gs://…` URL. An `AWS_ENDPOINT_URL` in the grant (S3-compatible
   * stores) is also exported as `MLFLOW_S3_ENDPOINT_URL`.
   */
  artifacts: MlflowArtifacts;
  /**
   * Who may reach the serving port: the ingress controller / router namespace when MLflow is
   * exposed, team namespaces whose notebooks and jobs log runs. Empty = nobody but monitoring.
   */
  ingressFrom: k8s.types.input.networking.v1.NetworkPolicyPeer[];
  /** Namespace of the Prometheus / blackbox prober allowed to reach the serving port (`/health`). Default: none. */
  monitoringNamespace?: pulumi.Input<string>;
  /**
   * API server CIDRs (`mlstack:network.apiServerCidrs`). Required with `oauth-proxy`, which calls
   * the API server; unused otherwise (the pod gets no API access).
   */
  apiServerCidrs?: string[];
  /** The cluster's CNI (`mlstack:network.cni`): on Cilium the oauth-proxy's API access is also a CiliumNetworkPolicy. Default `other`. */
  network?: ClusterNetworkFacts;
  /**
   * `oauth-proxy` only: groups, users and ServiceAccounts that may use MLflow. They are bound to
   * a Role granting `get` on the MLflow Service, which is what the proxy checks. Default: none
   * (only those who may already `get` Services in the namespace, e.g. its admins).
   */
  proxyUsers?: k8s.types.input.rbac.v1.Subject[];
  /**
   * `basic` only: what a user may do with experiments and models they were not granted anything
   * on. Default `NO_PERMISSIONS` (safe: teams see only what they own or were given).
   */
  defaultPermission?: MlflowPermission;
  /** Server worker processes per pod. Default: one per 512Mi of the memory limit, 1 to 4 (see workers.ts). */
  workers?: number;
  /**
   * Size limit of the /tmp emptyDir, which buffers proxied artifact uploads (the largest single
   * artifact must fit). Default `10Gi`; exceeding it evicts the pod, never fills the node.
   */
  scratchSize?: string;
  /** Cluster DNS domain, for the Host names MLflow accepts. Default `cluster.local`. */
  clusterDomain?: string;
}

export class Mlflow extends pulumi.ComponentResource {
  /** The Service clients and the Exposure component use. */
  readonly serviceName: pulumi.Output<string>;
  /** Its port: 5000 (`http`), or 8443 (`https`) with oauth-proxy. */
  readonly servicePort: number;
  /** True when the Service speaks TLS (oauth-proxy with a service-CA certificate): re-encrypt to it. */
  readonly backendTls: boolean;
  /** In-cluster tracking URI (`MLFLOW_TRACKING_URI` for notebooks, jobs and served models). */
  readonly trackingUri: pulumi.Output<string>;
  /** `basic` only: the Secret (type kubernetes.io/basic-auth) holding the MLflow admin's username and password. */
  readonly adminSecretName?: pulumi.Output<string>;
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service: k8s.core.v1.Service;

  /**
   * Annotations the MLflow ServiceAccount needs (pass them to the namespace component): with
   * `oauth-proxy` the OAuth redirect reference to the Route named `routeName` (the Route that
   * exposes MLflow) and, when `config.hostname` is set, the redirect URI; none otherwise.
   */
  static serviceAccountAnnotations(
    ctx: PlatformContext,
    config: MlflowConfig,
    routeName: string,
  ): Record<string, string> {
    if (config.auth === "oauth-proxy" && ctx.flavor !== "openshift") {
      throw new Error(
        `Mlflow: config.auth (mlstack:mlflow.auth) is "oauth-proxy" but the cluster flavor is "${ctx.flavor}"; use "basic"`,
      );
    }
    return oauthProxyServiceAccountAnnotations(config, routeName);
  }

  /**
   * The egress rule a client namespace (notebooks, jobs, models logging runs) needs to reach the
   * tracking server named `name` in `namespace`: its pods only, on the port they listen on
   * (5000, or the oauth-proxy's 8443). Pass it to the team namespaces' shared egress.
   */
  static clientEgress(
    config: MlflowConfig,
    namespace: string,
    name: string,
  ): k8s.types.input.networking.v1.NetworkPolicyEgressRule {
    return {
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
          podSelector: { matchLabels: selectorLabels({ name }) },
        },
      ],
      ports: [{ protocol: "TCP", port: config.auth === "oauth-proxy" ? OAUTH_PROXY_PORT : MLFLOW_PORT }],
    };
  }

  constructor(name: string, args: MlflowArgs, opts?: pulumi.ComponentResourceOptions) {
    validateMlflowArgs(name, args);
    super("mlstack:mlflow:Mlflow", name, {}, opts);
    const { ctx, config, namespace } = args;
    const flavor = ctx.flavor;
    const oauthProxy = config.auth === "oauth-proxy";
    const basicAuth = config.auth === "basic";
    const labels = kubeLabels({
      name,
      component: "tracking-server",
      environment: ctx.environment,
      team: PLATFORM_OWNER,
    });
    const selector = selectorLabels({ name });
    const metadata = (suffix?: string) => ({ name: suffix ? `${name}-${suffix}` : name, namespace, labels });

    this.servicePort = oauthProxy ? OAUTH_PROXY_PORT : MLFLOW_PORT;
    this.backendTls = oauthProxy;
    const portName = oauthProxy ? "https" : "http";
    const workers = args.workers ?? defaultWorkers(config.resources.limits.memory);

    // --- Secrets ------------------------------------------------------------------------------
    const authEnv: k8s.types.input.core.v1.EnvVar[] = [];
    const secrets: pulumi.Resource[] = [];
    if (basicAuth) {
      const password = new random.RandomPassword(
        `${name}-admin-password`,
        { length: 32, special: false },
        { parent: this },
      );
      const adminSecret = new k8s.core.v1.Secret(
        `${name}-admin`,
        {
          metadata: metadata("admin"),
          type: "kubernetes.io/basic-auth",
          stringData: { username: ADMIN_USERNAME, password: password.result },
        },
        { parent: this },
      );
      const flaskKey = new random.RandomPassword(
        `${name}-flask-secret-key`,
        { length: 64, special: false },
        { parent: this },
      );
      const serverSecret = new k8s.core.v1.Secret(
        `${name}-server`,
        { metadata: metadata("server"), type: "Opaque", stringData: { "flask-secret-key": flaskKey.result } },
        { parent: this },
      );
      secrets.push(adminSecret, serverSecret);
      this.adminSecretName = adminSecret.metadata.name;
      const fromSecret = (secret: k8s.core.v1.Secret, key: string) => ({
        secretKeyRef: { name: secret.metadata.name, key },
      });
      authEnv.push(
        { name: "MLFLOW_AUTH_CONFIG_PATH", value: AUTH_CONFIG_PATH },
        { name: "MLSTACK_AUTH_ADMIN_USERNAME", valueFrom: fromSecret(adminSecret, "username") },
        { name: "MLSTACK_AUTH_ADMIN_PASSWORD", valueFrom: fromSecret(adminSecret, "password") },
        renameEnv(backendStoreUriEnv(args.database), "MLSTACK_AUTH_DATABASE_URI"),
        { name: "MLSTACK_AUTH_DEFAULT_PERMISSION", value: args.defaultPermission ?? "NO_PERMISSIONS" },
        // Signs the CSRF tokens of the basic-auth UI; shared by all replicas.
        { name: "MLFLOW_FLASK_SERVER_SECRET_KEY", valueFrom: fromSecret(serverSecret, "flask-secret-key") },
      );
    }

    let cookieSecret: k8s.core.v1.Secret | undefined;
    if (oauthProxy) {
      // 32 bytes: a valid AES-256 key should the proxy ever be asked to encrypt cookies.
      const cookie = new random.RandomPassword(
        `${name}-cookie-secret`,
        { length: 32, special: false },
        { parent: this },
      );
      cookieSecret = new k8s.core.v1.Secret(
        `${name}-oauth-proxy`,
        {
          metadata: metadata("oauth-proxy"),
          type: "Opaque",
          stringData: { [COOKIE_SECRET_KEY]: cookie.result },
        },
        { parent: this },
      );
      secrets.push(cookieSecret);
    }

    // --- Service ------------------------------------------------------------------------------
    const tlsSecretName = `${name}-tls`;
    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: {
          ...metadata(),
          // The OpenShift service CA issues the proxy's certificate into this Secret.
          annotations: oauthProxy
            ? { "service.beta.openshift.io/serving-cert-secret-name": tlsSecretName }
            : undefined,
        },
        spec: {
          type: "ClusterIP",
          selector,
          ports: [{ name: portName, port: this.servicePort, targetPort: portName, protocol: "TCP" }],
        },
      },
      { parent: this },
    );
    this.serviceName = this.service.metadata.name;

    // --- The MLflow container -----------------------------------------------------------------
    const hosts = pulumi.output(namespace).apply((ns) =>
      allowedHosts({
        serviceName: name,
        namespace: ns,
        servicePort: this.servicePort,
        clusterDomain: args.clusterDomain ?? "cluster.local",
        hostname: config.hostname,
      }),
    );
    const origins = allowedOrigins(config.hostname);
    // The database and bucket grants may both carry the same entry (on AWS both set AWS_REGION
    // when RDS uses IAM auth): merged once, as Kubernetes refuses a container env with a name twice.
    const grantEnv = mergeAccess({ ...emptyAccess(), env: args.database.env }, args.artifacts.access).env;
    const env: k8s.types.input.core.v1.EnvVar[] = [
      ...grantEnv,
      backendStoreUriEnv(args.database),
      ...s3EndpointEnv(args.artifacts.access),
      { name: "MLFLOW_SERVER_ALLOWED_HOSTS", value: hosts },
      ...(origins ? [{ name: "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS", value: origins }] : []),
      // Serialised schema creation / upgrade before the server starts (see images/mlflow).
      { name: "MLSTACK_MIGRATE_DATABASE", value: "true" },
      // No usage reporting from inside a bank's cluster (and egress is closed anyway).
      { name: "MLFLOW_DISABLE_TELEMETRY", value: "true" },
      { name: "DO_NOT_TRACK", value: "true" },
      // MLflow 3.17 turns server-side job execution on by default (mlflow/environment_variables.py
      // MLFLOW_SERVER_ENABLE_JOB_EXECUTION, default True): each server then launches a Huey job
      // runner whose consumers the real-process tests measured at about 7 processes of ~240 MB,
      // memory this Deployment's requests do not account for, and runs the periodic tasks on
      // every replica, where MLflow says to enable them on one. The platform uses no server-side
      // jobs (GenAI judges, prompt optimisation, SQL trace roll-ups), so they stay off.
      { name: "MLFLOW_SERVER_ENABLE_JOB_EXECUTION", value: "false" },
      ...authEnv,
    ];
    const serverArgs: pulumi.Input<string>[] = [
      "mlflow",
      "server",
      "--host",
      oauthProxy ? "127.0.0.1" : "0.0.0.0",
      "--port",
      String(MLFLOW_PORT),
      "--workers",
      String(workers),
      "--serve-artifacts",
      "--artifacts-destination",
      args.artifacts.destination,
      ...(basicAuth ? ["--app-name", "basic-auth"] : []),
    ];
    const httpHealth = { httpGet: { path: "/health", port: "http" } };
    // Behind oauth-proxy MLflow listens on loopback, which the kubelet cannot reach: ask from inside.
    const loopbackHealth = {
      exec: {
        command: [
          "python",
          "-c",
          `import urllib.request; urllib.request.urlopen("http://127.0.0.1:${MLFLOW_PORT}/health", timeout=4)`,
        ],
      },
    };
    const health = oauthProxy ? loopbackHealth : httpHealth;
    const mlflowContainer: k8s.types.input.core.v1.Container = {
      name: "mlflow",
      image: config.image,
      command: [ENTRYPOINT],
      args: serverArgs,
      ports: oauthProxy ? [] : [{ name: "http", containerPort: MLFLOW_PORT, protocol: "TCP" }],
      env,
      resources: config.resources,
      securityContext: containerSecurityContext(flavor),
      volumeMounts: mergeVolumeMounts(
        [{ name: SCRATCH_VOLUME, mountPath: "/tmp" }],
        args.database.volumeMounts,
        args.artifacts.access.volumeMounts,
      ),
      // Schema migrations run before the server listens: allow them up to 15 minutes.
      startupProbe: { ...health, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 180 },
      readinessProbe: { ...health, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
      livenessProbe: { ...health, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
    };

    const containers = [mlflowContainer];
    const volumes: k8s.types.input.core.v1.Volume[] = [
      { name: SCRATCH_VOLUME, emptyDir: { sizeLimit: args.scratchSize ?? "10Gi" } },
    ];
    if (oauthProxy) {
      containers.push(
        oauthProxyContainer({
          flavor,
          image: config.oauthProxyImage,
          namespace,
          serviceName: name,
          serviceAccountName: args.serviceAccountName,
          upstreamPort: MLFLOW_PORT,
        }),
      );
      volumes.push(
        { name: OAUTH_PROXY_TLS_VOLUME, secret: { secretName: tlsSecretName, defaultMode: 0o440 } },
        {
          name: OAUTH_PROXY_COOKIE_VOLUME,
          secret: { secretName: (cookieSecret as k8s.core.v1.Secret).metadata.name, defaultMode: 0o440 },
        },
      );
    }

    // --- Deployment ---------------------------------------------------------------------------
    const podAnnotations = oauthProxy ? { [AUTOMOUNT_REASON_ANNOTATION]: AUTOMOUNT_REASON } : undefined;
    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { ...metadata(), annotations: podAnnotations },
        spec: {
          replicas: config.replicas,
          revisionHistoryLimit: 5,
          selector: { matchLabels: selector },
          // Never below the desired count during a rollout; the new pod migrates the schema first.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          template: {
            metadata: { labels, annotations: podAnnotations },
            spec: {
              serviceAccountName: args.serviceAccountName,
              // Only oauth-proxy talks to the API server; IRSA and Workload Identity need no SA token mount.
              automountServiceAccountToken: oauthProxy,
              // A Service named like MLflow would inject MLFLOW_PORT=tcp://…, which MLflow reads as its --port.
              enableServiceLinks: false,
              securityContext: podSecurityContext(flavor),
              containers,
              volumes: mergeVolumes(volumes, args.database.volumes, args.artifacts.access.volumes),
              topologySpreadConstraints: ctx.highAvailability
                ? [
                    {
                      maxSkew: 1,
                      topologyKey: "kubernetes.io/hostname",
                      whenUnsatisfiable: "DoNotSchedule",
                      labelSelector: { matchLabels: selector },
                      matchLabelKeys: ["pod-template-hash"],
                    },
                    {
                      maxSkew: 1,
                      topologyKey: "topology.kubernetes.io/zone",
                      whenUnsatisfiable: "ScheduleAnyway",
                      labelSelector: { matchLabels: selector },
                      matchLabelKeys: ["pod-template-hash"],
                    },
                  ]
                : undefined,
            },
          },
        },
      },
      {
        parent: this,
        dependsOn: [...secrets, ...args.database.dependsOn, ...args.artifacts.access.dependsOn],
      },
    );

    // --- Availability -------------------------------------------------------------------------
    if (ctx.highAvailability) {
      new k8s.policy.v1.PodDisruptionBudget(
        `${name}-pdb`,
        {
          metadata: metadata(),
          spec: {
            minAvailable: 1,
            selector: { matchLabels: selector },
            // A crash-looping pod must not block node drains.
            unhealthyPodEvictionPolicy: "AlwaysAllow",
          },
        },
        { parent: this },
      );
    }

    // --- Network ------------------------------------------------------------------------------
    new k8s.networking.v1.NetworkPolicy(
      `${name}-netpol`,
      {
        metadata: metadata(),
        spec: mlflowNetworkPolicySpec({
          flavor,
          podSelector: selector,
          port: oauthProxy ? OAUTH_PROXY_PORT : MLFLOW_PORT,
          ingressFrom: args.ingressFrom,
          monitoringNamespace: args.monitoringNamespace,
          grantEgress: [...args.database.egress, ...args.artifacts.access.egress],
          extraEgress: oauthProxy ? oauthProxyEgress(args.apiServerCidrs ?? []) : [],
        }),
      },
      { parent: this },
    );
    if (oauthProxy)
      ciliumApiServerPolicy(
        `${name}-apiserver-cilium`,
        args.network?.cni,
        { ...metadata("apiserver"), pods: { matchLabels: selector }, egress: true },
        this,
      );

    // --- oauth-proxy RBAC ---------------------------------------------------------------------
    if (oauthProxy) {
      // TokenReview + SubjectAccessReview for bearer-token clients (--openshift-delegate-urls).
      new k8s.rbac.v1.ClusterRoleBinding(
        `${name}-auth-delegator`,
        {
          metadata: { name: pulumi.interpolate`${namespace}-${name}-auth-delegator`, labels },
          roleRef: {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name: "system:auth-delegator",
          },
          subjects: [{ kind: "ServiceAccount", name: args.serviceAccountName, namespace }],
        },
        { parent: this },
      );
      if (args.proxyUsers && args.proxyUsers.length > 0) {
        const role = new k8s.rbac.v1.Role(
          `${name}-users`,
          {
            metadata: metadata("users"),
            rules: [{ apiGroups: [""], resources: ["services"], resourceNames: [name], verbs: ["get"] }],
          },
          { parent: this },
        );
        new k8s.rbac.v1.RoleBinding(
          `${name}-users`,
          {
            metadata: metadata("users"),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects: args.proxyUsers,
          },
          { parent: this },
        );
      }
    }

    const scheme = oauthProxy ? "https" : "http";
    this.trackingUri = pulumi.interpolate`${scheme}://${this.service.metadata.name}.${namespace}.svc:${this.servicePort}`;

    this.registerOutputs({
      serviceName: this.serviceName,
      servicePort: this.servicePort,
      backendTls: this.backendTls,
      trackingUri: this.trackingUri,
      adminSecretName: this.adminSecretName,
    });
  }
}
