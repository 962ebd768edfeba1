import {
  DEFAULT_CONTROLLER_STORAGE,
  ENTITY_OPERATOR_RESOURCES,
  StrimziKafka,
  StrimziKafkaArgs,
} from "../../../components/kafka/StrimziKafka";
import { NON_ROOT_UID } from "../../../components/kube/podSecurity";
import { Rendered } from "../../support/render";
import { validateObjects } from "../../support/schemas";
import { V1, V1BETA2, config, kafkaArgs, strimzi } from "./strimziFixtures";
import { NETPOL, renderKafka, renderGrant, kafkaSpec } from "./strimziRender";

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
});
