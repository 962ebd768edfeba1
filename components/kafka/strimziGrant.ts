/**
 * A `StrimziKafka` grant's parts: the Secrets it puts in the workload's namespace (the CA, and SCRAM
 * credentials or a client certificate), and what the workload's pods get from them: the client
 * environment, the CA (and for mutual TLS the client certificate) mounted as files, and egress to
 * the cluster's listener. `StrimziKafka.grantTopicAccess` composes them with the KafkaUser.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";
import type { StrimziClientsCa } from "./strimziClientsCa";
import { LISTENER_PORT } from "./strimziListenerTls";
import type { KafkaUserSpecAuthentication } from "./strimziResources";

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** Where a granted workload finds the CA certificate and its client certificate. */
export const CLIENT_FILES_ROOT = "/etc/mlstack/kafka";

export interface GrantedClient {
  cluster: string;
  /** The Kafka cluster's namespace (egress goes there). */
  kafkaNamespace: string;
  bootstrapServers: pulumi.Input<string>;
  protocol: pulumi.Input<string>;
  /** Client certificates (mutual TLS) rather than SCRAM. */
  mutualTls: boolean;
  /** In the workload's namespace: the CA Secret (`ca.crt`) and the credentials Secret. */
  caSecretName: string;
  credentialsName: string;
  dependsOn: pulumi.Resource[];
}

/**
 * Env: `KAFKA_BOOTSTRAP_SERVERS`, `KAFKA_SECURITY_PROTOCOL`, `KAFKA_SSL_CA_LOCATION`; with SCRAM
 * `KAFKA_SASL_MECHANISM`, `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD` and `KAFKA_SASL_JAAS_CONFIG`
 * (Java clients), all three from the Secret; with mutual TLS `KAFKA_SSL_CERTIFICATE_LOCATION` and
 * `KAFKA_SSL_KEY_LOCATION` (mounted files). The names are librdkafka's properties behind `KAFKA_`.
 */
export function grantedClientAccess(c: GrantedClient): WorkloadAccess {
  const dir = `${CLIENT_FILES_ROOT}/${c.cluster}`;
  const caVolume = `kafka-${c.cluster}-ca`;
  const clientVolume = `kafka-${c.cluster}-client`;
  const fromSecret = (envName: string, key: string): EnvVar => ({
    name: envName,
    valueFrom: { secretKeyRef: { name: c.credentialsName, key } },
  });
  const env: EnvVar[] = [
    { name: "KAFKA_BOOTSTRAP_SERVERS", value: c.bootstrapServers },
    { name: "KAFKA_SECURITY_PROTOCOL", value: c.protocol },
    { name: "KAFKA_SSL_CA_LOCATION", value: `${dir}/ca/ca.crt` },
    ...(c.mutualTls
      ? [
          { name: "KAFKA_SSL_CERTIFICATE_LOCATION", value: `${dir}/client/tls.crt` },
          { name: "KAFKA_SSL_KEY_LOCATION", value: `${dir}/client/tls.key` },
        ]
      : [
          { name: "KAFKA_SASL_MECHANISM", value: "SCRAM-SHA-512" },
          fromSecret("KAFKA_SASL_USERNAME", "username"),
          fromSecret("KAFKA_SASL_PASSWORD", "password"),
          fromSecret("KAFKA_SASL_JAAS_CONFIG", "sasl.jaas.config"),
        ]),
  ];
  const volumes: Volume[] = [
    {
      name: caVolume,
      secret: { secretName: c.caSecretName, defaultMode: 0o444, items: [{ key: "ca.crt", path: "ca.crt" }] },
    },
    ...(c.mutualTls
      ? [
          {
            name: clientVolume,
            secret: {
              secretName: c.credentialsName,
              defaultMode: 0o440,
              items: [
                { key: "tls.crt", path: "tls.crt" },
                { key: "tls.key", path: "tls.key" },
              ],
            },
          },
        ]
      : []),
  ];
  const volumeMounts: VolumeMount[] = [
    { name: caVolume, mountPath: `${dir}/ca`, readOnly: true },
    ...(c.mutualTls ? [{ name: clientVolume, mountPath: `${dir}/client`, readOnly: true }] : []),
  ];
  const egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [
    {
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": c.kafkaNamespace } },
          podSelector: { matchLabels: { "strimzi.io/cluster": c.cluster } },
        },
      ],
      ports: [{ protocol: "TCP", port: LISTENER_PORT }],
    },
  ];
  return { env, volumes, volumeMounts, egress, dependsOn: c.dependsOn };
}

