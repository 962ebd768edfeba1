/**
 * KEDA's `kafka` trigger for clusters whose clients hold their credentials in Secrets: TLS with the
 * cluster CA, and SASL/SCRAM or a client certificate (Strimzi; MSK with SCRAM). Each backend builds
 * its own trigger (`KafkaCluster.lagTrigger`); this is the shared part of those two.
 * Metadata and parameters: https://keda.sh/docs/2.18/scalers/apache-kafka/ (`tls`, `sasl`,
 * TriggerAuthentication `ca`, `cert`, `key`, `username`, `password`).
 *
 * | cluster | `sasl` | authentication |
 * |---|---|---|
 * | Strimzi, SCRAM-SHA-512 | `scram_sha512` | username (Secret key or the container's env) + password, cluster CA |
 * | Strimzi, mTLS | none | client certificate and key, cluster CA |
 * | MSK, SCRAM | `scram_sha512` | username + password from the synced Secret |
 */
import type { KafkaLagTrigger, KafkaScalerAuth, KafkaScramAuth, TriggerAuthenticationSpec } from "./contract";

/** A scaler description whose SASL (if any) is SCRAM: everything is in Secrets or the container env. */
export type SecretScalerAuth = Omit<KafkaScalerAuth, "sasl"> & { sasl?: KafkaScramAuth };

export function secretLagTrigger(auth: SecretScalerAuth, containerName: string): KafkaLagTrigger {
  const secretTargetRef: NonNullable<TriggerAuthenticationSpec["secretTargetRef"]> = [];
  const env: NonNullable<TriggerAuthenticationSpec["env"]> = [];
  const ref = (
    parameter: string,
    s: { name: KafkaScramAuth["password"]["name"]; key: KafkaScramAuth["password"]["key"] },
  ) => secretTargetRef.push({ parameter, name: s.name, key: s.key });
  if (auth.ca) ref("ca", auth.ca);
  if (auth.clientCertificate) {
    ref("cert", auth.clientCertificate.cert);
    ref("key", auth.clientCertificate.key);
  }
  const connection: KafkaLagTrigger["connection"] = { tls: auth.tls ? "enable" : "disable" };
  if (auth.sasl) {
    connection.sasl = auth.sasl.mechanism === "SCRAM-SHA-512" ? "scram_sha512" : "scram_sha256";
    const username = auth.sasl.username;
    if ("secretKeyRef" in username) ref("username", username.secretKeyRef);
    else env.push({ parameter: "username", name: username.containerEnv, containerName });
    ref("password", auth.sasl.password);
  }
  const authentication =
    secretTargetRef.length || env.length
      ? { ...(secretTargetRef.length ? { secretTargetRef } : {}), ...(env.length ? { env } : {}) }
      : undefined;
  return { connection, ...(authentication ? { authentication } : {}) };
}
