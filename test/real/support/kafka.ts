/**
 * A real Apache Kafka broker for the real-process tests: `org.apache.kafka:kafka_2.13` at the
 * version the platform defaults to (stacks/config/defaults.ts, DEFAULT_KAFKA_VERSION), fetched
 * from Maven Central with Maven into `.cache/kafka/<version>-<hash>` (git-ignored, keyed by the
 * generated pom) and run as `java -cp '<jars>/*' kafka.Kafka server.properties`: one KRaft node
 * (broker and controller) on 127.0.0.1 at free ports, in a temporary folder.
 *
 * Its client listener is secured the way StrimziKafka configures Strimzi's `tls` listener: TLS
 * (a certificate for 127.0.0.1 from a throwaway CA made with openssl) and SCRAM-SHA-512, with
 * the StandardAuthorizer (what Strimzi's `simple` authorization runs on KRaft) and no ACL meaning
 * no access. There is no plaintext listener. The users' SCRAM credentials are written when the
 * storage is formatted (`kafka-storage format --add-scram`), so they exist before the broker
 * answers. The controller listener uses mutual TLS with the broker's certificate, as Strimzi's
 * internal listeners do, so no unauthenticated principal is ever a super user.
 *
 * Further client listeners can be added (`listeners`), each with its own port and listener-scoped
 * settings, e.g. the mutual-TLS listener Strimzi runs for `authentication.type: tls`
 * (strimziMtls.ts); the SCRAM listener stays, so the admin can always apply topics and ACLs.
 *
 * Topics and ACLs are applied through the Admin API once the broker runs (kafkaAdmin.ts).
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_KAFKA_VERSION } from "../../../stacks/config/defaults";
import { buildOnce } from "./buildOnce";
import { freePort, LOOPBACK, waitForPort } from "./ports";
import { javaMajorVersion, requireCommand } from "./prerequisites";
import { RunningProcess, startProcess, waitUntil } from "./processes";
import { CACHE_ROOT } from "./pythonEnv";

/** Kafka 4.x brokers need Java 17 (https://kafka.apache.org/41/documentation.html#java). */
const MIN_JAVA = 17;
/**
 * Kafka's runtime dependencies bring slf4j-api 1.7 and log4j-core 2 but no binding between them
 * (the distribution's libs/ adds it): without this jar the broker logs nothing. Its version must be
 * the log4j-core Kafka itself brings, or Maven's nearest-wins rule downgrades Kafka's log4j to the
 * binding's: 2.25.4 is what kafka_2.13 4.3.1 resolves (through org.apache.kafka:kafka-server 4.3.1,
 * `mvn dependency:tree -Dincludes=org.apache.logging.log4j`). Move it with the version table's Kafka.
 */
const LOG4J_SLF4J_BINDING = {
  groupId: "org.apache.logging.log4j",
  artifactId: "log4j-slf4j-impl",
  version: "2.25.4",
};
/** The super user the tests administer the cluster with (Strimzi's is its own operator's principal). */
export const KAFKA_ADMIN_USER = "admin";
/** Subject of the broker certificate; as a client of the controller listener it is `User:CN=kafka-broker`. */
const BROKER_CN = "kafka-broker";
const START_TIMEOUT_MS = 120_000;
const MAVEN_TIMEOUT_MS = 15 * 60_000;

export interface KafkaUserCredentials {
  name: string;
  password: string;
}

/** Another client listener on 127.0.0.1 at a free port, secured by its own settings. */
export interface KafkaListenerOptions {
  /** Listener name, e.g. Strimzi's `TLS-9093` (letters, digits, `-`, `_`; not CLIENT or CONTROLLER). */
  name: string;
  /** Its security protocol (listener.security.protocol.map). */
  protocol: "SSL" | "SASL_SSL";
  /** Settings scoped to it, without the `listener.name.<name>.` prefix (e.g. `ssl.client.auth`). */
  settings: Record<string, string | number | boolean>;
}

export interface KafkaBrokerOptions {
  /** SCRAM-SHA-512 users created at format time, besides the admin. */
  users: KafkaUserCredentials[];
  /**
   * Cluster-wide broker settings, e.g. the `spec.kafka.config` of the rendered Kafka resource
   * (replication factors, min.insync.replicas, auto.create.topics.enable).
   */
  config?: Record<string, string | number | boolean>;
  version?: string;
  /** Client listeners besides the SCRAM one. */
  listeners?: KafkaListenerOptions[];
}