/** Where a grant's Secrets are made: for which workload, beside which cluster, under which parent. */
export interface GrantSecretsContext {
  identity: WorkloadIdentity;
  cluster: string;
  /** The Kafka cluster's namespace (the User Operator reads SCRAM passwords there). */
  kafkaNamespace: string;
  /** Prefix of the Pulumi names: `<component>-<workload>`. */
  base: string;
  /** The workload's labels for a component. */
  labels: (component: string) => Record<string, string>;
  parent: pulumi.Resource;
}

/** What authenticates a KafkaUser, and the Secrets that carry it. */
export interface GrantCredentials {
  authentication: KafkaUserSpecAuthentication;
  resources: pulumi.Resource[];
}

/** The CA certificate, in the workload's namespace. */
export function grantedCaSecret(
  c: GrantSecretsContext,
  name: string,
  caCertPem: pulumi.Input<string>,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    `${c.base}-kafka-ca`,
    {
      metadata: { name, namespace: c.identity.workload.namespace, labels: c.labels("kafka-ca") },
      type: "Opaque",
      stringData: { "ca.crt": caCertPem },
    },
    { parent: c.parent },
  );
}

/** Mutual TLS: a client certificate from the clients CA, in the workload's namespace. */
export function clientCertificateCredentials(
  c: GrantSecretsContext,
  credentialsName: string,
  clientsCa: StrimziClientsCa,
): GrantCredentials {
  const { workload } = c.identity;
  const cert = clientsCa.issueClient(workload.name, c.parent);
  const credentials = new k8s.core.v1.Secret(
    `${c.base}-kafka-credentials`,
    {
      metadata: {
        name: credentialsName,
        namespace: workload.namespace,
        labels: c.labels("kafka-credentials"),
      },
      type: "kubernetes.io/tls",
      stringData: { "tls.crt": cert.certPem, "tls.key": cert.privateKeyPem },
    },
    { parent: c.parent },
  );
  return { authentication: { type: "tls-external" }, resources: [credentials] };
}

/**
 * SCRAM: a random password, in a Secret the User Operator reads (Kafka's namespace) and, with the
 * username and the JAAS line, in the workload's namespace.
 */
export function scramCredentials(c: GrantSecretsContext, credentialsName: string): GrantCredentials {
  const { workload } = c.identity;
  const passwordSecretName = `${c.cluster}-${workload.name}-password`;
  const password = new random.RandomPassword(
    `${c.base}-kafka-password`,
    { length: 32, special: false },
    { parent: c.parent },
  );
  const passwordSecret = new k8s.core.v1.Secret(
    `${c.base}-kafka-password`,
    {
      metadata: {
        name: passwordSecretName,
        namespace: c.kafkaNamespace,
        labels: { ...c.labels("kafka-user"), "strimzi.io/cluster": c.cluster },
      },
      type: "Opaque",
      stringData: { password: password.result },
    },
    { parent: c.parent },
  );
  const credentials = new k8s.core.v1.Secret(
    `${c.base}-kafka-credentials`,
    {
      metadata: {
        name: credentialsName,
        namespace: workload.namespace,
        labels: c.labels("kafka-credentials"),
      },
      type: "Opaque",
      stringData: {
        username: workload.name,
        password: password.result,
        // Only letters and digits in the password, so the JAAS line needs no escaping.
        "sasl.jaas.config": pulumi.interpolate`org.apache.kafka.common.security.scram.ScramLoginModule required username="${workload.name}" password="${password.result}";`,
      },
    },
    { parent: c.parent },
  );
  return {
    authentication: {
      type: "scram-sha-512",
      password: { valueFrom: { secretKeyRef: { name: passwordSecretName, key: "password" } } },
    },
    resources: [passwordSecret, credentials],
  };
}
