import { MOCK_CERT_START } from "../../../cli/mockRuntime";
import type { WorkloadAccess } from "../../../components/identity/contract";
import type { KafkaScalerAuth } from "../../../components/kafka/contract";
import {
  DEFAULT_CONTROLLER_STORAGE,
  ENTITY_OPERATOR_RESOURCES,
  StrimziKafka,
  StrimziKafkaArgs,
  StrimziScalerAuth,
} from "../../../components/kafka/StrimziKafka";
import { NON_ROOT_UID } from "../../../components/kube/podSecurity";
import type { PlatformConfig } from "../../../stacks/config";
import { Rendered, render } from "../../support/render";
import { validateObjects } from "../../support/schemas";
import { V1, V1BETA2, config, identity, kafkaArgs, resolve, strimzi } from "./strimziFixtures";

const SECRET = "kubernetes:core/v1:Secret";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

async function renderKafka(c: PlatformConfig, overrides: Partial<StrimziKafkaArgs> = {}): Promise<Rendered> {
  return render(() => {
    new StrimziKafka("kafka", kafkaArgs(c, overrides));
  });
}

/** Renders the cluster and grants the streaming fraud model its topics, returning the access too. */
async function renderGrant(
  c: PlatformConfig,
  overrides: Partial<StrimziKafkaArgs> = {},
): Promise<{ r: Rendered; access: WorkloadAccess; scaler: StrimziScalerAuth }> {
  let access: WorkloadAccess | undefined;
  let scaler: StrimziScalerAuth | undefined;
  const r = await render(() => {
    const kafka = new StrimziKafka("kafka", kafkaArgs(c, overrides));
    const model = identity(c, "fraud-detector", "fraud");
    access = kafka.grantTopicAccess(
      model,
      { read: ["transactions"], write: ["fraud-scores"], consumerGroup: "fraud-detector" },
      { parent: kafka },
    );
    scaler = kafka.scalerAuth(model);
  });
  return { r, access: access as WorkloadAccess, scaler: scaler as StrimziScalerAuth };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function kafkaSpec(r: Rendered): Record<string, any> {
  return r.inputs(strimzi(r.resources, "Kafka")[0]).spec;
}

describe("StrimziKafka", () => {
  describe.each([
    [V1, "scram-sha-512"],
    [V1, "tls"],
    [V1BETA2, "scram-sha-512"],
    [V1BETA2, "tls"],
  ])("with %s and %s authentication", (apiVersion, authentication) => {
    const c = () => config({ kafka: { apiVersion, authentication } });

    it("writes every Strimzi resource in exactly the configured API version", async () => {
      const { r } = await renderGrant(c());
      const all = r.resources.filter((res) => res.type.startsWith("kubernetes:kafka.strimzi.io/"));
      expect(new Set(all.map((res) => res.type.split(":")[2]))).toEqual(
        new Set(["Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"]),
      );
      for (const res of all) {
        expect(res.type).toBe(`kubernetes:${apiVersion}:${res.type.split(":")[2]}`);
        expect(r.inputs(res).apiVersion).toBe(apiVersion);
      }
    });

    it("puts replicas, storage and resources on the node pools only, never on the Kafka resource", async () => {
      const r = await renderKafka(c());
      const kafka = kafkaSpec(r).kafka;
      for (const removed of ["replicas", "storage", "resources", "jvmOptions"])
        expect(kafka).not.toHaveProperty(removed);
      expect(kafkaSpec(r)).not.toHaveProperty("zookeeper");
      expect(kafkaSpec(r).entityOperator).not.toHaveProperty("tlsSidecar");
      for (const pool of strimzi(r.resources, "KafkaNodePool")) {
        expect(r.inputs(pool).spec).toEqual(
          expect.objectContaining({
            replicas: expect.any(Number),
            storage: expect.any(Object),
            resources: expect.any(Object),
          }),
        );
        expect(r.inputs(pool).spec.storage.volumes[0]).not.toHaveProperty("overrides");
      }
    });

    it("writes KafkaUser ACLs with the operations list only", async () => {
      const { r } = await renderGrant(c());
      for (const acl of r.inputs(strimzi(r.resources, "KafkaUser")[0]).spec.authorization.acls) {
        expect(acl).not.toHaveProperty("operation");
        expect(Array.isArray(acl.operations)).toBe(true);
      }
    });

    it("opens one TLS listener on 9093 with the configured authentication and no plaintext listener", async () => {
      const r = await renderKafka(c());
      const listeners = kafkaSpec(r).kafka.listeners;
      expect(listeners).toHaveLength(1);
      expect(listeners[0]).toEqual(
        expect.objectContaining({
          name: "tls",
          port: 9093,
          type: "internal",
          tls: true,
          authentication: { type: authentication },
        }),
      );
    });

    it("authorizes with simple ACLs and no super users", async () => {
      const r = await renderKafka(c());
      expect(kafkaSpec(r).kafka.authorization).toEqual({ type: "simple" });
    });
  });

  describe("API versions", () => {
    it("annotates a v1beta2 cluster for KRaft and node pools, which operators before 0.48 need", async () => {
      const r = await renderKafka(config({ kafka: { apiVersion: V1BETA2 } }));
      const annotations = r.inputs(strimzi(r.resources, "Kafka")[0]).metadata.annotations;
      expect(annotations["strimzi.io/kraft"]).toBe("enabled");
      expect(annotations["strimzi.io/node-pools"]).toBe("enabled");
    });

    it("leaves the KRaft and node-pool annotations off a v1 cluster (only 0.49+ serves v1, and ignores them)", async () => {
      const r = await renderKafka(config({ kafka: { apiVersion: V1 } }));
      const annotations = r.inputs(strimzi(r.resources, "Kafka")[0]).metadata.annotations;
      expect(annotations).not.toHaveProperty("strimzi.io/kraft");
      expect(annotations).not.toHaveProperty("strimzi.io/node-pools");
    });

    it("makes pulumi wait for the cluster, topics and users to report Ready", async () => {
      const { r } = await renderGrant(config());
      for (const kind of ["Kafka", "KafkaTopic", "KafkaUser"]) {
        for (const res of strimzi(r.resources, kind))
          expect(r.inputs(res).metadata.annotations["pulumi.com/waitFor"]).toBe("condition=Ready");
      }
    });
  });

  describe("sizing and replication", () => {
    it("runs dev as one dual-role node with replication 1", async () => {
      const r = await renderKafka(config());
      const pools = strimzi(r.resources, "KafkaNodePool").map((p) => r.inputs(p));
      expect(pools).toHaveLength(1);
      expect(pools[0].metadata.name).toBe("dual-role");
      expect(pools[0].spec.roles).toEqual(["controller", "broker"]);
      expect(pools[0].spec.replicas).toBe(1);
      expect(kafkaSpec(r).kafka.config).toEqual({
        "default.replication.factor": 1,
        "min.insync.replicas": 1,
        "offsets.topic.replication.factor": 1,
        "transaction.state.log.replication.factor": 1,
        "transaction.state.log.min.isr": 1,
        "auto.create.topics.enable": false,
      });
    });

    it("runs prod as three dedicated controllers and three brokers with replication 3 and min ISR 2", async () => {
      const r = await renderKafka(config({ environment: "prod" }));
      const pools = Object.fromEntries(
        strimzi(r.resources, "KafkaNodePool").map((p) => [r.inputs(p).metadata.name, r.inputs(p).spec]),
      );
      expect(Object.keys(pools).sort()).toEqual(["broker", "controller"]);
      expect(pools.controller).toEqual(expect.objectContaining({ roles: ["controller"], replicas: 3 }));
      expect(pools.broker).toEqual(expect.objectContaining({ roles: ["broker"], replicas: 3 }));
      expect(kafkaSpec(r).kafka.config).toEqual(
        expect.objectContaining({
          "default.replication.factor": 3,
          "min.insync.replicas": 2,
          "offsets.topic.replication.factor": 3,
          "transaction.state.log.replication.factor": 3,
          "transaction.state.log.min.isr": 2,
          "auto.create.topics.enable": false,
        }),
      );
    });

    it("gives brokers the configured JBOD volume and class, kept when the cluster goes", async () => {
      const r = await renderKafka(config({ environment: "prod", kafka: { storageClass: "fast-ssd" } }));
      const pools = Object.fromEntries(
        strimzi(r.resources, "KafkaNodePool").map((p) => [r.inputs(p).metadata.name, r.inputs(p).spec]),
      );
      expect(pools.broker.storage).toEqual({
        type: "jbod",
        volumes: [{ id: 0, type: "persistent-claim", size: "500Gi", class: "fast-ssd", deleteClaim: false }],
      });
      expect(pools.controller.storage.volumes[0]).toEqual(
        expect.objectContaining({ size: DEFAULT_CONTROLLER_STORAGE, class: "fast-ssd", deleteClaim: false }),
      );
    });

    it("sizes the Kafka containers from config and the Entity Operator with fixed limits", async () => {
      const r = await renderKafka(config({ environment: "prod" }));
      for (const pool of strimzi(r.resources, "KafkaNodePool")) {
        expect(r.inputs(pool).spec.resources).toEqual({
          requests: { cpu: "1", memory: "4Gi" },
          limits: { cpu: "2", memory: "8Gi" },
        });
      }
      const eo = kafkaSpec(r).entityOperator;
      expect(eo.topicOperator.resources).toEqual(ENTITY_OPERATOR_RESOURCES);
      expect(eo.userOperator.resources).toEqual(ENTITY_OPERATOR_RESOURCES);
    });

    it("emits the configured Kafka version", async () => {
      const r = await renderKafka(config({ kafka: { version: "4.0.0" } }));
      expect(kafkaSpec(r).kafka.version).toBe("4.0.0");
    });

    it("spreads every pool across hosts and zones when highly available, and not in dev", async () => {
      const prod = await renderKafka(config({ environment: "prod" }));
      for (const pool of strimzi(prod.resources, "KafkaNodePool")) {
        const { spec } = prod.inputs(pool);
        const constraints = spec.template.pod.topologySpreadConstraints;
        expect(constraints.map((t: { topologyKey: string }) => t.topologyKey)).toEqual([
          "kubernetes.io/hostname",
          "topology.kubernetes.io/zone",
        ]);
        expect(constraints[0]).toEqual(
          expect.objectContaining({
            maxSkew: 1,
            whenUnsatisfiable: "DoNotSchedule",
            labelSelector: {
              matchLabels: {
                "strimzi.io/cluster": "kafka",
                "strimzi.io/pool-name": prod.inputs(pool).metadata.name,
              },
            },
          }),
        );
        expect(
          spec.template.pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution,
        ).toHaveLength(1);
      }
      const dev = await renderKafka(config());
      const pod = dev.inputs(strimzi(dev.resources, "KafkaNodePool")[0]).spec.template.pod;
      expect(pod).not.toHaveProperty("topologySpreadConstraints");
      expect(pod).not.toHaveProperty("affinity");
    });
  });

  describe("pod security", () => {
    function containerContexts(r: Rendered): Array<Record<string, unknown>> {
      const pools = strimzi(r.resources, "KafkaNodePool").map((p) => r.inputs(p).spec.template);
      const eo = kafkaSpec(r).entityOperator.template;
      return [
        ...pools.flatMap((t) => [t.kafkaContainer.securityContext, t.initContainer.securityContext]),
        eo.topicOperatorContainer.securityContext,
        eo.userOperatorContainer.securityContext,
      ];
    }
    function podContexts(r: Rendered): Array<Record<string, unknown>> {
      return [
        ...strimzi(r.resources, "KafkaNodePool").map((p) => r.inputs(p).spec.template.pod.securityContext),
        kafkaSpec(r).entityOperator.template.pod.securityContext,
      ];
    }

    it.each(["kubernetes", "openshift"])("hardens every container Strimzi runs on %s", async (target) => {
      const r = await renderKafka(config({ environment: "prod", target }));
      const contexts = containerContexts(r);
      expect(contexts).toHaveLength(6);
      for (const sc of contexts) {
        expect(sc).toEqual(
          expect.objectContaining({
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
          }),
        );
      }
    });

    it("runs the pods as a non-root high UID with an fsGroup for the volumes on Kubernetes", async () => {
      const r = await renderKafka(config({ environment: "prod" }));
      for (const sc of podContexts(r)) {
        expect(sc).toEqual(
          expect.objectContaining({
            runAsNonRoot: true,
            runAsUser: NON_ROOT_UID,
            runAsGroup: NON_ROOT_UID,
            fsGroup: NON_ROOT_UID,
          }),
        );
      }
      for (const sc of containerContexts(r)) expect(sc.runAsUser).toBe(NON_ROOT_UID);
      const pool = r.inputs(strimzi(r.resources, "KafkaNodePool")[0]).spec.template.pod.securityContext;
      expect(pool.fsGroupChangePolicy).toBe("OnRootMismatch");
    });

    it("leaves UID, GID and fsGroup to the restricted-v2 SCC on OpenShift", async () => {
      const r = await renderKafka(config({ environment: "prod", target: "openshift" }));
      for (const sc of [...podContexts(r), ...containerContexts(r)]) {
        for (const fixed of ["runAsUser", "runAsGroup", "fsGroup", "fsGroupChangePolicy", "seLinuxOptions"])
          expect(sc).not.toHaveProperty(fixed);
        expect(sc.runAsNonRoot).toBe(true);
      }
    });
  });

  describe("protection", () => {
    it("protects the cluster, its node pools and its topics in prod", async () => {
      const r = await renderKafka(config({ environment: "prod" }));
      for (const kind of ["Kafka", "KafkaNodePool", "KafkaTopic"]) {
        const found = strimzi(r.resources, kind);
        expect(found.length).toBeGreaterThan(0);
        for (const res of found) expect(res.protect).toBe(true);
      }
    });

    it("leaves dev unprotected", async () => {
      const r = await renderKafka(config());
      for (const kind of ["Kafka", "KafkaNodePool", "KafkaTopic"])
        for (const res of strimzi(r.resources, kind)) expect(res.protect).toBe(false);
    });

    it("protects the mutual-TLS clients CA key in prod", async () => {
      const r = await renderKafka(config({ environment: "prod", kafka: { authentication: "tls" } }));
      expect(r.one("tls:index/privateKey:PrivateKey", "clients-ca-key").protect).toBe(true);
    });
  });

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

  describe("Entity Operator", () => {
    it("runs the Topic and User Operators, the User Operator's Secrets prefixed by the cluster", async () => {
      const r = await renderKafka(config());
      const eo = kafkaSpec(r).entityOperator;
      expect(eo.topicOperator).toBeDefined();
      expect(eo.userOperator.secretPrefix).toBe("kafka-user-");
    });
  });

  describe("metrics", () => {
    it("exports metrics and adds a PodMonitor when there is a monitoring namespace", async () => {
      const r = await renderKafka(config(), { monitoringNamespace: "monitoring" });
      expect(kafkaSpec(r).kafka.metricsConfig).toEqual({
        type: "jmxPrometheusExporter",
        valueFrom: { configMapKeyRef: { name: "kafka-kafka-metrics", key: "kafka-metrics-config.yml" } },
      });
      expect(r.inputs(r.one("kubernetes:core/v1:ConfigMap")).metadata.name).toBe("kafka-kafka-metrics");
      const monitor = r.inputs(r.one("kubernetes:monitoring.coreos.com/v1:PodMonitor"));
      expect(monitor.spec.podMetricsEndpoints.map((e: { port: string }) => e.port)).toEqual([
        "tcp-prometheus",
        "healthcheck",
      ]);
      expect(validateObjects([monitor]).errors).toEqual([]);
    });

    it("admits only the monitoring namespace to the metrics ports of the Kafka and Entity Operator pods", async () => {
      const r = await renderKafka(config(), { monitoringNamespace: "monitoring" });
      const policy = r.inputs(r.one(NETPOL, "metrics-ingress"));
      expect(policy.spec.podSelector.matchExpressions).toEqual([
        { key: "strimzi.io/name", operator: "In", values: ["kafka-kafka", "kafka-entity-operator"] },
      ]);
      expect(policy.spec.policyTypes).toEqual(["Ingress"]);
      expect(policy.spec.ingress).toEqual([
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
          ports: [
            { protocol: "TCP", port: 9404 },
            { protocol: "TCP", port: 8080 },
            { protocol: "TCP", port: 8081 },
          ],
        },
      ]);
    });

    it("exports no metrics without a monitoring namespace", async () => {
      const r = await renderKafka(config());
      expect(kafkaSpec(r).kafka).not.toHaveProperty("metricsConfig");
      expect(r.ofType("kubernetes:monitoring.coreos.com/v1:PodMonitor")).toHaveLength(0);
      expect(r.ofType(NETPOL).filter((p) => p.name.includes("metrics"))).toHaveLength(0);
    });
  });

  describe("refusals before anything is registered", () => {
    const refuse =
      (overrides: Partial<StrimziKafkaArgs>, c = config()) =>
      () =>
        new StrimziKafka("kafka", kafkaArgs(c, overrides));

    it("refuses an empty client namespace list, which Strimzi would open to every pod", () => {
      expect(refuse({ clientNamespaces: [] })).toThrow(
        "clientNamespaces [] is empty: Strimzi opens a listener without peers to every pod in the cluster",
      );
    });

    it("refuses a client namespace that is not a DNS label, or listed twice", () => {
      expect(refuse({ clientNamespaces: ["Team_A"] })).toThrow(
        'clientNamespaces[0] "Team_A" is not a DNS label',
      );
      expect(refuse({ clientNamespaces: ["a", "a"] })).toThrow('clientNamespaces[1] "a" is listed twice');
    });

    it("refuses a namespace that is not a DNS label", () => {
      expect(refuse({ namespace: "" })).toThrow('namespace "" is not a DNS label');
    });

    it("refuses API server CIDRs that are missing or malformed", () => {
      expect(refuse({ apiServerCidrs: [] })).toThrow("apiServerCidrs [] is empty");
      expect(refuse({ apiServerCidrs: ["10.0.0.1"] })).toThrow('apiServerCidrs[0] "10.0.0.1" is not a CIDR');
    });

    it("refuses a cluster name too long for the host names Strimzi derives from it", () => {
      const c = config();
      expect(refuse({ config: { ...c.kafka, name: "k".repeat(50) } }, c)).toThrow(
        "is not a DNS label of at most 49 characters",
      );
    });

    it("refuses a highly available cluster with fewer than three controllers", () => {
      const c = config({ environment: "prod" });
      expect(refuse({ config: { ...c.kafka, controllers: 1 } }, c)).toThrow(
        "config.controllers 1 is below 3",
      );
    });

    it("refuses a topic with fewer replicas than min.insync.replicas", () => {
      const c = config({ environment: "prod" });
      const topics = c.kafka.topics.map((t, i) => (i === 1 ? { ...t, replicas: 1 } : t));
      expect(refuse({ config: { ...c.kafka, topics } }, c)).toThrow(
        "config.topics[1].replicas 1 is below minInsyncReplicas 2: producers with acks=all could never write to topic fraud-scores",
      );
    });

    it("refuses a topic whose KafkaTopic name would exceed 253 characters", () => {
      const c = config();
      const topics = [{ ...c.kafka.topics[0], name: `t${"x".repeat(247)}` }];
      expect(refuse({ config: { ...c.kafka, topics } }, c)).toThrow("config.topics[0].name");
    });

    it("refuses a malformed controller volume size or monitoring namespace", () => {
      expect(refuse({ controllerStorageSize: "20 gigs" })).toThrow(
        'controllerStorageSize "20 gigs" is not a Kubernetes quantity',
      );
      expect(refuse({ monitoringNamespace: "Monitoring" })).toThrow(
        'monitoringNamespace "Monitoring" is not a DNS label',
      );
    });
  });

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
