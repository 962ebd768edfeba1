/**
 * Refusals of MlflowArgs that config validation cannot catch (it never sees the cluster flavor,
 * the grants or the component name). Called first in the constructor, before anything is
 * registered; every message names the argument, the value and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import { assertNoLiteralSecrets, backendStoreUriEnv, mergeVolumeMounts, mergeVolumes } from "./grants";
import type { MlflowArgs } from "./Mlflow";
import { OAUTH_PROXY_COOKIE_VOLUME, OAUTH_PROXY_TLS_VOLUME } from "./oauthProxy";
import { quantityBytes } from "./workers";
import { isCidr } from "../kube/cidr";
import { isDns1035Label, isDns1123Subdomain } from "../kube/names";

const ARTIFACT_URL = /^(s3|gs):\/\/[a-z0-9][-a-z0-9._]*[a-z0-9](\/.*)?$/;
export const MLFLOW_PERMISSIONS = ["READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS"] as const;
export const MAX_WORKERS = 32;
/** Volume names the pod declares itself (Mlflow.ts, oauthProxy.ts). */
const RESERVED_VOLUMES = ["tmp", OAUTH_PROXY_TLS_VOLUME, OAUTH_PROXY_COOKIE_VOLUME];

function fail(message: string): never {
  throw new Error(`Mlflow: ${message}`);
}

export function validateMlflowArgs(name: string, args: MlflowArgs): void {
  const { ctx, config } = args;

  if (!isDns1035Label(name)) {
    fail(
      `component name "${name}" names the Service and Deployment, so it must be a DNS-1035 label ` +
        "(lowercase letters, digits and '-', starting with a letter, at most 63 characters)",
    );
  }

  if (config.auth === "oauth-proxy" && ctx.flavor !== "openshift") {
    fail(
      `config.auth (mlstack:mlflow.auth) is "oauth-proxy" but the cluster flavor is "${ctx.flavor}": ` +
        'oauth-proxy needs the OpenShift OAuth server; use "basic"',
    );
  }
  if (config.auth === "none" && ctx.environment !== "dev") {
    fail(
      `config.auth (mlstack:mlflow.auth) is "none" in ${ctx.environment}: an unauthenticated tracking server ` +
        `is allowed only in dev; use "basic"${ctx.flavor === "openshift" ? ' or "oauth-proxy"' : ""}`,
    );
  }
  if (config.auth === "oauth-proxy") {
    if (!args.apiServerCidrs || args.apiServerCidrs.length === 0) {
      fail(
        "args.apiServerCidrs is required with auth oauth-proxy: the proxy calls the API server " +
          "(pass mlstack:network.apiServerCidrs)",
      );
    }
    for (const cidr of args.apiServerCidrs) {
      if (!isCidr(cidr)) fail(`args.apiServerCidrs entry "${cidr}" is not a CIDR (e.g. 10.0.0.1/32)`);
    }
  }
  if (args.proxyUsers !== undefined && config.auth !== "oauth-proxy") {
    fail(
      `args.proxyUsers is set but config.auth is "${config.auth}": it grants access through the oauth-proxy ` +
        'and applies only with auth "oauth-proxy" (basic-auth users are managed in MLflow)',
    );
  }
  if (args.defaultPermission !== undefined) {
    if (config.auth !== "basic") {
      fail(`args.defaultPermission applies only with auth "basic"; config.auth is "${config.auth}"`);
    }
    if (!(MLFLOW_PERMISSIONS as readonly string[]).includes(args.defaultPermission)) {
      fail(
        `args.defaultPermission "${args.defaultPermission}" is not one of ${MLFLOW_PERMISSIONS.join(", ")}`,
      );
    }
  }

  if (ctx.highAvailability && config.replicas < 2) {
    fail(
      `config.replicas (mlstack:mlflow.replicas) is ${config.replicas} in ${ctx.environment}, which runs highly ` +
        "available: set at least 2 (a PodDisruptionBudget over one replica would block every node drain)",
    );
  }
  if (
    args.workers !== undefined &&
    (!Number.isInteger(args.workers) || args.workers < 1 || args.workers > MAX_WORKERS)
  ) {
    fail(`args.workers is ${args.workers}; use an integer from 1 to ${MAX_WORKERS}`);
  }
  quantityBytes(config.resources.limits.memory);
  if (args.scratchSize !== undefined) quantityBytes(args.scratchSize);

  const serviceAccountName = args.serviceAccountName;
  if (
    typeof serviceAccountName === "string" &&
    (!isDns1123Subdomain(serviceAccountName) || serviceAccountName === "default")
  ) {
    fail(
      `args.serviceAccountName "${serviceAccountName}" must name the workload's own ServiceAccount ` +
        '(a DNS-1123 name, not "default")',
    );
  }
  if (args.clusterDomain !== undefined && !isDns1123Subdomain(args.clusterDomain)) {
    fail(`args.clusterDomain "${args.clusterDomain}" is not a DNS domain (e.g. cluster.local)`);
  }

  backendStoreUriEnv(args.database);
  assertNoLiteralSecrets("args.database", args.database.env);
  assertNoLiteralSecrets("args.artifacts.access", args.artifacts.access.env);
  const grantVolumes = mergeVolumes(args.database.volumes, args.artifacts.access.volumes);
  const grantMounts = mergeVolumeMounts(args.database.volumeMounts, args.artifacts.access.volumeMounts);
  for (const volume of grantVolumes) {
    if (RESERVED_VOLUMES.includes(volume.name as string)) {
      fail(
        `a grant declares a volume named "${volume.name}", which the MLflow pod uses itself; rename it in the grant`,
      );
    }
  }
  for (const mount of grantMounts) {
    if (mount.mountPath === "/tmp")
      fail("a grant mounts a volume at /tmp, where the MLflow pod mounts its scratch space");
  }
  const destination = args.artifacts.destination;
  if (
    !pulumi.Output.isInstance(destination) &&
    typeof destination === "string" &&
    !ARTIFACT_URL.test(destination)
  ) {
    fail(
      `args.artifacts.destination "${destination}" is not a bucket URL; use s3://<bucket>[/path] or gs://<bucket>[/path]`,
    );
  }

  args.ingressFrom.forEach((peer, i) => {
    if (!peer.podSelector && !peer.namespaceSelector && !peer.ipBlock) {
      fail(`args.ingressFrom[${i}] selects nothing; give a namespaceSelector, podSelector or ipBlock`);
    }
  });
}