export interface KafkaBroker {
  /** `127.0.0.1:<port>` of the SASL_SSL listener; unchanged across restarts. */
  readonly bootstrapServers: string;
  /** `127.0.0.1:<port>` of each further listener (`options.listeners`), by name. */
  readonly listenerAddresses: Record<string, string>;
  /** PEM of the CA that issued the listener certificate: what clients trust. */
  readonly caFile: string;
  /** The admin's password (user KAFKA_ADMIN_USER, a super user). */
  readonly adminPassword: string;
  /** Temporary folder with the config, data and log. */
  readonly dir: string;
  readonly logFile: string;
  /** The running broker process (replaced by `start()`). */
  readonly process: RunningProcess;
  /** Starts the broker again on the same ports and data (after `stop()`). */
  start(): Promise<void>;
  /** Stops the broker with SIGTERM (a controlled shutdown) and waits for it to exit. */
  stop(): Promise<number | string>;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
  /** Whether the broker process runs, and the last `lines` lines of its log: for a failing test's message. */
  report(lines?: number): string;
}

/**
 * The folder of the broker's jars for a version, fetched with Maven on first use. Under a lock
 * (buildOnce.ts): two test files starting a broker at once on a clean clone would otherwise run
 * two Mavens into the same local repository (~/.m2), which Maven does not lock, and one can read a
 * jar the other is still writing.
 */
export function kafkaJars(version: string = DEFAULT_KAFKA_VERSION): string {
  requireCommand("mvn", "maven");
  const pom = generatedPom(version);
  const key = crypto.createHash("sha256").update(pom).digest("hex").slice(0, 12);
  const dir = path.join(CACHE_ROOT, "kafka", `${version}-${key}`);
  const libs = path.join(dir, "libs");
  buildOnce(dir, MAVEN_TIMEOUT_MS, () => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "pom.xml"), pom);
    const result = spawnSync(
      "mvn",
      [
        "--batch-mode",
        "--quiet",
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        `-DoutputDirectory=${libs}`,
      ],
      { cwd: dir, encoding: "utf8", timeout: MAVEN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
    );
    if (result.status !== 0) {
      throw new Error(
        `fetching Kafka ${version} with Maven failed (exit ${result.status ?? result.signal}):\n` +
          `${result.stdout}${result.stderr}`.split("\n").slice(-30).join("\n"),
      );
    }
  });
  return libs;
}

function generatedPom(version: string): string {
  const dependency = (g: string, a: string, v: string) =>
    `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return [
    `<project xmlns="http://maven.apache.org/POM/4.0.0">`,
    `  <modelVersion>4.0.0</modelVersion>`,
    `  <groupId>io.mlstack.test</groupId>`,
    `  <artifactId>kafka-broker</artifactId>`,
    `  <version>1</version>`,
    `  <packaging>pom</packaging>`,
    `  <dependencies>`,
    dependency("org.apache.kafka", "kafka_2.13", version),
    dependency(LOG4J_SLF4J_BINDING.groupId, LOG4J_SLF4J_BINDING.artifactId, LOG4J_SLF4J_BINDING.version),
    `  </dependencies>`,
    `</project>`,
    "",
  ].join("\n");
}

function requireJava(): string {
  const major = javaMajorVersion();
  if (major < MIN_JAVA) {
    throw new Error(
      `the Kafka tests need Java ${MIN_JAVA} or later, found ${major || "an unreadable version"}: ` +
        "apt-get install -y openjdk-17-jre-headless (.ci/run does this)",
    );
  }
  return requireCommand("java", "openjdk-17-jre-headless");
}

/** Runs openssl in `cwd`; throws with its stderr when it fails. */
export function openssl(args: string[], cwd: string): void {
  const result = spawnSync(requireCommand("openssl", "openssl"), args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`openssl ${args.join(" ")} failed:\n${result.stderr}`);
}

/** A CA and a broker certificate for 127.0.0.1 / localhost, usable as server and as client (controller mTLS). */
function makeCertificates(dir: string): { ca: string; chain: string; key: string } {
  openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=mlstack test Kafka CA",
    ].concat(["-keyout", "ca.key", "-out", "ca.crt"]),
    dir,
  );
  openssl(
    [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${BROKER_CN}`,
      "-keyout",
      "broker.key",
      "-out",
      "broker.csr",
    ],
    dir,
  );
  fs.writeFileSync(
    path.join(dir, "broker.ext"),
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth,clientAuth",
      `subjectAltName=IP:${LOOPBACK},DNS:localhost`,
      "",
    ].join("\n"),
  );
  openssl(
    [
      "x509",
      "-req",
      "-in",
      "broker.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
    ].concat(["-extfile", "broker.ext", "-out", "broker.crt"]),
    dir,
  );
  const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8").trim();
  // OpenSSL 3 writes unencrypted PKCS #8 ("BEGIN PRIVATE KEY"), the only key form Kafka's PEM keystore reads.
  return {
    ca: path.join(dir, "ca.crt"),
    chain: `${read("broker.crt")}\n${read("ca.crt")}`,
    key: read("broker.key"),
  };
}

