import { MOCK_CERT_START } from "../../../cli/mockRuntime";
import type { KafkaScalerAuth } from "../../../components/kafka/contract";
import { StrimziKafka } from "../../../components/kafka/StrimziKafka";
import { render } from "../../support/render";
import { config, identity, kafkaArgs, resolve } from "./strimziFixtures";
import { SECRET, renderKafka, renderGrant, kafkaSpec } from "./strimziRender";

describe("StrimziKafka", () => {
  describe("grants", () => {
    describe("with SCRAM-SHA-512", () => {
      it("creates a KafkaUser named after the workload, in the Kafka namespace, labelled for the cluster", async () => {
        const { r } = await renderGrant(config());
        const user = r.inputs(r.one("kubernetes:kafka.strimzi.io/v1:KafkaUser"));
        expect(user.metadata).toEqual(
          expect.objectContaining({
            name: "fraud-detector",
            namespace: "ml-dev-platform",
            labels: expect.objectContaining({ "strimzi.io/cluster": "kafka", "mlstack.io/team": "fraud" }),
          }),
        );
      });

      it("grants the model Read on its input topic, Write on its output topic and Read on its group, nothing else", async () => {
        const { r } = await renderGrant(config());
        expect(r.inputs(r.one("kubernetes:kafka.strimzi.io/v1:KafkaUser")).spec.authorization).toEqual({
          type: "simple",
          acls: [
            {
              resource: { type: "topic", name: "transactions", patternType: "literal" },
              operations: ["Read", "Describe"],
              host: "*",
            },
            {
              resource: { type: "topic", name: "fraud-scores", patternType: "literal" },
              operations: ["Write", "Describe"],
              host: "*",
            },
            {
              resource: { type: "group", name: "fraud-detector", patternType: "literal" },
              operations: ["Read"],
              host: "*",
            },
          ],
        });
      });

      it("combines read and write on the same topic into one rule, and adds no group rule without a group", async () => {
        const c = config();
        const r = await render(() => {
          const kafka = new StrimziKafka("kafka", kafkaArgs(c));
          kafka.grantTopicAccess(
            identity(c, "enricher", "fraud"),
            { read: ["transactions"], write: ["transactions"] },
            { parent: kafka },
          );
        });
        const acls = r.inputs(r.one("kubernetes:kafka.strimzi.io/v1:KafkaUser")).spec.authorization.acls;
        expect(acls).toEqual([
          {
            resource: { type: "topic", name: "transactions", patternType: "literal" },
            operations: ["Read", "Write", "Describe"],
            host: "*",
          },
        ]);
      });

      it("generates the password, keeps it in a Secret the KafkaUser references, and copies it to the workload's namespace", async () => {
        const { r } = await renderGrant(config());
        const password = r.one("random:index/randomPassword:RandomPassword");
        expect(r.inputs(password)).toEqual(expect.objectContaining({ length: 32, special: false }));
        const user = r.inputs(r.one("kubernetes:kafka.strimzi.io/v1:KafkaUser"));
        expect(user.spec.authentication).toEqual({
          type: "scram-sha-512",
          password: {
            valueFrom: { secretKeyRef: { name: "kafka-fraud-detector-password", key: "password" } },
          },
        });
        const inKafkaNs = r.inputs(r.one(SECRET, "fraud-detector-kafka-password"));
        expect(inKafkaNs.metadata).toEqual(
          expect.objectContaining({ name: "kafka-fraud-detector-password", namespace: "ml-dev-platform" }),
        );
        expect(inKafkaNs.stringData).toEqual({ password: "mock-kafka-fraud-detector-kafka-password" });
        const inWorkloadNs = r.inputs(r.one(SECRET, "fraud-detector-kafka-credentials"));
        expect(inWorkloadNs.metadata).toEqual(
          expect.objectContaining({ name: "fraud-detector-kafka-credentials", namespace: "ml-dev-fraud" }),
        );
        expect(inWorkloadNs.stringData).toEqual({
          username: "fraud-detector",
          password: "mock-kafka-fraud-detector-kafka-password",
          "sasl.jaas.config":
            'org.apache.kafka.common.security.scram.ScramLoginModule required username="fraud-detector" password="mock-kafka-fraud-detector-kafka-password";',
        });
      });

      it("never writes the password into the KafkaUser or the workload's env", async () => {
        const { r, access } = await renderGrant(config());
        const password = "mock-kafka-fraud-detector-kafka-password";
        expect(JSON.stringify(r.inputs(r.one("kubernetes:kafka.strimzi.io/v1:KafkaUser")))).not.toContain(
          password,
        );
        expect(JSON.stringify(access.env)).not.toContain(password);
        for (const e of access.env) if (/PASSWORD|JAAS/.test(String(e.name))) expect(e.value).toBeUndefined();
      });

      it("puts the CA certificate in the workload's namespace", async () => {
        const { r } = await renderGrant(config());
        const ca = r.inputs(r.one(SECRET, "fraud-detector-kafka-ca"));
        expect(ca.metadata).toEqual(
          expect.objectContaining({ name: "fraud-detector-kafka-ca", namespace: "ml-dev-fraud" }),
        );
        expect(ca.type).toBe("Opaque");
      });

      it("hands the workload its settings, with credentials only as Secret references", async () => {
        const { access } = await renderGrant(config());
        const env = Object.fromEntries(access.env.map((e) => [e.name, e]));
        expect(Object.keys(env).sort()).toEqual([
          "KAFKA_BOOTSTRAP_SERVERS",
          "KAFKA_SASL_JAAS_CONFIG",
          "KAFKA_SASL_MECHANISM",
          "KAFKA_SASL_PASSWORD",
          "KAFKA_SASL_USERNAME",
          "KAFKA_SECURITY_PROTOCOL",
          "KAFKA_SSL_CA_LOCATION",
        ]);
        expect(await resolve(env.KAFKA_BOOTSTRAP_SERVERS.value as string)).toBe(
          "kafka-kafka-bootstrap.ml-dev-platform.svc:9093",
        );
        expect(env.KAFKA_SECURITY_PROTOCOL.value).toBe("SASL_SSL");
        expect(env.KAFKA_SASL_MECHANISM.value).toBe("SCRAM-SHA-512");
        for (const [name, key] of [
          ["KAFKA_SASL_USERNAME", "username"],
          ["KAFKA_SASL_PASSWORD", "password"],
          ["KAFKA_SASL_JAAS_CONFIG", "sasl.jaas.config"],
        ]) {
          expect(env[name]).toEqual({
            name,
            valueFrom: { secretKeyRef: { name: "fraud-detector-kafka-credentials", key } },
          });
        }
        expect(env.KAFKA_SSL_CA_LOCATION.value).toBe("/etc/mlstack/kafka/kafka/ca/ca.crt");
        expect(access.volumes).toEqual([
          {
            name: "kafka-kafka-ca",
            secret: {
              secretName: "fraud-detector-kafka-ca",
              defaultMode: 0o444,
              items: [{ key: "ca.crt", path: "ca.crt" }],
            },
          },
        ]);
        expect(access.volumeMounts).toEqual([
          { name: "kafka-kafka-ca", mountPath: "/etc/mlstack/kafka/kafka/ca", readOnly: true },
        ]);
      });

      it("asks for egress to the cluster's pods on the listener port only", async () => {
        const { access } = await renderGrant(config());
        expect(access.egress).toEqual([
          {
            to: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ml-dev-platform" } },
                podSelector: { matchLabels: { "strimzi.io/cluster": "kafka" } },
              },
            ],
            ports: [{ protocol: "TCP", port: 9093 }],
          },
        ]);
      });

      it("makes the workload wait for its user and both Secrets", async () => {
        const { r, access } = await renderGrant(config());
        const urns = await Promise.all(access.dependsOn.map((d) => resolve(d.urn)));
        const names = urns.map((urn) => urn.split("::").pop());
        expect(names).toEqual(
          expect.arrayContaining([
            "kafka-fraud-detector-kafka-user",
            "kafka-fraud-detector-kafka-ca",
            "kafka-fraud-detector-kafka-credentials",
            "kafka-fraud-detector-kafka-password",
          ]),
        );
        expect(r.one("kubernetes:kafka.strimzi.io/v1:KafkaUser").parent).toBe(
          r.one("mlstack:kafka:StrimziKafka").urn,
        );
      });

      it("builds its own KEDA trigger: scram_sha512 over TLS, credentials and CA from Secrets", async () => {
        let trigger: unknown;
        await render(() => {
          const kafka = new StrimziKafka("kafka", kafkaArgs(config()));
          const model = identity(config(), "fraud-detector", "fraud");
          kafka.grantTopicAccess(
            model,
            { read: ["transactions"], write: [], consumerGroup: "fraud-detector" },
            {
              parent: kafka,
            },
          );
          trigger = kafka.lagTrigger(model, "model");
        });
        expect(trigger).toEqual({
          connection: { tls: "enable", sasl: "scram_sha512" },
          authentication: {
            secretTargetRef: [
              { parameter: "ca", name: "fraud-detector-kafka-ca", key: "ca.crt" },
              { parameter: "username", name: "fraud-detector-kafka-credentials", key: "username" },
              { parameter: "password", name: "fraud-detector-kafka-credentials", key: "password" },
            ],
          },
        });
      });

      it("tells KEDA where the SCRAM credentials and CA are", async () => {
        const { scaler } = await renderGrant(config());
        // The contract's scaler description, checked by the compiler.
        const forServing: KafkaScalerAuth = scaler;
        expect(forServing).toEqual({
          tls: true,
          ca: { name: "fraud-detector-kafka-ca", key: "ca.crt" },
          sasl: {
            mechanism: "SCRAM-SHA-512",
            username: { secretKeyRef: { name: "fraud-detector-kafka-credentials", key: "username" } },
            password: { name: "fraud-detector-kafka-credentials", key: "password" },
          },
        });
      });
    });

    describe("with mutual TLS", () => {
      const mtls = () => config({ kafka: { authentication: "tls" } });

      it("makes the KafkaUser tls-external with a certificate for CN=<workload> from the Pulumi-held clients CA", async () => {
        const { r } = await renderGrant(mtls());
        expect(r.inputs(r.one("kubernetes:kafka.strimzi.io/v1:KafkaUser")).spec.authentication).toEqual({
          type: "tls-external",
        });
        const csr = r.inputs(r.one("tls:index/certRequest:CertRequest", "clients-ca-fraud-detector"));
        expect(csr.subject).toEqual({ commonName: "fraud-detector" });
        const cert = r.inputs(
          r.one("tls:index/locallySignedCert:LocallySignedCert", "clients-ca-fraud-detector"),
        );
        expect(cert.allowedUses).toEqual(["digital_signature", "client_auth"]);
        expect(r.ofType("random:index/randomPassword:RandomPassword")).toHaveLength(0);
      });

      it("installs the clients CA the way Strimzi requires for a user-managed CA", async () => {
        const r = await renderKafka(mtls());
        expect(kafkaSpec(r).clientsCa).toEqual({ generateCertificateAuthority: false });
        const cert = r.inputs(r.one(SECRET, "clients-ca-cert-secret"));
        const key = r.inputs(r.one(SECRET, "clients-ca-key-secret"));
        expect(cert.metadata).toEqual(
          expect.objectContaining({
            name: "kafka-clients-ca-cert",
            namespace: "ml-dev-platform",
            labels: expect.objectContaining({ "strimzi.io/kind": "Kafka", "strimzi.io/cluster": "kafka" }),
            // Whole hours from the epoch to the (mocked) certificate's start.
            annotations: { "strimzi.io/ca-cert-generation": String(Date.parse(MOCK_CERT_START) / 3_600_000) },
          }),
        );
        expect(key.metadata).toEqual(
          expect.objectContaining({
            name: "kafka-clients-ca",
            labels: expect.objectContaining({ "strimzi.io/kind": "Kafka", "strimzi.io/cluster": "kafka" }),
            annotations: { "strimzi.io/ca-key-generation": "0" },
          }),
        );
      });

      it("lets a SCRAM cluster keep Strimzi's own clients CA", async () => {
        const r = await renderKafka(config());
        expect(kafkaSpec(r)).not.toHaveProperty("clientsCa");
        expect(r.ofType(SECRET).filter((s) => s.name.includes("clients-ca"))).toHaveLength(0);
      });

      it("puts the client certificate and key in the workload's namespace and mounts them", async () => {
        const { r, access } = await renderGrant(mtls());
        const credentials = r.inputs(r.one(SECRET, "fraud-detector-kafka-credentials"));
        expect(credentials.type).toBe("kubernetes.io/tls");
        expect(credentials.metadata.namespace).toBe("ml-dev-fraud");
        const env = Object.fromEntries(access.env.map((e) => [e.name, e.value]));
        expect(Object.keys(env).sort()).toEqual([
          "KAFKA_BOOTSTRAP_SERVERS",
          "KAFKA_SECURITY_PROTOCOL",
          "KAFKA_SSL_CA_LOCATION",
          "KAFKA_SSL_CERTIFICATE_LOCATION",
          "KAFKA_SSL_KEY_LOCATION",
        ]);
        expect(env.KAFKA_SECURITY_PROTOCOL).toBe("SSL");
        expect(env.KAFKA_SSL_CERTIFICATE_LOCATION).toBe("/etc/mlstack/kafka/kafka/client/tls.crt");
        expect(env.KAFKA_SSL_KEY_LOCATION).toBe("/etc/mlstack/kafka/kafka/client/tls.key");
        expect(access.volumes).toContainEqual({
          name: "kafka-kafka-client",
          secret: {
            secretName: "fraud-detector-kafka-credentials",
            defaultMode: 0o440,
            items: [
              { key: "tls.crt", path: "tls.crt" },
              { key: "tls.key", path: "tls.key" },
            ],
          },
        });
        expect(access.volumeMounts).toContainEqual({
          name: "kafka-kafka-client",
          mountPath: "/etc/mlstack/kafka/kafka/client",
          readOnly: true,
        });
      });

      it("tells KEDA where the client certificate, key and CA are", async () => {
        const { scaler } = await renderGrant(mtls());
        expect(scaler).toEqual({
          tls: true,
          ca: { name: "fraud-detector-kafka-ca", key: "ca.crt" },
          clientCertificate: {
            cert: { name: "fraud-detector-kafka-credentials", key: "tls.crt" },
            key: { name: "fraud-detector-kafka-credentials", key: "tls.key" },
          },
        });
      });
    });

    describe("refusals", () => {
      const refuseGrant = (
        grant: Parameters<StrimziKafka["grantTopicAccess"]>[1],
        who = { name: "fraud-detector", team: "fraud" },
      ) => {
        const c = config();
        return render(() => {
          const kafka = new StrimziKafka("kafka", kafkaArgs(c));
          kafka.grantTopicAccess(identity(c, who.name, who.team), grant, { parent: kafka });
        });
      };

      it("refuses a grant of an undeclared topic", async () => {
        await expect(refuseGrant({ read: ["payments"], write: [] })).rejects.toThrow(
          'grant for workload fraud-detector: read[0] "payments" is not a declared topic (declared: transactions, fraud-scores)',
        );
        await expect(refuseGrant({ read: [], write: ["payments"] })).rejects.toThrow(
          'write[0] "payments" is not a declared topic',
        );
      });

      it("refuses an empty grant", async () => {
        await expect(refuseGrant({ read: [], write: [] })).rejects.toThrow(
          "name no topic: a grant must read or write at least one topic",
        );
      });

      it("refuses reading or writing a topic the workload's team may not use", async () => {
        await expect(
          refuseGrant({ read: ["fraud-scores"], write: [] }, { name: "price-quoter", team: "pricing" }),
        ).rejects.toThrow('read[0] "fraud-scores" may not be read by team pricing (allowed: fraud)');
        await expect(
          refuseGrant({ read: [], write: ["transactions"] }, { name: "price-quoter", team: "pricing" }),
        ).rejects.toThrow('write[0] "transactions" may not be written by team pricing (allowed: fraud)');
      });

      it("refuses a consumer group without a topic to read, or with a malformed id", async () => {
        await expect(refuseGrant({ read: [], write: ["fraud-scores"], consumerGroup: "g" })).rejects.toThrow(
          'consumerGroup "g" is given without a topic to read',
        );
        await expect(
          refuseGrant({ read: ["transactions"], write: [], consumerGroup: "my group" }),
        ).rejects.toThrow('consumerGroup "my group" is not a consumer group id');
      });

      it("refuses a topic listed twice", async () => {
        await expect(refuseGrant({ read: ["transactions", "transactions"], write: [] })).rejects.toThrow(
          'read[1] "transactions" is listed twice',
        );
      });

      it("refuses a workload outside the client namespaces, whose pods could not connect", async () => {
        const c = config();
        await expect(
          render(() => {
            const kafka = new StrimziKafka("kafka", kafkaArgs(c, { clientNamespaces: ["ml-dev-pricing"] }));
            kafka.grantTopicAccess(
              identity(c, "fraud-detector", "fraud"),
              { read: ["transactions"], write: [] },
              { parent: kafka },
            );
          }),
        ).rejects.toThrow('namespace "ml-dev-fraud" is not a client namespace of this cluster');
      });

      it("refuses a second grant for the same workload", async () => {
        const c = config();
        await expect(
          render(() => {
            const kafka = new StrimziKafka("kafka", kafkaArgs(c));
            const model = identity(c, "fraud-detector", "fraud");
            kafka.grantTopicAccess(model, { read: ["transactions"], write: [] }, { parent: kafka });
            kafka.grantTopicAccess(model, { read: [], write: ["fraud-scores"] }, { parent: kafka });
          }),
        ).rejects.toThrow('workload "fraud-detector" already has a grant on this cluster');
      });

      it("refuses scaler settings for a workload without a grant", async () => {
        const c = config();
        await expect(
          render(() => {
            new StrimziKafka("kafka", kafkaArgs(c)).scalerAuth(identity(c, "fraud-detector", "fraud"));
          }),
        ).rejects.toThrow("workload fraud-detector has no topic grant; call grantTopicAccess first");
      });
    });
  });
});
