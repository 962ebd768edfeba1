/**
 * The dev stack's streaming model (`fraud-detector`: runtime mlflow, so the stream consumer) run
 * for real: a Kafka broker with the users, topics and ACLs the stack renders (kafka.ts,
 * strimziGrants.ts), a trivial model logged to the real MLflow tracking server and published to
 * where the model's `source` points, and the model container of the rendered Deployment started
 * as a local process (podProcesses.ts): its command (`python /opt/mlstack/stream/stream_consumer.py`,
 * the file from the rendered ConfigMap, i.e. components/serving/streamConsumer.py unmodified), its
 * env with the grant's KAFKA_* variables, its mounts and its probes.
 *
 * What stands in for the cluster, and nothing else, is overridden: the Kafka bootstrap address,
 * the CA file (the test broker's CA instead of the mock one), the object store's endpoint and
 * keys (an ObjectBucketClaim's Secret is made by the provisioner, not rendered).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PlanResult } from "../../../cli/plan";
import { KafkaBroker, startKafka } from "./kafka";
import { KafkaClient, KafkaClientConfig, adminClientConfig } from "./kafkaClient";
import { mlflowImageEnv, mlflowImageProcessEnv } from "./mlflowImageEnv";
import {
  ContainerProcessSpec,
  PodSandbox,
  containerProcessSpec,
  podSandbox,
  startContainer,
} from "./podProcesses";
import { RunningProcess, waitUntil } from "./processes";
import type { PythonEnv } from "./pythonEnv";
import { inputsOf, renderedStack, secretData } from "./renderedStack";
import { StrimziGrants, strimziGrants } from "./strimziGrants";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered pod specs are untyped JSON */

export const STREAMING_MODEL = "fraud-detector";
const MODEL_CONTAINER = "model";
const READY_TIMEOUT_MS = 180_000;

/** Where the model the consumer loads comes from, and the env that reaches it. */
export interface ModelSource {
  /** Env overrides that point the container at the object store standing in for the cluster's. */
  overrides: Record<string, string>;
  stop(): Promise<void>;
}

export interface StreamConsumer {
  process: RunningProcess;
  spec: ContainerProcessSpec;
  /** The loopback URL of the readiness probe (`/ping`). */
  readiness: string;
  logFile: string;
}

export class StreamConsumerFixture {
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly group: string;
  readonly client: KafkaClient;
  private sandboxes: PodSandbox[] = [];
  private count = 0;

