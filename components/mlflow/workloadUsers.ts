/**
 * MLflow basic-auth users of workloads that follow a registry alias (`source: {registry, alias}`).
 *
 * With `mlstack:mlflow.auth` `basic`, a model's fetch step must resolve the alias as the model
 * itself. This component gives each such workload an MLflow user of its own:
 *
 * - a random password (`@pulumi/random`, a Pulumi secret) delivered as a `kubernetes.io/basic-auth`
 *   Secret in the workload's namespace, which the fetch step reads by `secretKeyRef`
 *   (`access(workload)`);
 * - a Job in the platform namespace that runs mlflow_users.py (beside this file) as MLflow's admin
 *   (the admin Secret `Mlflow` already keeps there; its password never leaves that namespace). The
 *   script makes MLflow match the desired state: the users exist with their passwords, each holds
 *   exactly READ on its registered model and on the experiments holding that model's runs, and a
 *   managed user no longer wanted is deleted with its grants. The Job is named by the hash of its
 *   desired state (users, script, image), so a changed set of grants is a new Job that runs again;
 *   an unchanged one is left alone. The fetch steps wait for it.
 *
 * The Job's pod is restricted (non-root, no capabilities, read-only root filesystem, no API token)
 * and its NetworkPolicy lets it reach only MLflow's pods and cluster DNS; `jobPeer()` is the peer
 * MLflow's own NetworkPolicy must admit.
 *
 * Known limit: experiments are read when the Job runs. A version registered later from a run in an
 * experiment the user was not granted is downloadable only after the Job runs again (a change of
 * the workload set, or a `pulumi up --replace` of the Job).
 */
import { createHash } from "crypto";
import { readFileSync } from "fs";
import { join } from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformContext } from "../context";
import type { EgressRule, WorkloadAccess } from "../identity/contract";
import { kubeLabels, selectorLabels } from "../kube/labels";
import { containerSecurityContext, podSecurityContext } from "../kube/podSecurity";
import { dnsEgress } from "./networkPolicy";

type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;

export const MLFLOW_USERS_FILE = "mlflow_users.py";
/** Usernames the Job manages (and deletes when no longer wanted); nobody else's start with it. */
export const MANAGED_USER_PREFIX = "mlstack-workload-";
const JOB_NAME = "mlflow-users";
const SCRIPT_DIR = "/opt/mlstack/mlflow-users";
const PASSWORDS_DIR = "/var/run/secrets/mlstack/mlflow-users";

/** One workload that follows a registry alias. */
export interface WorkloadUserSpec {
  /** Workload (model) name, unique in the stack. */
  name: string;
  /** Namespace its pods run in; its credentials Secret goes there. */
  namespace: string;
  /** The registered model it may READ. */
  registeredModel: string;
}

export interface MlflowWorkloadUsersArgs {
  /** Environment and cluster flavor (labels, pod security). */
  ctx: PlatformContext;
  /** The platform namespace, where MLflow and its admin Secret are. */
  namespace: pulumi.Input<string>;
  /** MLflow's in-cluster tracking URI (`Mlflow.trackingUri`). */
  trackingUri: pulumi.Input<string>;
  /** MLflow's admin Secret (`Mlflow.adminSecretName`: keys `username`, `password`). */
  adminSecretName: pulumi.Input<string>;
  /** The `Mlflow` component's name: its pods' selector labels. */
  mlflowName: string;
  /** MLflow's container port (5000 with basic auth). */
  mlflowPort: number;
  /** An image with Python 3 (the MLflow image). */
  image: string;
  /** The workloads following a registry alias; each becomes one MLflow user. Empty: every managed user is deleted. */
  users: WorkloadUserSpec[];
}

/** The MLflow username of a workload: managed prefix, namespace and name (unique per stack). */
export function workloadUsername(user: Pick<WorkloadUserSpec, "name" | "namespace">): string {
  return `${MANAGED_USER_PREFIX}${user.namespace}-${user.name}`;
}

/** The labels of the Job's pods. */
export function jobPodLabels(): Record<string, string> {
  return selectorLabels({ name: JOB_NAME });
}

/** The peer MLflow's NetworkPolicy admits: the Job's pods, in MLflow's own namespace. */
export function jobPeer(): Peer {
  return { podSelector: { matchLabels: jobPodLabels() } };
}

/** The Job's desired state, as mlflow_users.py reads it. */
export function desiredState(users: WorkloadUserSpec[]): {
  managedPrefix: string;
  users: Array<{ username: string; registeredModel: string }>;
} {
  const seen = new Set<string>();
  const list = users.map((u) => {
    const username = workloadUsername(u);
    if (seen.has(username))
      throw new Error(`MlflowWorkloadUsers: workload ${u.name} in ${u.namespace} twice`);
    seen.add(username);
    return { username, registeredModel: u.registeredModel };
  });
  list.sort((a, b) => a.username.localeCompare(b.username));
  return { managedPrefix: MANAGED_USER_PREFIX, users: list };
}

let script: string | undefined;
export function mlflowUsersSource(): string {
  script ??= readFileSync(join(__dirname, MLFLOW_USERS_FILE), "utf8");
  return script;
}

/** `mlflow-users-<hash>`: a new name, hence a new run, whenever what the Job would do changes. */
export function jobName(state: ReturnType<typeof desiredState>, image: string): string {
  const hash = createHash("sha256")
    .update(JSON.stringify({ state, image, script: mlflowUsersSource() }))
    .digest("hex");
  return `${JOB_NAME}-${hash.slice(0, 10)}`;
}

