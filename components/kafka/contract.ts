/**
 * Kafka, provider-neutral: Strimzi in-cluster, MSK on AWS, Managed Service for Apache Kafka on
 * GCP. Consumers see bootstrap servers, the client security settings, and a grant that gives
 * one workload exactly its topics.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { WorkloadAccess, WorkloadIdentity } from "../identity/contract";

/** Kafka's `security.protocol` for clients: always TLS-based (`SSL`, or `SASL_SSL` for SASL over TLS). */
export const KafkaSecurityProtocol = { ssl: "SSL", saslSsl: "SASL_SSL" } as const;
export type KafkaSecurityProtocol = (typeof KafkaSecurityProtocol)[keyof typeof KafkaSecurityProtocol];

/** Kafka's `sasl.mechanism`: SCRAM (Strimzi, MSK), IAM (MSK) or OAuth bearer tokens (GCP). */
export const KafkaSaslMechanism = {
  scramSha512: "SCRAM-SHA-512",
  awsMskIam: "AWS_MSK_IAM",
  oauthBearer: "OAUTHBEARER",
} as const;
export type KafkaSaslMechanism = (typeof KafkaSaslMechanism)[keyof typeof KafkaSaslMechanism];

/**
 * The client settings of a cluster. The protocol and mechanism are `as const` enums, not bare
 * string unions, so the Kafka components that publish this fit a package schema.
 */
export interface KafkaClientSecurity {
  /** `security.protocol` for clients. Always TLS-based. */
  protocol: KafkaSecurityProtocol;
  /** `sasl.mechanism` when SASL is used. */
  saslMechanism?: KafkaSaslMechanism;
}

export interface TopicGrant {
  /** Topics the workload consumes (logical names from config). */
  read: string[];
  /** Topics the workload produces to. */
  write: string[];
  /** Consumer group the workload may use. */
  consumerGroup?: string;
}

export interface KafkaCluster {
  bootstrapServers: pulumi.Output<string>;
  security: KafkaClientSecurity;
  /** Physical topic name for a logical topic from `mlstack:kafka.topics`. */
  topicName(logical: string): pulumi.Output<string>;
  /**
   * Gives one workload read/write on exactly the named topics (and its consumer group).
   * The returned env carries `KAFKA_BOOTSTRAP_SERVERS`, `KAFKA_SECURITY_PROTOCOL`,
   * `KAFKA_SASL_MECHANISM` and credentials as `secretKeyRef`s or mounted files.
   */
  grantTopicAccess(
    identity: WorkloadIdentity,
    grant: TopicGrant,
    opts: { parent: pulumi.Resource },
  ): WorkloadAccess;
  /**
   * What KEDA's Kafka scaler needs to read this workload's consumer lag, as references only.
   * Call after `grantTopicAccess` for the same identity. Undefined when KEDA cannot authenticate
   * to this kind of cluster (the workload then scales on CPU).
   */
  scalerAuth(identity: WorkloadIdentity): KafkaScalerAuth | undefined;
  /**
   * KEDA's `kafka` trigger for this workload's consumer lag, as this backend connects: the
   * connection metadata (TLS, SASL, token provider) and the TriggerAuthentication spec, with
   * credentials as references only. `containerName` is the workload's container, where KEDA may
   * resolve env-sourced values. Call after `grantTopicAccess`. Undefined when KEDA cannot
   * authenticate to this kind of cluster (the workload then scales on CPU).
   */
  lagTrigger(identity: WorkloadIdentity, containerName: string): KafkaLagTrigger | undefined;
}

/*
 * String enums here are `as const` objects as well as types, and nested objects named interfaces:
 * Pulumi's component analyzer refuses bare string unions and inline object types, and ModelServing
 * (which takes a `KafkaLagTrigger`) is served by the component package (@pulumi/pulumi 3.270.0,
 * provider/experimental/analyzer.js).
 */

/** One TriggerAuthentication parameter read from a Secret key (`secretTargetRef`). */
export interface TriggerSecretTargetRef {
  parameter: string;
  name: pulumi.Input<string>;
  key: pulumi.Input<string>;
}

/** One TriggerAuthentication parameter read from an env var of the scaled workload's container (`env`). */
export interface TriggerEnvRef {
  parameter: string;
  name: string;
  containerName: string;
}

/** The pod identity providers mlstack uses: `aws` (IRSA) and `gcp` (GKE Workload Identity). */
export const KedaPodIdentityProvider = { aws: "aws", gcp: "gcp" } as const;
export type KedaPodIdentityProvider = (typeof KedaPodIdentityProvider)[keyof typeof KedaPodIdentityProvider];

