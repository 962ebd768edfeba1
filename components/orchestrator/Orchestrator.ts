/**
 * `Orchestrator`: the Python pipeline orchestrator (Prefect, see README.md for why), written
 * against the contracts only: a database grant for its metadata store and, per pipeline, the
 * grants its flow runs use (buckets, Kafka topics), plus MLflow's in-cluster tracking URI.
 *
 * What it creates:
 * - in `args.namespace` (the platform namespace): the server Deployment (API, UI and background
 *   services in one pod, `Recreate`, whose init container creates or upgrades the schema, so at
 *   most one migration runs at a time; one replica because Prefect's messaging between API and
 *   services is in memory without Redis), its Service and NetworkPolicy, and the generated
 *   basic-auth credential (`admin:<password>`, Prefect's `server.api.auth_string`). A server restart
 *   does not stop flow runs in flight: they are Jobs of their own and report when it is back;
 * - per pipeline, in its team's namespace: a copy of the credential (a `secretKeyRef` reaches only
 *   its own namespace), the work pool's base job template (baseJobTemplate.ts), a Role letting the
 *   worker's ServiceAccount manage Jobs and read their pods there and nowhere else, the worker
 *   Deployment (its init container creates the pool with that template; two replicas and a PDB
 *   when highly available: a run is claimed once, through the server), and NetworkPolicies for
 *   the worker (Prefect API, API server) and the flow-run pods (Prefect API and the grants'
 *   egress). Flow runs are Jobs in the team namespace under the team's quota, running as the
 *   pipeline's own ServiceAccount with exactly the pipeline's grants.
 *
 * Exposure (Route / Ingress) is not done here: hand `serviceName` and `servicePort` to Exposure.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformContext } from "../context";
import type { WorkloadAccess } from "../identity/contract";
import { apiServerEgressRule, ciliumApiServerPolicy } from "../kube/apiServer";
import type { ClusterNetworkFacts } from "../kube/clusterNetwork";
import { kubeLabels, selectorLabels } from "../kube/labels";
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";
import { PLATFORM_OWNER } from "../platformIdentity";
import { baseJobTemplate } from "./baseJobTemplate";
import {
  BASE_JOB_TEMPLATE_FILE,
  createWorkPoolArgs,
  MIGRATE_ARGS,
  PREFECT_PORT,
  serverArgs,
  WORKER_CONFIG_DIR,
  WORKER_HEALTH_PORT,
  workerArgs,
  workerSettingsToml,
} from "./prefectCommands";
import { prefectDatabaseEnv } from "./prefectDatabase";
import type { OrchestratorConfig, PipelineSettings } from "./settings";
import { validateOrchestratorArgs } from "./validation";

type EnvVar = k8s.types.input.core.v1.EnvVar;
type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** The user of the generated basic-auth credential. */
export const ADMIN_USERNAME = "admin";
/** Key of the credential (`<user>:<password>`) in its Secrets. */
export const AUTH_STRING_KEY = "auth-string";
/** Prefect's home (profiles, the UI's rendered static files): the writable /tmp emptyDir. */
export const PREFECT_HOME = "/tmp/prefect";
/** Small Prefect processes; the worker only polls and creates Jobs. */
const WORKER_RESOURCES = {
  requests: { cpu: "100m", memory: "256Mi" },
  limits: { cpu: "500m", memory: "512Mi" },
};
const INIT_RESOURCES = WORKER_RESOURCES;
/** Why a pod mounts its ServiceAccount token; the policy pack's k8s-no-automount-sa-token reads it. */
const NEEDS_API_ACCESS_ANNOTATION = "mlstack.io/needs-api-access";

/** One pipeline's wiring, built by the stack from its identity and grants. */
export interface OrchestratorPipelineArgs {
  /** `config.pipelines[].name`. */
  name: string;
  /** The team namespace its worker and flow runs live in. */
  namespace: string;
  /** ServiceAccount of the worker (may use the Kubernetes API in `namespace` only). */
  workerServiceAccountName: string;
  /** ServiceAccount of the flow runs: the pipeline's workload identity (IRSA / Workload Identity annotations). */
  runServiceAccountName: string;
  /** The flow runs' grants, merged (`mergeAccess`): buckets, topics. */
  access: WorkloadAccess;
}

