/**
 * The OpenShift oauth-proxy sidecar that authenticates MLflow users when
 * `mlstack:mlflow.auth` is `oauth-proxy`.
 *
 * - Browsers log in through the OpenShift OAuth server; the MLflow ServiceAccount is the OAuth
 *   client (its token is the client secret, so the pod mounts its token), and the SA carries
 *   the redirect annotations from `serviceAccountAnnotations`.
 * - Programs (notebooks, jobs, served models) send `Authorization: Bearer <token>`
 *   (`MLFLOW_TRACKING_TOKEN`); `--openshift-delegate-urls` has the proxy check such tokens with a
 *   TokenReview and a SubjectAccessReview, which is what `system:auth-delegator` grants.
 * - Either way, a user gets through only if they may `get` the MLflow Service in its namespace
 *   (`--openshift-sar`): access to MLflow is namespace RBAC.
 * - TLS on the proxy port comes from the OpenShift service CA (`serving-cert-secret-name` on the
 *   Service), so the router re-encrypts to it and in-cluster clients can verify it with the
 *   service CA bundle every pod gets.
 * - MLflow itself listens on 127.0.0.1 only: nothing reaches it except through the proxy.
 */
import { apiServerEgressRule } from "../kube/apiServer";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MlflowConfig } from "./settings";
import type { ClusterFlavor } from "../context";
import { containerSecurityContext } from "../kube/podSecurity";

export const OAUTH_PROXY_PORT = 8443;
export const OAUTH_PROXY_TLS_VOLUME = "oauth-proxy-tls";
export const OAUTH_PROXY_COOKIE_VOLUME = "oauth-proxy-cookie";
const TLS_DIR = "/etc/tls/private";
const COOKIE_DIR = "/etc/oauth-proxy";
/** Key of the cookie secret in the proxy's Secret. */
export const COOKIE_SECRET_KEY = "cookie-secret";
const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Where the OpenShift OAuth server's pods run (cluster-authentication-operator). */
export const OAUTH_SERVER = {
  namespace: "openshift-authentication",
  podLabels: { app: "oauth-openshift" },
  port: 6443,
};
/**
 * The proxy redeems login codes at the OAuth server's Service instead of its public Route, so
 * its egress stays inside the cluster (a Route host resolves to the ingress load balancer,
 * which a NetworkPolicy can only allow as an IP range). The Service's certificate is signed by
 * the service CA, hence `service-ca.crt` among the proxy's CAs.
 */
const OAUTH_TOKEN_URL = `https://oauth-openshift.${OAUTH_SERVER.namespace}.svc/oauth/token`;

/** The sidecar is small: it only terminates TLS and streams requests through. */
export const OAUTH_PROXY_RESOURCES = {
  requests: { cpu: "50m", memory: "64Mi" },
  limits: { cpu: "500m", memory: "256Mi" },
};

/** Why the pod mounts its ServiceAccount token (read by the policy pack's k8s-no-automount-sa-token). */
export const AUTOMOUNT_REASON_ANNOTATION = "mlstack.io/needs-api-access";
export const AUTOMOUNT_REASON =
  "oauth-proxy uses the ServiceAccount token as its OAuth client secret and for TokenReview/SubjectAccessReview calls";

/**
 * Annotations the MLflow ServiceAccount needs so the OpenShift OAuth server accepts it as an
 * OAuth client: a redirect reference to the Route that exposes MLflow and, when the public
 * hostname is known, the redirect URI itself. Empty unless `auth` is `oauth-proxy`.
 */
export function oauthProxyServiceAccountAnnotations(
  config: MlflowConfig,
  routeName: string,
): Record<string, string> {
  if (config.auth !== "oauth-proxy") return {};
  const annotations: Record<string, string> = {
    "serviceaccounts.openshift.io/oauth-redirectreference.mlflow": JSON.stringify({
      kind: "OAuthRedirectReference",
      apiVersion: "v1",
      reference: { kind: "Route", name: routeName },
    }),
  };
  if (config.hostname) {
    annotations["serviceaccounts.openshift.io/oauth-redirecturi.mlflow"] = `https://${config.hostname}`;
  }
  return annotations;
}