/** A value for a Java properties file: backslashes, newlines and leading spaces escaped. */
function propertyValue(value: string | number | boolean): string {
  return String(value).replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/^ /, "\\ ");
}

function scramJaas(user: string, password: string): string {
  return `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`;
}

/** Kafka's cluster id: 16 random bytes, URL-safe base64 without padding. */
function clusterId(): string {
  return crypto.randomBytes(16).toString("base64url");
}

export async function startKafka(options: KafkaBrokerOptions): Promise<KafkaBroker> {
  const java = requireJava();
  const libs = kafkaJars(options.version);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-kafka-"));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const extra = options.listeners ?? [];
  for (const listener of extra) {
    if (!/^[A-Za-z0-9_-]+$/.test(listener.name) || /^(CLIENT|CONTROLLER)$/i.test(listener.name)) {
      throw new Error(`startKafka: listener name ${JSON.stringify(listener.name)} is not usable`);
    }
  }
  const extraPorts = await Promise.all(extra.map(() => freePort()));
  const extraAddresses = extra.map((l, i) => `${l.name}://${LOOPBACK}:${extraPorts[i]}`);
  const extraSettings = Object.fromEntries(
    extra.flatMap((l) =>
      Object.entries(l.settings).map(([k, v]) => [`listener.name.${l.name.toLowerCase()}.${k}`, v]),
    ),
  );
  const adminPassword = crypto.randomBytes(18).toString("hex");
  const tls = makeCertificates(dir);

  const properties: Record<string, string | number | boolean> = {
    "process.roles": "broker,controller",
    "node.id": 1,
    "controller.quorum.voters": `1@${LOOPBACK}:${controllerPort}`,
    listeners: [
      `CLIENT://${LOOPBACK}:${port}`,
      `CONTROLLER://${LOOPBACK}:${controllerPort}`,
      ...extraAddresses,
    ].join(","),
    "advertised.listeners": [`CLIENT://${LOOPBACK}:${port}`, ...extraAddresses].join(","),
    "listener.security.protocol.map": [
      "CLIENT:SASL_SSL",
      "CONTROLLER:SSL",
      ...extra.map((l) => `${l.name}:${l.protocol}`),
    ].join(","),
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "CLIENT",
    "log.dirs": path.join(dir, "data"),
    "sasl.enabled.mechanisms": "SCRAM-SHA-512",
    "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
    "listener.name.client.scram-sha-512.sasl.jaas.config": scramJaas(KAFKA_ADMIN_USER, adminPassword),
    "listener.name.controller.ssl.client.auth": "required",
    "ssl.keystore.type": "PEM",
    "ssl.keystore.certificate.chain": tls.chain,
    "ssl.keystore.key": tls.key,
    "ssl.truststore.type": "PEM",
    "ssl.truststore.location": tls.ca,
    "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "super.users": `User:${KAFKA_ADMIN_USER};User:CN=${BROKER_CN}`,
    "allow.everyone.if.no.acl.found": false,
    // One node: internal topics with one replica, and few partitions so they are created fast.
    "offsets.topic.replication.factor": 1,
    "offsets.topic.num.partitions": 1,
    "transaction.state.log.replication.factor": 1,
    "transaction.state.log.min.isr": 1,
    "share.coordinator.state.topic.replication.factor": 1,
    "share.coordinator.state.topic.min.isr": 1,
    // A test's consumer group starts consuming at once instead of after the default 3 s.
    "group.initial.rebalance.delay.ms": 0,
    ...extraSettings,
    ...(options.config ?? {}),
  };
  const serverProperties = path.join(dir, "server.properties");
  fs.writeFileSync(
    serverProperties,
    Object.entries(properties)
      .map(([k, v]) => `${k}=${propertyValue(v)}`)
      .join("\n") + "\n",
  );
  const log4j = path.join(dir, "log4j2.properties");
  fs.writeFileSync(
    log4j,
    [
      "status = warn",
      "appender.out.type = Console",
      "appender.out.name = OUT",
      "appender.out.layout.type = PatternLayout",
      "appender.out.layout.pattern = [%d] %p %m (%c)%n",
      "rootLogger.level = INFO",
      "rootLogger.appenderRef.out.ref = OUT",
      "",
    ].join("\n"),
  );
  const classpath = `${libs}/*`;
  const jvm = [
    // Small heap: the machine is shared by many processes, and a test cluster holds little data.
    "-Xms128m",
    "-Xmx512m",
    "-Djava.awt.headless=true",
    `-Dlog4j2.configurationFile=${log4j}`,
    "-cp",
    classpath,
  ];
  const logFile = path.join(dir, "kafka.log");

  const format = spawnSync(
    java,
    [
      ...jvm,
      "kafka.tools.StorageTool",
      "format",
      "--cluster-id",
      clusterId(),
      "--config",
      serverProperties,
      "--add-scram",
      `SCRAM-SHA-512=[name=${KAFKA_ADMIN_USER},password=${adminPassword}]`,
      ...options.users.flatMap((u) => [
        "--add-scram",
        `SCRAM-SHA-512=[name=${u.name},password=${u.password}]`,
      ]),
    ],
    { encoding: "utf8", timeout: START_TIMEOUT_MS },
  );
  fs.appendFileSync(logFile, `${format.stdout}${format.stderr}`);
  if (format.status !== 0) {
    throw new Error(
      `formatting the Kafka storage failed (exit ${format.status}); see ${logFile}\n${format.stderr}`,
    );
  }

  let current: RunningProcess | undefined;
  const report = (lines = 40) => {
    const state = !current
      ? "not started"
      : current.child.exitCode === null && current.child.signalCode === null
        ? `running (pid ${current.child.pid})`
        : `exited (${current.child.exitCode ?? current.child.signalCode})`;
    return `Kafka broker ${LOOPBACK}:${port}: ${state}; last ${lines} lines of ${logFile}:\n${current?.tail(lines) ?? ""}`;
  };
  const start = async () => {
    if (current && current.child.exitCode === null && current.child.signalCode === null) {
      throw new Error(`start(): the broker is still running; stop() it first\n${report()}`);
    }
    const offset = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
    current = startProcess(java, [...jvm, "kafka.Kafka", serverProperties], { logFile, cwd: dir });
    const running = current;
    await waitUntil(
      `Kafka broker on ${LOOPBACK}:${port} (log: ${logFile})`,
      async () => {
        const fd = fs.openSync(logFile, "r");
        try {
          const size = fs.fstatSync(fd).size;
          const buffer = Buffer.alloc(Math.max(0, size - offset));
          fs.readSync(fd, buffer, 0, buffer.length, offset);
          return /Kafka Server started/.test(buffer.toString("utf8")) ? true : undefined;
        } finally {
          fs.closeSync(fd);
        }
      },
      START_TIMEOUT_MS,
      200,
      running,
    );
    // "started" is logged once the listeners are bound; a client that connects now is answered.
    await waitForPort(port, START_TIMEOUT_MS).catch((error: Error) => {
      throw new Error(`${error.message}\n${report()}`);
    });
  };
  await start();

  return {
    bootstrapServers: `${LOOPBACK}:${port}`,
    listenerAddresses: Object.fromEntries(extra.map((l, i) => [l.name, `${LOOPBACK}:${extraPorts[i]}`])),
    caFile: tls.ca,
    adminPassword,
    dir,
    logFile,
    get process() {
      return current as RunningProcess;
    },
    start,
    report,
    stop: () => (current as RunningProcess).stop(30_000),
    async destroy() {
      await current?.stop(30_000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