export interface OrchestratorArgs {
  ctx: PlatformContext;
  /** `mlstack:orchestrator`. */
  config: OrchestratorConfig;
  /** Namespace of the server (the platform namespace); may be an output of the Namespace resource. */
  namespace: pulumi.Input<string>;
  /** ServiceAccount of the server pods (its workload identity for the database grant); may be an output. */
  serviceAccountName: pulumi.Input<string>;
  /** `PostgresService.grantDatabase(identity, config.database)`: Prefect's metadata store. */
  database: WorkloadAccess;
  /** MLflow's in-cluster tracking URI, given to every flow run (`MLFLOW_TRACKING_URI`). */
  mlflowTrackingUri: pulumi.Input<string>;
  /**
   * True when MLflow sits behind OpenShift's oauth-proxy: flow runs then present their
   * ServiceAccount token to it (mounted; the account must be among MLflow's `proxyUsers`).
   * Default false: no token in flow runs.
   */
  mlflowAcceptsServiceAccountTokens?: boolean;
  pipelines: OrchestratorPipelineArgs[];
  /** API server CIDRs (`network.apiServerCidrs`): the workers create Jobs through it. */
  apiServerCidrs: string[];
  /** Who else may reach the server: the ingress controller / router when exposed. */
  ingressFrom: NetworkPolicyPeer[];
  /** Namespace of the Prometheus / blackbox prober allowed to reach the server's port. */
  monitoringNamespace?: string;
  /** The cluster's CNI (`mlstack:network.cni`): on Cilium the workers' API access is also a CiliumNetworkPolicy. Default `other`. */
  network?: ClusterNetworkFacts;
}

/**
 * What the Orchestrator's steps share, kept beside the instance rather than in fields: Pulumi's
 * component analyzer publishes every field, private ones too, as an output of the package schema
 * (@pulumi/pulumi 3.270.0, provider/experimental/analyzer.js), and these are the args and the
 * generated credential. Accessors are not read as outputs.
 */
interface OrchestratorInternals {
  name: string;
  args: OrchestratorArgs;
  authString: pulumi.Output<string>;
}
const internals = new WeakMap<Orchestrator, OrchestratorInternals>();

export class Orchestrator extends pulumi.ComponentResource {
  /** The Service of the API/UI server (hand it to Exposure). */
  readonly serviceName: pulumi.Output<string>;
  readonly servicePort: number = PREFECT_PORT;
  /** In-cluster API URL (`PREFECT_API_URL`). */
  readonly apiUrl: pulumi.Output<string>;
  /** Secret (platform namespace) holding the credential under `auth-string`. */
  readonly authSecretName: pulumi.Output<string>;
  /** Work pool name per pipeline. */
  readonly workPools: Record<string, string>;

  private get name(): string {
    return (internals.get(this) as OrchestratorInternals).name;
  }
  private get args(): OrchestratorArgs {
    return (internals.get(this) as OrchestratorInternals).args;
  }
  private get authString(): pulumi.Output<string> {
    return (internals.get(this) as OrchestratorInternals).authString;
  }

  /**
   * Env a client of the server needs (worker, flow runs): the API URL and the credential by
   * reference to `secretName` in the client's own namespace.
   */
  static clientEnv(apiUrl: pulumi.Input<string>, secretName: pulumi.Input<string>): EnvVar[] {
    return [
      { name: "PREFECT_API_URL", value: apiUrl },
      {
        name: "PREFECT_API_AUTH_STRING",
        valueFrom: { secretKeyRef: { name: secretName, key: AUTH_STRING_KEY } },
      },
    ];
  }

  constructor(name: string, args: OrchestratorArgs, opts?: pulumi.ComponentResourceOptions) {
    validateOrchestratorArgs(name, args);
    super("mlstack:orchestrator:Orchestrator", name, {}, opts);
    const password = new random.RandomPassword(
      `${name}-admin-password`,
      { length: 32, special: false },
      { parent: this },
    );
    const authString = pulumi.secret(pulumi.interpolate`${ADMIN_USERNAME}:${password.result}`);
    internals.set(this, { name, args, authString });
    const authSecret = this.authSecret(`${name}-auth`, args.namespace, PLATFORM_OWNER);
    this.authSecretName = authSecret.metadata.name;

    const service = this.service();
    this.serviceName = service.metadata.name;
    this.apiUrl = pulumi.interpolate`http://${service.metadata.name}.${args.namespace}.svc:${PREFECT_PORT}/api`;

    this.server(authSecret);
    this.serverNetworkPolicies();

    this.workPools = {};
    for (const settings of args.config.pipelines) {
      const wiring = args.pipelines.find((p) => p.name === settings.name) as OrchestratorPipelineArgs;
      this.pipeline(settings, wiring);
      this.workPools[settings.name] = settings.name;
    }

    this.registerOutputs({
      serviceName: this.serviceName,
      servicePort: this.servicePort,
      apiUrl: this.apiUrl,
      authSecretName: this.authSecretName,
      workPools: this.workPools,
    });
  }

