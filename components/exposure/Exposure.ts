/**
 * Publishes one Service port at an HTTPS hostname. Everything the platform runs is internal
 * (ClusterIP) unless config names a hostname; this component is the only way out, and it only
 * speaks TLS with plain HTTP redirected.
 *
 * | flavor | object | TLS |
 * |---|---|---|
 * | kubernetes (also EKS, GKE) | `networking.k8s.io/v1` Ingress of `ingressClassName` | certificate from cert-manager (`cert-manager.io/cluster-issuer`, Secret `<name>-tls`) or an existing Secret; HTTP redirected (ingress-nginx `force-ssl-redirect`); backend over HTTPS when `backendTls` |
 * | openshift | `route.openshift.io/v1` Route | `reencrypt` to a backend holding a service-serving certificate, else `edge`; `insecureEdgeTerminationPolicy: Redirect`; HSTS; certificate from a ClusterIssuer through cert-manager's openshift-routes controller when an issuer is set, else the router's default certificate |
 *
 * The workload behind the Service still has to admit the ingress controller / router in its own
 * NetworkPolicy (its namespace is default-deny); the workload component owns that rule.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DNS_LABEL, DNS_LABEL_RULE, HOSTNAME } from "../kube/names";
import type { PlatformContext } from "../context";
import { refusal } from "../argumentProblem";
import { kubeLabels } from "../kube/labels";
import { Route } from "../crds/route.openshift.io/v1";

export interface ExposureTls {
  /** cert-manager ClusterIssuer that signs the host's certificate. Takes precedence over `secretName`. */
  clusterIssuer?: string;
  /** Existing `kubernetes.io/tls` Secret in the namespace, used when no issuer is set (kubernetes only: a Route cannot reference a Secret). */
  secretName?: string;
}

export interface ExposureArgs {
  ctx: PlatformContext;
  /** Name of the Ingress / Route (and stem of the certificate Secret): a DNS label, usually the workload's name. */
  name: string;
  /** Namespace of the Service. */
  namespace: pulumi.Input<string>;
  /** The Service to publish. */
  serviceName: pulumi.Input<string>;
  /**
   * The Service port by number; set this or `servicePortName`, not both. Prefer the name: a Route
   * matches a number against the pods' container port, not the Service port, so the two only
   * agree when they are equal. (Two fields rather than `number | string`: a component package's
   * schema has no unions, so Python, Go, .NET and YAML programs could not pass either.)
   */
  servicePort?: pulumi.Input<number>;
  /** The Service port by name; set this or `servicePort`, not both. */
  servicePortName?: string;
  /** Fully qualified hostname, no wildcard. */
  hostname: string;
  /**
   * The backend itself serves TLS (an OpenShift service-serving certificate): the Route re-encrypts
   * instead of terminating at the edge, and ingress-nginx talks HTTPS to the Service.
   */
  backendTls: boolean;
  tls: ExposureTls;
  /** IngressClass on kubernetes (ignored on OpenShift, where the router serves Routes). */
  ingressClassName: string;
  /** Owning team, or `platform`. */
  team: string;
  /** Extra labels on the Ingress / Route, merged over the platform labels. Default none. */
  labels?: Record<string, string>;
}

/** cert-manager's ingress-shim annotation (kubernetes). */
export const CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer";

/** The certificate Secret cert-manager writes for an exposure named `name`. */
export function tlsSecretNameFor(name: string): string {
  return `${name}-tls`;
}

