/**
 * Each Kafka backend builds its own KEDA trigger. Strimzi (and MSK with SCRAM) describe theirs with
 * `secretLagTrigger`: every credential a reference to a Secret key or the model container's env.
 */
import { secretLagTrigger } from "../../../components/kafka/kedaLagTrigger";

const CA = { name: "kafka-cluster-ca-cert", key: "ca.crt" };

describe("secretLagTrigger", () => {
  it("SCRAM: scram_sha512 over TLS, the username from the container's env, the password and CA from Secrets", () => {
    const trigger = secretLagTrigger(
      {
        tls: true,
        ca: CA,
        sasl: {
          mechanism: "SCRAM-SHA-512",
          username: { containerEnv: "KAFKA_SASL_USERNAME" },
          password: { name: "model-kafka", key: "password" },
        },
      },
      "model",
    );
    expect(trigger).toEqual({
      connection: { tls: "enable", sasl: "scram_sha512" },
      authentication: {
        secretTargetRef: [
          { parameter: "ca", ...CA },
          { parameter: "password", name: "model-kafka", key: "password" },
        ],
        env: [{ parameter: "username", name: "KAFKA_SASL_USERNAME", containerName: "model" }],
      },
    });
  });

  it("reads a SCRAM username from a Secret key when given one (MSK's synced Secret)", () => {
    const trigger = secretLagTrigger(
      {
        tls: true,
        sasl: {
          mechanism: "SCRAM-SHA-512",
          username: { secretKeyRef: { name: "amazonmsk-model", key: "username" } },
          password: { name: "amazonmsk-model", key: "password" },
        },
      },
      "model",
    );
    expect(trigger.authentication).toEqual({
      secretTargetRef: [
        { parameter: "username", name: "amazonmsk-model", key: "username" },
        { parameter: "password", name: "amazonmsk-model", key: "password" },
      ],
    });
  });

  it("mTLS: the client certificate and key, no SASL", () => {
    const trigger = secretLagTrigger(
      {
        tls: true,
        ca: CA,
        clientCertificate: {
          cert: { name: "model-kafka-credentials", key: "tls.crt" },
          key: { name: "model-kafka-credentials", key: "tls.key" },
        },
      },
      "model",
    );
    expect(trigger).toEqual({
      connection: { tls: "enable" },
      authentication: {
        secretTargetRef: [
          { parameter: "ca", ...CA },
          { parameter: "cert", name: "model-kafka-credentials", key: "tls.crt" },
          { parameter: "key", name: "model-kafka-credentials", key: "tls.key" },
        ],
      },
    });
  });

  it("needs no TriggerAuthentication when there is nothing to authenticate with", () => {
    expect(secretLagTrigger({ tls: true }, "model")).toEqual({ connection: { tls: "enable" } });
  });

  it("says so when TLS is off, so the workload can refuse it", () => {
    expect(secretLagTrigger({ tls: false }, "model").connection.tls).toBe("disable");
  });
});