/**
 * Whose identity KEDA's `aws` pod identity uses: the KEDA operator's (`keda`, KEDA's default) or
 * the scaled workload's (`workload`). Values from keda.sh/docs/2.14/authentication-providers/aws
 * (`identityOwner: keda|workload`, mutually exclusive with `roleArn`).
 */
export const KedaIdentityOwner = { keda: "keda", workload: "workload" } as const;
export type KedaIdentityOwner = (typeof KedaIdentityOwner)[keyof typeof KedaIdentityOwner];

/**
 * KEDA's own pod identity: `aws` (IRSA; optionally a role to assume, or the workload's role) or
 * `gcp` (the KEDA operator's Workload Identity; no other field). One object type rather than a
 * union, so a component package schema can carry it.
 */
export interface KedaPodIdentity {
  provider: KedaPodIdentityProvider;
  roleArn?: pulumi.Input<string>;
  identityOwner?: KedaIdentityOwner;
}

/** A KEDA TriggerAuthentication spec (keda.sh/v1alpha1): references to where credentials are. */
export interface TriggerAuthenticationSpec {
  secretTargetRef?: TriggerSecretTargetRef[];
  env?: TriggerEnvRef[];
  podIdentity?: KedaPodIdentity;
}

/** The KEDA scalers a Kafka backend reads consumer lag with. */
export const KedaLagScaler = { kafka: "kafka", gcpStackdriver: "gcp-stackdriver" } as const;
export type KedaLagScaler = (typeof KedaLagScaler)[keyof typeof KedaLagScaler];

/**
 * What a Kafka backend tells a workload's autoscaler: which KEDA scaler reads the consumer lag and
 * how it authenticates. For the `kafka` scaler (read from the brokers) the workload adds where to
 * read (bootstrap servers, group, topic) and the threshold to `connection`; a backend whose lag is
 * read elsewhere (Managed Kafka: Cloud Monitoring) gives the whole metadata but the threshold.
 * Data only (no callbacks), so a component package schema can carry it.
 */
export interface KafkaLagTrigger {
  /** The KEDA scaler. Default `kafka`. */
  type?: KedaLagScaler;
  /** `kafka` trigger metadata about the connection only (`tls`, `sasl`, ...), never a credential. */
  connection: Record<string, pulumi.Input<string>>;
  /**
   * For scalers other than `kafka`: the trigger's whole metadata for this workload except the
   * per-replica lag threshold, which the workload sets under `thresholdParameter`; never a
   * credential. Unset for `kafka`: the workload builds it from `connection` and where to read.
   */
  metadata?: Record<string, pulumi.Input<string>>;
  /** The metadata key of the lag threshold for those scalers (`gcp-stackdriver`: `targetValue`). */
  thresholdParameter?: string;
  /** The TriggerAuthentication spec; undefined when the connection needs no credentials. */
  authentication?: TriggerAuthenticationSpec;
}

/** A key of a Secret in the model's namespace. */
export interface SecretKeySelector {
  name: pulumi.Input<string>;
  key: pulumi.Input<string>;
}

/**
 * Where KEDA reads a non-secret value such as a SCRAM username: a Secret key, or an env var of
 * the model container (KEDA resolves literal values and `secretKeyRef`s there).
 */
export type KedaValueSource = { secretKeyRef: SecretKeySelector } | { containerEnv: string };

export interface KafkaScramAuth {
  mechanism: "SCRAM-SHA-512" | "SCRAM-SHA-256";
  username: KedaValueSource;
  /** The password: always a Secret key. */
  password: SecretKeySelector;
}

export interface KafkaMskIamAuth {
  mechanism: "AWS_MSK_IAM";
  /** Region of the MSK cluster. */
  awsRegion: string;
  /**
   * Role KEDA assumes to read offsets. Unset: KEDA assumes the role of the model's own service
   * account (pod identity `aws`, `identityOwner: workload`), which must trust KEDA's role.
   */
  roleArn?: pulumi.Input<string>;
}

export interface KafkaScalerAuth {
  /** TLS to the brokers. mlstack's Kafka listeners are TLS-only, so `false` is refused. */
  tls: boolean;
  /** CA (PEM) that signs the broker certificates; unset = the system roots (MSK, public CAs). */
  ca?: SecretKeySelector;
  /** Client certificate and key (PEM) for mTLS (Strimzi `tls` authentication). */
  clientCertificate?: { cert: SecretKeySelector; key: SecretKeySelector };
  /** SASL; unset for mTLS-only clusters. */
  sasl?: KafkaScramAuth | KafkaMskIamAuth;
}