  private metadata(namespace: pulumi.Input<string>, objectName: string, component: string, team: string) {
    return {
      name: objectName,
      namespace,
      labels: kubeLabels({ name: objectName, component, environment: this.args.ctx.environment, team }),
    };
  }

  /** The credential as a Secret named `<component>-auth` in `namespace`. */
  private authSecret(
    resourceName: string,
    namespace: pulumi.Input<string>,
    team: string,
  ): k8s.core.v1.Secret {
    return new k8s.core.v1.Secret(
      resourceName,
      {
        metadata: this.metadata(namespace, `${this.name}-auth`, "pipeline-orchestrator", team),
        type: "Opaque",
        stringData: { [AUTH_STRING_KEY]: this.authString },
      },
      { parent: this },
    );
  }

  /** Prefect's own settings every server-side process shares. */
  private serverEnv(authSecretName: pulumi.Input<string>): EnvVar[] {
    const { config, database } = this.args;
    return [
      ...database.env,
      ...prefectDatabaseEnv(database),
      // The init container migrates; the server itself never does.
      { name: "PREFECT_SERVER_DATABASE_MIGRATE_ON_START", value: "false" },
      {
        name: "PREFECT_SERVER_API_AUTH_STRING",
        valueFrom: { secretKeyRef: { name: authSecretName, key: AUTH_STRING_KEY } },
      },
      // No usage reporting from inside the cluster (egress is closed anyway).
      { name: "PREFECT_SERVER_ANALYTICS_ENABLED", value: "false" },
      { name: "PREFECT_HOME", value: PREFECT_HOME },
      { name: "HOME", value: "/tmp" },
      ...(config.hostname ? [{ name: "PREFECT_UI_API_URL", value: `https://${config.hostname}/api` }] : []),
    ];
  }

  private service(): k8s.core.v1.Service {
    const objectName = this.name;
    return new k8s.core.v1.Service(
      `${this.name}-service`,
      {
        metadata: this.metadata(this.args.namespace, objectName, "pipeline-orchestrator", PLATFORM_OWNER),
        spec: {
          type: "ClusterIP",
          selector: selectorLabels({ name: `${this.name}-server` }),
          ports: [{ name: "http", port: PREFECT_PORT, targetPort: "http", protocol: "TCP" }],
        },
      },
      { parent: this },
    );
  }