export interface OAuthProxyContainerArgs {
  flavor: ClusterFlavor;
  image: string;
  namespace: pulumi.Input<string>;
  serviceName: string;
  serviceAccountName: pulumi.Input<string>;
  /** Loopback port MLflow listens on. */
  upstreamPort: number;
}

/** The SubjectAccessReview every user must pass: `get` on the MLflow Service. */
function accessCheck(namespace: string, serviceName: string) {
  return {
    sar: JSON.stringify({ namespace, resource: "services", resourceName: serviceName, verb: "get" }),
    delegate: JSON.stringify({ "/": { namespace, resource: "services", name: serviceName, verb: "get" } }),
  };
}

export function oauthProxyContainer(args: OAuthProxyContainerArgs): k8s.types.input.core.v1.Container {
  const check = pulumi.output(args.namespace).apply((ns) => accessCheck(ns, args.serviceName));
  return {
    name: "oauth-proxy",
    image: args.image,
    args: [
      "--provider=openshift",
      `--https-address=:${OAUTH_PROXY_PORT}`,
      // No plain-HTTP listener at all.
      "--http-address=",
      `--upstream=http://127.0.0.1:${args.upstreamPort}`,
      pulumi.interpolate`--openshift-service-account=${args.serviceAccountName}`,
      pulumi.interpolate`--openshift-sar=${check.sar}`,
      pulumi.interpolate`--openshift-delegate-urls=${check.delegate}`,
      `--openshift-ca=${SA_DIR}/ca.crt`,
      `--openshift-ca=${SA_DIR}/service-ca.crt`,
      `--redeem-url=${OAUTH_TOKEN_URL}`,
      `--tls-cert=${TLS_DIR}/tls.crt`,
      `--tls-key=${TLS_DIR}/tls.key`,
      `--cookie-secret-file=${COOKIE_DIR}/${COOKIE_SECRET_KEY}`,
      "--cookie-secure=true",
      "--cookie-httponly=true",
      // Probes and uptime checks; MLflow answers "OK" and nothing else there.
      "--skip-auth-regex=^/health$",
      // Artifact uploads are streamed to the bucket before MLflow answers.
      "--upstream-timeout=10m",
    ],
    ports: [{ name: "https", containerPort: OAUTH_PROXY_PORT, protocol: "TCP" }],
    resources: OAUTH_PROXY_RESOURCES,
    securityContext: containerSecurityContext(args.flavor),
    volumeMounts: [
      { name: OAUTH_PROXY_TLS_VOLUME, mountPath: TLS_DIR, readOnly: true },
      { name: OAUTH_PROXY_COOKIE_VOLUME, mountPath: COOKIE_DIR, readOnly: true },
    ],
    // Ready only when MLflow answers through the proxy; alive as long as the proxy itself answers.
    readinessProbe: {
      httpGet: { path: "/health", port: "https", scheme: "HTTPS" },
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
    },
    livenessProbe: {
      httpGet: { path: "/oauth/healthz", port: "https", scheme: "HTTPS" },
      initialDelaySeconds: 10,
      periodSeconds: 20,
      timeoutSeconds: 5,
      failureThreshold: 3,
    },
  };
}

/** Egress the proxy needs: the API server (discovery, user info, reviews) and the OAuth server. */
export function oauthProxyEgress(
  apiServerCidrs: string[],
): k8s.types.input.networking.v1.NetworkPolicyEgressRule[] {
  return [
    apiServerEgressRule(apiServerCidrs),
    {
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": OAUTH_SERVER.namespace } },
          podSelector: { matchLabels: OAUTH_SERVER.podLabels },
        },
      ],
      ports: [{ protocol: "TCP", port: OAUTH_SERVER.port }],
    },
  ];
}
