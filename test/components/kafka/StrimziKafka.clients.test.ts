import { StrimziKafka } from "../../../components/kafka/StrimziKafka";
import { render } from "../../support/render";
import { validateObjects } from "../../support/schemas";
import { config, kafkaArgs, resolve, strimzi } from "./strimziFixtures";
import { SECRET, NETPOL, renderKafka, renderGrant, kafkaSpec } from "./strimziRender";

describe("StrimziKafka", () => {
  describe("topics", () => {
    it("declares one KafkaTopic per configured topic, labelled for the cluster", async () => {
      const r = await renderKafka(
        config({
          environment: "prod",
          kafka: {
            topics: [
              {
                name: "transactions",
                owner: "fraud",
                readers: ["pricing"],
                partitions: 12,
                retentionHours: 72,
              },
              { name: "fraud-scores", owner: "fraud" },
            ],
          },
        }),
      );
      const topics = strimzi(r.resources, "KafkaTopic").map((t) => r.inputs(t));
      expect(topics.map((t) => t.spec.topicName)).toEqual(["transactions", "fraud-scores"]);
      expect(topics[0].metadata).toEqual(
        expect.objectContaining({
          name: "kafka-transactions",
          namespace: "ml-prod-platform",
          labels: expect.objectContaining({ "strimzi.io/cluster": "kafka", "mlstack.io/team": "fraud" }),
        }),
      );
      expect(topics[0].spec).toEqual({
        topicName: "transactions",
        partitions: 12,
        replicas: 3,
        config: { "retention.ms": 72 * 3_600_000, "min.insync.replicas": 2 },
      });
    });

    it("names topics by their logical name", async () => {
      let name: unknown;
      await render(() => {
        name = new StrimziKafka("kafka", kafkaArgs(config())).topicName("fraud-scores");
      });
      expect(await resolve(name as string)).toBe("fraud-scores");
    });

    it("refuses the name of an undeclared topic", async () => {
      await expect(
        render(() => {
          new StrimziKafka("kafka", kafkaArgs(config())).topicName("payments");
        }),
      ).rejects.toThrow(
        'topic "payments" is not declared in mlstack:kafka.topics (declared: transactions, fraud-scores)',
      );
    });
  });

  describe("client contract", () => {
    it("bootstraps through the cluster's bootstrap Service on the TLS listener", async () => {
      let servers: unknown;
      await render(() => {
        servers = new StrimziKafka("kafka", kafkaArgs(config())).bootstrapServers;
      });
      expect(await resolve(servers as string)).toBe("kafka-kafka-bootstrap.ml-dev-platform.svc:9093");
    });

    it("tells clients SASL_SSL with SCRAM-SHA-512, or SSL for mutual TLS", async () => {
      const securities: unknown[] = [];
      await render(() => {
        securities.push(new StrimziKafka("scram", kafkaArgs(config())).security);
        securities.push(
          new StrimziKafka("mtls", kafkaArgs(config({ kafka: { authentication: "tls", name: "kafka2" } })))
            .security,
        );
      });
      expect(securities).toEqual([
        { protocol: "SASL_SSL", saslMechanism: "SCRAM-SHA-512" },
        { protocol: "SSL" },
      ]);
    });
  });

  describe("listener certificate", () => {
    it("serves a certificate from the Pulumi-held CA for the bootstrap Service and every broker", async () => {
      const r = await renderKafka(config());
      const csr = r.inputs(r.one("tls:index/certRequest:CertRequest"));
      expect(csr.dnsNames).toEqual(
        expect.arrayContaining([
          "kafka-kafka-bootstrap.ml-dev-platform.svc",
          "kafka-kafka-bootstrap.ml-dev-platform.svc.cluster.local",
          "*.kafka-kafka-brokers.ml-dev-platform.svc",
        ]),
      );
      expect(r.inputs(r.one("tls:index/locallySignedCert:LocallySignedCert")).allowedUses).toContain(
        "server_auth",
      );
      const listener = kafkaSpec(r).kafka.listeners[0];
      expect(listener.configuration.brokerCertChainAndKey).toEqual({
        secretName: "kafka-listener-tls",
        certificate: "tls.crt",
        key: "tls.key",
      });
      const secret = r.inputs(r.one(SECRET, "listener-cert"));
      expect(secret.metadata).toEqual(
        expect.objectContaining({ name: "kafka-listener-tls", namespace: "ml-dev-platform" }),
      );
      expect(secret.type).toBe("kubernetes.io/tls");
      // Contents (PKCS #8 key, chain order) are checked in strimziPki.test.ts, whose mocks give tls outputs values.
    });
  });

  describe("network", () => {
    it("admits exactly the client namespaces to the listener", async () => {
      const r = await renderKafka(config());
      expect(kafkaSpec(r).kafka.listeners[0].networkPolicyPeers).toEqual([
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ml-dev-fraud" } } },
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ml-dev-pricing" } } },
      ]);
    });

    it("admits the KEDA operator pods when given, to read consumer lag", async () => {
      const r = await renderKafka(config(), { kedaOperator: { namespace: "keda" } });
      expect(kafkaSpec(r).kafka.listeners[0].networkPolicyPeers).toContainEqual({
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "keda" } },
        podSelector: { matchLabels: { app: "keda-operator" } },
      });
    });

    it("lets brokers and controllers reach each other, the API server and DNS, and nothing else", async () => {
      const r = await renderKafka(config({ environment: "prod" }), {
        apiServerCidrs: ["10.0.0.1/32", "10.0.0.2/32"],
      });
      const policy = r.inputs(r.one(NETPOL, "kafka-nodes-egress"));
      expect(policy.spec.podSelector).toEqual({
        matchLabels: {
          "strimzi.io/cluster": "kafka",
          "strimzi.io/kind": "Kafka",
          "strimzi.io/name": "kafka-kafka",
        },
      });
      expect(policy.spec.policyTypes).toEqual(["Egress"]);
      expect(policy.spec.egress).toEqual([
        {
          to: [
            {
              podSelector: {
                matchLabels: {
                  "strimzi.io/cluster": "kafka",
                  "strimzi.io/kind": "Kafka",
                  "strimzi.io/name": "kafka-kafka",
                },
              },
            },
          ],
          ports: [
            { protocol: "TCP", port: 9090 },
            { protocol: "TCP", port: 9091 },
          ],
        },
        {
          to: [{ ipBlock: { cidr: "10.0.0.1/32" } }, { ipBlock: { cidr: "10.0.0.2/32" } }],
          ports: [
            { protocol: "TCP", port: 443 },
            { protocol: "TCP", port: 6443 },
          ],
        },
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ]);
    });

    it("lets the Entity Operator reach the replication listener, the API server and DNS", async () => {
      const r = await renderKafka(config({ target: "openshift" }));
      const policy = r.inputs(r.one(NETPOL, "entity-operator-egress"));
      expect(policy.spec.podSelector.matchLabels["strimzi.io/name"]).toBe("kafka-entity-operator");
      expect(policy.spec.egress[0]).toEqual({
        to: [
          {
            podSelector: {
              matchLabels: {
                "strimzi.io/cluster": "kafka",
                "strimzi.io/kind": "Kafka",
                "strimzi.io/name": "kafka-kafka",
              },
            },
          },
        ],
        ports: [{ protocol: "TCP", port: 9091 }],
      });
      expect(policy.spec.egress[1].ports.map((p: { port: number }) => p.port)).toEqual([443, 6443]);
      expect(policy.spec.egress[2].to[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"]).toBe(
        "openshift-dns",
      );
    });

    it("emits Kubernetes objects that match the upstream schemas", async () => {
      const { r } = await renderGrant(config({ environment: "prod" }), { monitoringNamespace: "monitoring" });
      const builtIn = r.resources.filter(
        (res) =>
          res.type.startsWith("kubernetes:core/") || res.type.startsWith("kubernetes:networking.k8s.io/"),
      );
      const result = validateObjects(builtIn.map((res) => r.inputs(res)));
      expect(result.errors).toEqual([]);
      expect(result.checked).toBe(builtIn.length);
    });
  });
});