  /**
   * One pod: API, UI and background services (see prefectCommands.ts for why not more), after
   * its init container has created or upgraded the schema. `Recreate`: never two at once, so
   * never two migrations or two schedulers.
   */
  private server(authSecret: k8s.core.v1.Secret): void {
    const { ctx, config, database } = this.args;
    const objectName = `${this.name}-server`;
    const meta = this.metadata(this.args.namespace, objectName, "pipeline-orchestrator", PLATFORM_OWNER);
    const selector = selectorLabels({ name: objectName });
    const health = { httpGet: { path: "/api/health", port: "http" } };
    const common = {
      image: config.image,
      env: this.serverEnv(authSecret.metadata.name),
      securityContext: containerSecurityContext(ctx.flavor),
      volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...database.volumeMounts],
    };
    new k8s.apps.v1.Deployment(
      objectName,
      {
        metadata: meta,
        spec: {
          replicas: 1,
          revisionHistoryLimit: 5,
          selector: { matchLabels: selector },
          strategy: { type: "Recreate" },
          template: {
            metadata: { labels: meta.labels },
            spec: {
              serviceAccountName: this.args.serviceAccountName,
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              securityContext: podSecurityContext(ctx.flavor),
              initContainers: [{ name: "migrate", args: MIGRATE_ARGS, resources: INIT_RESOURCES, ...common }],
              containers: [
                {
                  name: "server",
                  args: serverArgs("0.0.0.0", PREFECT_PORT),
                  ports: [{ name: "http", containerPort: PREFECT_PORT, protocol: "TCP" }],
                  resources: config.resources,
                  ...common,
                  // /api/health answers without credentials (Prefect exempts it from basic auth).
                  startupProbe: { ...health, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 60 },
                  readinessProbe: { ...health, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                  livenessProbe: { ...health, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
                },
              ],
              volumes: [{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }, ...database.volumes],
            },
          },
        },
      },
      { parent: this, dependsOn: [authSecret, ...database.dependsOn] },
    );
  }

  private serverNetworkPolicies(): void {
    const { args } = this;
    const peers: NetworkPolicyPeer[] = [
      ...[...new Set(args.pipelines.map((p) => p.namespace))].sort().map(namespacePeer),
      ...args.ingressFrom,
      ...(args.monitoringNamespace ? [namespacePeer(args.monitoringNamespace)] : []),
    ];
    const server = `${this.name}-server`;
    new k8s.networking.v1.NetworkPolicy(
      `${server}-netpol`,
      {
        metadata: this.metadata(args.namespace, server, "pipeline-orchestrator", PLATFORM_OWNER),
        spec: {
          podSelector: { matchLabels: selectorLabels({ name: server }) },
          policyTypes: ["Ingress", "Egress"],
          // With no peer at all no rule is emitted (an empty `from` would allow everyone).
          ingress:
            peers.length > 0 ? [{ from: peers, ports: [{ protocol: "TCP", port: PREFECT_PORT }] }] : [],
          egress: args.database.egress,
        },
      },
      { parent: this },
    );
  }

  /** One pipeline: credential copy, job template, worker RBAC, worker, NetworkPolicies. */
  private pipeline(settings: PipelineSettings, wiring: OrchestratorPipelineArgs): void {
    const { ctx, config } = this.args;
    const ns = wiring.namespace;
    const team = settings.team;
    const worker = `${settings.name}-worker`;
    const runs = `${settings.name}-run`;
    const secret = this.authSecret(`${this.name}-${settings.name}-auth`, ns, team);
    const clientEnv = Orchestrator.clientEnv(this.apiUrl, secret.metadata.name);

    const runLabels = kubeLabels({
      name: runs,
      component: "pipeline-run",
      environment: ctx.environment,
      team,
    });
    const template = baseJobTemplate({
      flavor: ctx.flavor,
      namespace: ns,
      serviceAccountName: wiring.runServiceAccountName,
      labels: runLabels,
      defaultImage: config.runImage,
      resources: settings.runResources,
      env: [
        ...wiring.access.env,
        ...clientEnv,
        { name: "MLFLOW_TRACKING_URI", value: this.args.mlflowTrackingUri },
        { name: "PREFECT_HOME", value: PREFECT_HOME },
        { name: "HOME", value: "/tmp" },
      ],
      volumes: wiring.access.volumes,
      volumeMounts: wiring.access.volumeMounts,
      mountServiceAccountToken: this.args.mlflowAcceptsServiceAccountTokens ?? false,
    });
    // The worker's folder: the pool's template and its prefect.toml. A Secret, not a ConfigMap:
    // the template names the Secrets the runs read (by reference), which the policy pack rightly
    // refuses to see in a ConfigMap.
    const workerFiles = new k8s.core.v1.Secret(
      `${this.name}-${settings.name}-worker-config`,
      {
        metadata: this.metadata(ns, `${worker}-config`, "pipeline-worker", team),
        type: "Opaque",
        stringData: {
          [BASE_JOB_TEMPLATE_FILE]: pulumi.output(template).apply((t) => JSON.stringify(t, null, 2)),
          "prefect.toml": secret.metadata.name.apply((n) => workerSettingsToml(n, AUTH_STRING_KEY)),
        },
      },
      { parent: this },
    );

    // The worker manages its flow runs' Jobs in its own namespace and nothing else.
    const role = new k8s.rbac.v1.Role(
      `${this.name}-${worker}`,
      {
        metadata: this.metadata(ns, worker, "pipeline-worker", team),
        rules: [
          { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "watch", "create", "delete"] },
          { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
          { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
          { apiGroups: [""], resources: ["events"], verbs: ["get", "list", "watch"] },
        ],
      },
      { parent: this },
    );
    new k8s.rbac.v1.RoleBinding(
      `${this.name}-${worker}`,
      {
        metadata: this.metadata(ns, worker, "pipeline-worker", team),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: wiring.workerServiceAccountName, namespace: ns }],
      },
      { parent: this },
    );

    const workerMeta = this.metadata(ns, worker, "pipeline-worker", team);
    const workerEnv: EnvVar[] = [
      ...clientEnv,
      { name: "PREFECT_HOME", value: PREFECT_HOME },
      { name: "HOME", value: "/tmp" },
      // `--with-healthcheck` serves /health here (the probes' target).
      { name: "PREFECT_WORKER_WEBSERVER_HOST", value: "0.0.0.0" },
      { name: "PREFECT_WORKER_WEBSERVER_PORT", value: String(WORKER_HEALTH_PORT) },
    ];
    const mounts = [
      { name: "tmp", mountPath: "/tmp" },
      { name: "worker-config", mountPath: WORKER_CONFIG_DIR, readOnly: true },
    ];
    const workerHealth = { httpGet: { path: "/health", port: "health" } };
    new k8s.apps.v1.Deployment(
      `${this.name}-${worker}`,
      {
        metadata: workerMeta,
        spec: {
          // Workers coordinate through the server (a run is claimed once): two survive a node drain.
          replicas: ctx.highAvailability ? 2 : 1,
          revisionHistoryLimit: 5,
          selector: { matchLabels: selectorLabels({ name: worker }) },
          template: {
            metadata: {
              labels: workerMeta.labels,
              annotations: {
                [NEEDS_API_ACCESS_ANNOTATION]:
                  "the Prefect Kubernetes worker creates and watches its flow runs' Jobs in this namespace",
              },
            },
            spec: {
              serviceAccountName: wiring.workerServiceAccountName,
              // The worker creates Jobs through the API server.
              automountServiceAccountToken: true,
              enableServiceLinks: false,
              securityContext: podSecurityContext(ctx.flavor),
              initContainers: [
                {
                  name: "work-pool",
                  image: config.workerImage,
                  args: createWorkPoolArgs(settings.name),
                  env: workerEnv,
                  // prefect.toml is read from the working directory.
                  workingDir: WORKER_CONFIG_DIR,
                  resources: INIT_RESOURCES,
                  securityContext: containerSecurityContext(ctx.flavor),
                  volumeMounts: mounts,
                },
              ],
              containers: [
                {
                  name: "worker",
                  image: config.workerImage,
                  args: workerArgs(settings.name, worker),
                  env: workerEnv,
                  workingDir: WORKER_CONFIG_DIR,
                  ports: [{ name: "health", containerPort: WORKER_HEALTH_PORT, protocol: "TCP" }],
                  resources: WORKER_RESOURCES,
                  securityContext: containerSecurityContext(ctx.flavor),
                  volumeMounts: mounts,
                  readinessProbe: {
                    ...workerHealth,
                    periodSeconds: 15,
                    timeoutSeconds: 5,
                    failureThreshold: 3,
                  },
                  livenessProbe: {
                    ...workerHealth,
                    periodSeconds: 30,
                    timeoutSeconds: 5,
                    failureThreshold: 5,
                  },
                },
              ],
              volumes: [
                { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
                {
                  name: "worker-config",
                  secret: { secretName: workerFiles.metadata.name, defaultMode: 0o444 },
                },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: [secret, workerFiles] },
    );
    if (ctx.highAvailability) {
      new k8s.policy.v1.PodDisruptionBudget(
        `${this.name}-${worker}-pdb`,
        {
          metadata: workerMeta,
          spec: {
            minAvailable: 1,
            selector: { matchLabels: selectorLabels({ name: worker }) },
            // A crash-looping pod must not block node drains.
            unhealthyPodEvictionPolicy: "AlwaysAllow",
          },
        },
        { parent: this },
      );
    }

    const prefectServer: EgressRule = {
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": this.args.namespace } },
          podSelector: { matchLabels: selectorLabels({ name: `${this.name}-server` }) },
        },
      ],
      ports: [{ protocol: "TCP", port: PREFECT_PORT }],
    };
    new k8s.networking.v1.NetworkPolicy(
      `${this.name}-${worker}-netpol`,
      {
        metadata: this.metadata(ns, worker, "pipeline-worker", team),
        spec: {
          podSelector: { matchLabels: selectorLabels({ name: worker }) },
          policyTypes: ["Ingress", "Egress"],
          ingress: [],
          egress: [prefectServer, apiServerEgressRule(this.args.apiServerCidrs)],
        },
      },
      { parent: this },
    );
    ciliumApiServerPolicy(
      `${this.name}-${worker}-cilium`,
      this.args.network?.cni,
      {
        ...this.metadata(ns, `${worker}-apiserver`, "pipeline-worker", team),
        pods: { matchLabels: selectorLabels({ name: worker }) },
        egress: true,
      },
      this,
    );
    new k8s.networking.v1.NetworkPolicy(
      `${this.name}-${runs}-netpol`,
      {
        metadata: this.metadata(ns, runs, "pipeline-run", team),
        spec: {
          podSelector: { matchLabels: selectorLabels({ name: runs }) },
          policyTypes: ["Ingress", "Egress"],
          ingress: [],
          // MLflow is reachable through the team namespace's shared platform egress.
          egress: [prefectServer, ...wiring.access.egress],
        },
      },
      { parent: this },
    );
  }
}

function namespacePeer(namespace: string): NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } };
}
