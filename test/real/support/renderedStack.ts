/**
 * What mlstack renders, as the real-process tests consume it: a shipped stack rendered under the
 * mock runtime exactly as `mlstack plan` renders it (cli/plan `planStack`), then the pieces a real
 * server needs picked out of it. Tests derive their servers' settings from here and never copy
 * them, so a change to a component changes what the real servers run.
 *
 * API:
 *   renderedStack(stack = "dev"): Promise<PlanResult>       memoised per process
 *   secretData(plan, namespace, name): Record<string,string> a rendered Secret's stringData
 *   renderedCnpgCluster(stack = "dev"): Promise<RenderedCnpgCluster>
 *     the CloudNativePG Cluster: its pg_hba rules and parameters, the server certificate's DNS
 *     names, the managed roles with their passwords (from the role Secrets the operator reads) and
 *     the Database resources.
 *   renderedMlflowContainer(stack = "dev"): Promise<RenderedMlflowContainer>
 *     the `mlflow` container of the MLflow Deployment with its pod's volumes, and every Secret of
 *     its namespace (to resolve `secretKeyRef`s the way the kubelet does), and its
 *     ObjectBucketClaims (whose credential Secrets the bucket provisioner creates, not mlstack).
 */
import * as path from "node:path";
import { revealSecrets, RecordedResource } from "../../../cli/mockRuntime";
import { PlanResult, planStack } from "../../../cli/plan";
import { REPO_ROOT } from "./pythonEnv";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */

const plans = new Map<string, Promise<PlanResult>>();

export function renderedStack(stack = "dev"): Promise<PlanResult> {
  let plan = plans.get(stack);
  if (!plan) {
    plan = planStack(path.resolve(REPO_ROOT), stack);
    plans.set(stack, plan);
  }
  return plan;
}

export function inputsOf(resource: RecordedResource): any {
  return revealSecrets(resource.inputs);
}

function ofType(plan: PlanResult, type: string): RecordedResource[] {
  return plan.resources.filter((r) => r.type === type);
}

/** A rendered Secret's data (stringData, or base64 `data` decoded). */
export function secretData(plan: PlanResult, namespace: string, name: string): Record<string, string> {
  for (const resource of ofType(plan, "kubernetes:core/v1:Secret")) {
    const secret = inputsOf(resource);
    if (secret.metadata?.name !== name || secret.metadata?.namespace !== namespace) continue;
    const data: Record<string, string> = {};
    for (const [key, value] of Object.entries(secret.data ?? {}))
      data[key] = Buffer.from(String(value), "base64").toString("utf8");
    return { ...data, ...(secret.stringData ?? {}) };
  }
  throw new Error(`the rendered stack has no Secret ${namespace}/${name}`);
}

export interface ManagedRole {
  name: string;
  password: string;
  login: boolean;
  superuser: boolean;
  createdb: boolean;
  createrole: boolean;
  replication: boolean;
  bypassrls: boolean;
  inherit: boolean;
  connectionLimit: number;
  comment?: string;
}

export interface CnpgDatabase {
  /** `spec.name` */
  name: string;
  /** `spec.owner` */
  owner: string;
  /** `spec.extensions[].name` of the extensions with `ensure: present` (default). */
  extensions: string[];
}

export interface RenderedCnpgCluster {
  name: string;
  namespace: string;
  hbaRules: string[];
  parameters: Record<string, string>;
  serverNames: string[];
  roles: ManagedRole[];
  databases: CnpgDatabase[];
}

export async function renderedCnpgCluster(stack = "dev"): Promise<RenderedCnpgCluster> {
  const plan = await renderedStack(stack);
  const clusters = ofType(plan, "kubernetes:postgresql.cnpg.io/v1:Cluster").map(inputsOf);
  if (clusters.length !== 1)
    throw new Error(`stack ${stack}: expected one CloudNativePG Cluster, found ${clusters.length}`);
  const cluster = clusters[0];
  const namespace: string = cluster.metadata.namespace;
  // The server certificate's request names the cluster's `-rw` Service as its common name.
  const request = ofType(plan, "tls:index/certRequest:CertRequest")
    .map(inputsOf)
    .find((r) => r.subject?.commonName === `${cluster.metadata.name}-rw`);
  if (!request)
    throw new Error(`stack ${stack}: no server certificate request for ${cluster.metadata.name}-rw`);
  const roles: ManagedRole[] = (cluster.spec.managed?.roles ?? []).map((role: any) => {
    const credentials = secretData(plan, namespace, role.passwordSecret.name);
    if (credentials.username !== role.name) {
      throw new Error(
        `role Secret ${role.passwordSecret.name} names user ${credentials.username}, not ${role.name}`,
      );
    }
    return { ...role, password: credentials.password };
  });
  const databases = ofType(plan, "kubernetes:postgresql.cnpg.io/v1:Database")
    .map(inputsOf)
    .filter((d) => d.spec.cluster?.name === cluster.metadata.name)
    .map((d) => ({
      name: d.spec.name,
      owner: d.spec.owner,
      extensions: (d.spec.extensions ?? [])
        .filter((e: any) => (e.ensure ?? "present") === "present")
        .map((e: any) => e.name),
    }));
  return {
    name: cluster.metadata.name,
    namespace,
    hbaRules: cluster.spec.postgresql.pg_hba,
    parameters: cluster.spec.postgresql.parameters ?? {},
    serverNames: request.dnsNames,
    roles,
    databases,
  };
}

export interface RenderedMlflowContainer {
  namespace: string;
  container: any;
  volumes: any[];
  /** Secrets of the namespace, by name. */
  secret(name: string): Record<string, string>;
  /** ConfigMaps of the namespace, by name. */
  configMap(name: string): Record<string, string>;
  /** The spec of the namespace's ObjectBucketClaim `name`, if mlstack renders one. */
  objectBucketClaim(name: string): { bucketName: string } | undefined;
}

export async function renderedMlflowContainer(stack = "dev"): Promise<RenderedMlflowContainer> {
  const plan = await renderedStack(stack);
  const components = ofType(plan, "mlstack:mlflow:Mlflow");
  if (components.length !== 1)
    throw new Error(`stack ${stack}: expected one Mlflow component, found ${components.length}`);
  const deployment = plan.resources
    .filter((r) => r.type === "kubernetes:apps/v1:Deployment" && r.parent === components[0].urn)
    .map(inputsOf)[0];
  if (!deployment) throw new Error(`stack ${stack}: the Mlflow component has no Deployment`);
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c: any) => c.name === "mlflow");
  if (!container) throw new Error(`stack ${stack}: the MLflow Deployment has no 'mlflow' container`);
  const namespace: string = deployment.metadata.namespace;
  return {
    namespace,
    container,
    volumes: pod.volumes ?? [],
    secret: (name) => secretData(plan, namespace, name),
    configMap(name) {
      for (const resource of ofType(plan, "kubernetes:core/v1:ConfigMap")) {
        const map = inputsOf(resource);
        if (map.metadata?.name === name && map.metadata?.namespace === namespace) return map.data ?? {};
      }
      throw new Error(`stack ${stack}: no ConfigMap ${namespace}/${name}`);
    },
    objectBucketClaim(name) {
      const claim = ofType(plan, "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim")
        .map(inputsOf)
        .find((c) => c.metadata?.name === name && c.metadata?.namespace === namespace);
      return claim?.spec;
    },
  };
}