  private constructor(
    readonly plan: PlanResult,
    readonly grants: StrimziGrants,
    readonly broker: KafkaBroker,
    readonly image: PythonEnv,
    private readonly pod: any,
    private readonly namespace: string,
    private readonly model: ModelSource,
    readonly logDir: string,
  ) {
    const env = new Map<string, string>(
      (this.container.env ?? []).filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]),
    );
    const read = (name: string) => {
      const value = env.get(name);
      if (value === undefined) throw new Error(`the rendered ${STREAMING_MODEL} container has no ${name}`);
      return value;
    };
    this.inputTopic = read("KAFKA_INPUT_TOPIC");
    this.outputTopic = read("KAFKA_OUTPUT_TOPIC");
    this.group = read("KAFKA_CONSUMER_GROUP");
    this.client = new KafkaClient(image.python);
  }

  /**
   * Renders the dev stack, starts the broker with its grants and the model source (given the
   * rendered MODEL_URI and the image env; see streamModelSource.ts).
   */
  static async create(
    logDir: string,
    modelSource: (modelUri: string, image: PythonEnv) => Promise<ModelSource>,
  ): Promise<StreamConsumerFixture> {
    const plan = await renderedStack("dev");
    const grants = strimziGrants(plan, plan.config.kafka.name);
    const deployment = plan.resources
      .map(inputsOf)
      .find((o: any) => o?.kind === "Deployment" && o.metadata?.name === STREAMING_MODEL);
    if (!deployment) throw new Error(`the dev stack renders no Deployment ${STREAMING_MODEL}`);
    const image = mlflowImageEnv();
    const container = deployment.spec.template.spec.containers.find((c: any) => c.name === MODEL_CONTAINER);
    const modelUri = container?.env?.find((e: any) => e.name === "MODEL_URI")?.value;
    if (typeof modelUri !== "string")
      throw new Error(`${STREAMING_MODEL}: no MODEL_URI in the rendered container`);
    // The broker and the tracking server start side by side: each takes a while on two cores.
    const [broker, model] = await Promise.allSettled([
      startKafka({ users: grants.users, config: grants.brokerConfig }).then(async (started) => {
        try {
          await new KafkaClient(image.python).apply(adminClientConfig(started), grants.topics, grants.acls);
          return started;
        } catch (error) {
          await started.destroy();
          throw error;
        }
      }),
      modelSource(modelUri, image),
    ]);
    if (broker.status === "rejected" || model.status === "rejected") {
      if (broker.status === "fulfilled") await broker.value.destroy();
      if (model.status === "fulfilled") await model.value.stop();
      throw broker.status === "rejected" ? broker.reason : (model as PromiseRejectedResult).reason;
    }
    fs.mkdirSync(logDir, { recursive: true });
    return new StreamConsumerFixture(
      plan,
      grants,
      broker.value,
      image,
      deployment.spec.template.spec,
      deployment.metadata.namespace,
      model.value,
      logDir,
    );
  }

  private get container(): any {
    return this.pod.containers.find((c: any) => c.name === MODEL_CONTAINER);
  }

  /** The admin's client settings (a super user: reads every topic and group). */
  get admin(): KafkaClientConfig {
    return adminClientConfig(this.broker);
  }

  /** The admin's settings reading as the consumer's group (committed offsets). */
  get asGroup(): KafkaClientConfig {
    return { ...this.admin, "group.id": this.group };
  }

  /**
   * Starts the model container; waits for its readiness probe unless `waitReady` is false.
   * `overrides` are set after the rendered env (e.g. a wrong password for a failure test).
   */
  async start(
    label: string,
    options: { overrides?: Record<string, string>; waitReady?: boolean } = {},
  ): Promise<StreamConsumer> {
    const sandbox = await podSandbox(this.pod);
    this.sandboxes.push(sandbox);
    this.writeMountedFiles(sandbox);
    const container = this.container;
    // Secrets reach the container through env `secretKeyRef`s: resolved from the rendered Secrets,
    // as the kubelet does; those the render cannot hold are overridden below.
    const fromSecrets: Record<string, string> = {};
    for (const entry of container.env ?? []) {
      const ref = entry.valueFrom?.secretKeyRef;
      if (!ref) continue;
      try {
        fromSecrets[entry.name] = secretData(this.plan, this.namespace, ref.name)[ref.key];
      } catch {
        /* made in the cluster (ObjectBucketClaim): must be among the overrides */
      }
    }
    const overrides = {
      ...this.model.overrides,
      KAFKA_BOOTSTRAP_SERVERS: this.broker.bootstrapServers,
      ...options.overrides,
    };
    const rendered = new Set((container.env ?? []).map((e: any) => e.name));
    const unknown = Object.keys(overrides).filter((name) => !rendered.has(name));
    if (unknown.length > 0)
      throw new Error(`overrides ${unknown.join(", ")} are not variables of the rendered container`);
    const spec = containerProcessSpec(sandbox, this.pod, container, {
      image: this.image,
      baseEnv: { ...mlflowImageProcessEnv(this.image), ...fromSecrets },
      overrides,
    });
    const logFile = path.join(this.logDir, `consumer-${++this.count}-${label}.log`);
    const process = startContainer(spec, logFile);
    const readiness = spec.probes.readiness;
    if (!readiness) throw new Error(`${STREAMING_MODEL}: the rendered container has no HTTP readiness probe`);
    if (options.waitReady !== false) {
      await waitUntil(
        `stream consumer ${label} ready (${readiness})`,
        async () => ((await fetch(readiness).catch(() => undefined))?.status === 200 ? true : undefined),
        READY_TIMEOUT_MS,
        500,
        process,
      );
    }
    return { process, spec, readiness, logFile };
  }

  /**
   * The container's ConfigMap and Secret volumes (podSandbox makes only emptyDirs), written into
   * the sandbox and registered with it, so their paths in the command and env are moved too.
   */
  private writeMountedFiles(sandbox: PodSandbox): void {
    const caPath = (this.container.env ?? []).find((e: any) => e.name === "KAFKA_SSL_CA_LOCATION")?.value;
    for (const mount of this.container.volumeMounts ?? []) {
      const volume = (this.pod.volumes ?? []).find((v: any) => v.name === mount.name);
      if (!volume?.configMap && !volume?.secret) continue;
      const dir = path.join(sandbox.root, "volumes", mount.name);
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      const source = volume.configMap ?? volume.secret;
      const data: Record<string, string> = volume.configMap
        ? this.configMap(volume.configMap.name)
        : secretData(this.plan, this.namespace, volume.secret.secretName);
      const items: Array<{ key: string; path: string }> =
        source.items ?? Object.keys(data).map((key) => ({ key, path: key }));
      for (const item of items) {
        const containerPath = `${mount.mountPath}/${item.path}`;
        // The CA the grant's KAFKA_SSL_CA_LOCATION names: the test broker's instead of the mock one.
        const content =
          containerPath === caPath ? fs.readFileSync(this.broker.caFile, "utf8") : data[item.key];
        if (content === undefined) throw new Error(`volume ${mount.name}: no key ${item.key}`);
        fs.writeFileSync(path.join(dir, item.path), content, { mode: 0o444 });
      }
      sandbox.volumes.set(mount.name, dir);
    }
  }

  private configMap(name: string): Record<string, string> {
    const map = this.plan.resources
      .map(inputsOf)
      .find(
        (o: any) =>
          o?.kind === "ConfigMap" && o.metadata?.name === name && o.metadata?.namespace === this.namespace,
      );
    if (!map) throw new Error(`the render has no ConfigMap ${this.namespace}/${name}`);
    return map.data ?? {};
  }

  async destroy(): Promise<void> {
    await this.broker.destroy();
    await this.model.stop();
    for (const sandbox of this.sandboxes) sandbox.remove();
  }
}