export class MlflowWorkloadUsers extends pulumi.ComponentResource {
  readonly job: k8s.batch.v1.Job;
  private readonly secrets = new Map<string, k8s.core.v1.Secret>();
  private readonly mlflowEgress: EgressRule;

  constructor(name: string, args: MlflowWorkloadUsersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mlstack:mlflow:WorkloadUsers", name, {}, opts);
    const { ctx, namespace } = args;
    const flavor = ctx.flavor;
    const state = desiredState(args.users);
    const labels = kubeLabels({
      name: JOB_NAME,
      component: "mlflow-users",
      environment: ctx.environment,
      team: "platform",
    });
    const parent = { parent: this };
    this.mlflowEgress = {
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
          podSelector: { matchLabels: selectorLabels({ name: args.mlflowName }) },
        },
      ],
      ports: [{ protocol: "TCP", port: args.mlflowPort }],
    };

    const passwords: Record<string, pulumi.Output<string>> = {};
    for (const user of args.users) {
      const username = workloadUsername(user);
      const password = new random.RandomPassword(
        `${name}-${user.name}`,
        { length: 32, special: false },
        parent,
      );
      passwords[username] = password.result;
      this.secrets.set(
        user.name,
        new k8s.core.v1.Secret(
          `${name}-${user.name}`,
          {
            metadata: { name: `${user.name}-mlflow-user`, namespace: user.namespace, labels },
            type: "kubernetes.io/basic-auth",
            stringData: { username, password: password.result },
          },
          parent,
        ),
      );
    }
    const passwordSecret = new k8s.core.v1.Secret(
      `${name}-passwords`,
      { metadata: { name: `${JOB_NAME}-passwords`, namespace, labels }, stringData: passwords },
      parent,
    );
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-script`,
      {
        metadata: { name: `${JOB_NAME}-script`, namespace, labels },
        data: { [MLFLOW_USERS_FILE]: mlflowUsersSource(), "users.json": JSON.stringify(state, null, 2) },
      },
      parent,
    );
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: JOB_NAME, namespace, labels }, automountServiceAccountToken: false },
      parent,
    );
    new k8s.networking.v1.NetworkPolicy(
      `${name}-netpol`,
      {
        metadata: { name: JOB_NAME, namespace, labels },
        spec: {
          podSelector: { matchLabels: jobPodLabels() },
          policyTypes: ["Ingress", "Egress"],
          ingress: [],
          egress: [
            {
              to: [{ podSelector: { matchLabels: selectorLabels({ name: args.mlflowName }) } }],
              ports: [{ protocol: "TCP", port: args.mlflowPort }],
            },
            dnsEgress(flavor),
          ],
        },
      },
      parent,
    );
    const secretRef = (key: string) => ({ secretKeyRef: { name: args.adminSecretName, key } });
    this.job = new k8s.batch.v1.Job(
      `${name}-job`,
      {
        metadata: { name: jobName(state, args.image), namespace, labels },
        spec: {
          backoffLimit: 6,
          activeDeadlineSeconds: 900,
          template: {
            metadata: { labels: { ...labels, ...jobPodLabels() } },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              automountServiceAccountToken: false,
              restartPolicy: "Never",
              securityContext: podSecurityContext(flavor),
              containers: [
                {
                  name: JOB_NAME,
                  image: args.image,
                  command: ["python", `${SCRIPT_DIR}/${MLFLOW_USERS_FILE}`],
                  env: [
                    { name: "HOME", value: "/tmp" },
                    { name: "MLFLOW_TRACKING_URI", value: args.trackingUri },
                    { name: "MLFLOW_TRACKING_USERNAME", valueFrom: secretRef("username") },
                    { name: "MLFLOW_TRACKING_PASSWORD", valueFrom: secretRef("password") },
                    { name: "MLSTACK_USERS_FILE", value: `${SCRIPT_DIR}/users.json` },
                    { name: "MLSTACK_USER_CREDENTIALS_DIR", value: PASSWORDS_DIR },
                  ],
                  resources: {
                    requests: { cpu: "50m", memory: "64Mi" },
                    limits: { cpu: "500m", memory: "256Mi" },
                  },
                  securityContext: containerSecurityContext(flavor),
                  volumeMounts: [
                    { name: "tmp", mountPath: "/tmp" },
                    { name: "script", mountPath: SCRIPT_DIR, readOnly: true },
                    { name: "passwords", mountPath: PASSWORDS_DIR, readOnly: true },
                  ],
                },
              ],
              volumes: [
                { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
                { name: "script", configMap: { name: configMap.metadata.name, defaultMode: 0o444 } },
                {
                  name: "passwords",
                  secret: { secretName: passwordSecret.metadata.name, defaultMode: 0o440 },
                },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: [passwordSecret, configMap] },
    );
    this.registerOutputs({});
  }

  /**
   * The fetch step's MLflow credentials for `workload`, by reference, and egress to MLflow's pods;
   * the workload waits for the Job.
   */
  access(workload: string): WorkloadAccess {
    const secret = this.secrets.get(workload);
    if (!secret) throw new Error(`MlflowWorkloadUsers: no MLflow user for workload ${workload}`);
    const ref = (key: string) => ({ secretKeyRef: { name: secret.metadata.name, key } });
    return {
      env: [
        { name: "MLFLOW_TRACKING_USERNAME", valueFrom: ref("username") },
        { name: "MLFLOW_TRACKING_PASSWORD", valueFrom: ref("password") },
      ],
      volumes: [],
      volumeMounts: [],
      egress: [this.mlflowEgress],
      dependsOn: [secret, this.job],
    };
  }
}