const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export class Exposure extends pulumi.ComponentResource {
  /** `https://<hostname>`, resolved once the Ingress / Route exists. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: ExposureArgs, opts?: pulumi.ComponentResourceOptions) {
    validateExposureArgs(name, args);
    super("mlstack:exposure:Exposure", name, {}, opts);
    const labels = {
      ...kubeLabels({
        name: args.name,
        component: "exposure",
        environment: args.ctx.environment,
        team: args.team,
      }),
      ...(args.labels ?? {}),
    };

    const published =
      args.ctx.flavor === "openshift" ? this.route(name, args, labels) : this.ingress(name, args, labels);
    this.url = published.metadata.name.apply(() => `https://${args.hostname}`);
    this.registerOutputs({ url: this.url });
  }

  private ingress(
    name: string,
    args: ExposureArgs,
    labels: Record<string, string>,
  ): k8s.networking.v1.Ingress {
    const annotations: Record<string, string> = {
      "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
    };
    if (args.backendTls) annotations["nginx.ingress.kubernetes.io/backend-protocol"] = "HTTPS";
    let secretName: string;
    if (args.tls.clusterIssuer) {
      annotations[CLUSTER_ISSUER_ANNOTATION] = args.tls.clusterIssuer;
      secretName = tlsSecretNameFor(args.name);
    } else {
      secretName = args.tls.secretName as string; // validated: one of the two is set
    }
    const port =
      args.servicePortName !== undefined ? { name: args.servicePortName } : { number: args.servicePort };
    return new k8s.networking.v1.Ingress(
      `${name}-ingress`,
      {
        metadata: { name: args.name, namespace: args.namespace, labels, annotations },
        spec: {
          ingressClassName: args.ingressClassName,
          tls: [{ hosts: [args.hostname], secretName }],
          rules: [
            {
              host: args.hostname,
              http: {
                paths: [
                  { path: "/", pathType: "Prefix", backend: { service: { name: args.serviceName, port } } },
                ],
              },
            },
          ],
        },
      },
      { parent: this },
    );
  }

  private route(
    name: string,
    args: ExposureArgs,
    labels: Record<string, string>,
  ): k8s.apiextensions.CustomResource {
    const annotations: Record<string, string> = {
      "haproxy.router.openshift.io/hsts_header": "max-age=31536000",
    };
    if (!args.tls.clusterIssuer && args.tls.secretName) {
      pulumi.log.warn(
        `a Route cannot reference the TLS Secret ${args.tls.secretName}; ${args.hostname} is served with the router's ` +
          "default certificate (set mlstack:ingress.clusterIssuer to have cert-manager issue one)",
        this,
      );
    }
    if (args.tls.clusterIssuer) {
      // cert-manager's openshift-routes controller: it does not read the Ingress-style cluster-issuer annotation.
      annotations["cert-manager.io/issuer-name"] = args.tls.clusterIssuer;
      annotations["cert-manager.io/issuer-kind"] = "ClusterIssuer";
      annotations["cert-manager.io/issuer-group"] = "cert-manager.io";
    }
    return new Route(
      `${name}-route`,
      {
        metadata: { name: args.name, namespace: args.namespace, labels, annotations },
        spec: {
          host: args.hostname,
          to: { kind: "Service", name: args.serviceName, weight: 100 },
          // validateExposureArgs: exactly one of servicePortName and servicePort is set.
          port: { targetPort: (args.servicePortName ?? args.servicePort) as pulumi.Input<string | number> },
          tls: {
            termination: args.backendTls ? "reencrypt" : "edge",
            insecureEdgeTerminationPolicy: "Redirect",
          },
          wildcardPolicy: "None",
        },
      },
      { parent: this },
    );
  }
}

/** Throws on the first bad argument, before anything is registered. */
export function validateExposureArgs(name: string, args: ExposureArgs): void {
  const fail = refusal(`Exposure ${name}`);
  if (!DNS_LABEL.test(args.name)) fail("name", args.name, `is not ${DNS_LABEL_RULE}`);
  if (!DNS_LABEL.test(args.team)) fail("team", args.team, `is not ${DNS_LABEL_RULE}`);
  if (!HOSTNAME.test(args.hostname)) {
    fail(
      "hostname",
      args.hostname,
      "is not a fully qualified lowercase hostname such as model.ml.example.com (no wildcard)",
    );
  }
  if ((args.servicePort === undefined) === (args.servicePortName === undefined)) {
    fail(
      "servicePort",
      args.servicePort,
      `with servicePortName ${JSON.stringify(args.servicePortName)}: set exactly one of servicePort (a port number) and servicePortName (a port name)`,
    );
  }
  if (args.servicePort !== undefined) {
    // A port that is an output (another component's) is checked by Kubernetes once it is known.
    const port = args.servicePort;
    const known = !pulumi.Output.isInstance(port) && !(port instanceof Promise);
    if (known && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      fail("servicePort", port, "is not a port number between 1 and 65535");
    }
  } else if (!PORT_NAME.test(args.servicePortName as string)) {
    fail(
      "servicePortName",
      args.servicePortName,
      "is not a port name (at most 15 lowercase letters, digits and '-', with a letter)",
    );
  }
  if (args.tls.clusterIssuer !== undefined && !DNS_SUBDOMAIN.test(args.tls.clusterIssuer)) {
    fail("tls.clusterIssuer", args.tls.clusterIssuer, "is not a ClusterIssuer name");
  }
  if (args.tls.secretName !== undefined && !DNS_SUBDOMAIN.test(args.tls.secretName)) {
    fail("tls.secretName", args.tls.secretName, "is not a Secret name");
  }
  if (args.ctx.flavor === "kubernetes") {
    if (!DNS_SUBDOMAIN.test(args.ingressClassName)) {
      fail("ingressClassName", args.ingressClassName, "is not an IngressClass name");
    }
    if (!args.tls.clusterIssuer && !args.tls.secretName) {
      fail(
        "tls",
        args.tls,
        "names neither a cert-manager ClusterIssuer nor an existing TLS Secret; an Ingress is only published with TLS " +
          "(set mlstack:ingress.clusterIssuer or mlstack:ingress.tlsSecretName)",
      );
    }
  }
}
