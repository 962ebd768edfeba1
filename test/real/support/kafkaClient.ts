/**
 * Kafka clients for the real-process tests: each call runs kafka_client.py (beside this file)
 * with a given Python environment, normally the MLflow image's, so the tests speak to the broker
 * with the same confluent-kafka / librdkafka as the stream consumer.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import type { KafkaBroker } from "./kafka";
import { KAFKA_ADMIN_USER } from "./kafka";

const SCRIPT = path.join(__dirname, "kafka_client.py");

/** librdkafka properties. */
export type KafkaClientConfig = Record<string, string | number | boolean>;

export interface KafkaRecord {
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
  partition: number;
  offset: number;
  /** Create time (ms since the epoch) set by the producer. */
  timestamp: number;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  replicas: number;
  config: Record<string, string>;
}

/** One ALLOW ACL in the Admin API's terms (enum names of confluent_kafka.admin). */
export interface AclSpec {
  principal: string;
  resource_type: "TOPIC" | "GROUP" | "CLUSTER" | "TRANSACTIONAL_ID";
  name: string;
  pattern_type: "LITERAL" | "PREFIXED";
  operation: string;
  host: string;
}

/** The settings a SCRAM-SHA-512 user connects to the broker's TLS listener with. */
export function scramClientConfig(
  broker: KafkaBroker,
  username: string,
  password: string,
): KafkaClientConfig {
  return {
    "bootstrap.servers": broker.bootstrapServers,
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.username": username,
    "sasl.password": password,
    "ssl.ca.location": broker.caFile,
  };
}

export function adminClientConfig(broker: KafkaBroker): KafkaClientConfig {
  return scramClientConfig(broker, KAFKA_ADMIN_USER, broker.adminPassword);
}

export class KafkaClient {
  constructor(private readonly python: string) {}

  private run<T>(command: string, spec: unknown, timeoutMs = 120_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        this.python,
        [SCRIPT, command],
        { encoding: "utf8", timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) {
            reject(new Error(`kafka_client.py ${command} failed: ${error.message}\n${stderr}`.trim()));
            return;
          }
          try {
            resolve(JSON.parse(stdout) as T);
          } catch {
            reject(new Error(`kafka_client.py ${command} printed no JSON:\n${stdout}\n${stderr}`));
          }
        },
      );
      child.stdin?.end(JSON.stringify(spec));
    });
  }

  /** Creates topics and ACLs (as the admin). */
  apply(config: KafkaClientConfig, topics: TopicSpec[], acls: AclSpec[]): Promise<unknown> {
    return this.run("apply", { config, topics, acls });
  }

  /** Deletes ACLs (as the admin). */
  revoke(config: KafkaClientConfig, acls: AclSpec[]): Promise<{ deleted: number }> {
    return this.run("revoke", { config, acls });
  }

  /** Every record of a topic, from the beginning to its end when called (no consumer group). */
  read(config: KafkaClientConfig, topic: string): Promise<{ records: KafkaRecord[]; errors: string[] }> {
    return this.run("read", { config, topic });
  }

  produce(
    config: KafkaClientConfig,
    topic: string,
    records: Array<{ key?: string; value: string | null; headers?: Record<string, string> }>,
    timeoutS = 30,
    /** Records per second at most; unset: as fast as the client goes. */
    rate?: number,
  ): Promise<{ delivered: number; undelivered: number; errors: string[] }> {
    return this.run(
      "produce",
      { config, topic, records, timeout_s: timeoutS, rate },
      (timeoutS + 600) * 1000,
    );
  }

  /** Subscribes as `config["group.id"]` and returns after `count` records or `timeoutS`; commits nothing. */
  consume(
    config: KafkaClientConfig,
    topics: string[],
    count: number,
    timeoutS = 30,
    stopOnError = false,
  ): Promise<{ records: KafkaRecord[]; errors: string[] }> {
    return this.run(
      "consume",
      { config, topics, count, timeout_s: timeoutS, stop_on_error: stopOnError },
      (timeoutS + 60) * 1000,
    );
  }

  /** Committed offset per partition of `config["group.id"]` (negative: none). */
  committed(config: KafkaClientConfig, topic: string): Promise<{ offsets: Record<string, number> }> {
    return this.run("committed", { config, topic });
  }

  /** High watermark per partition. */
  end(config: KafkaClientConfig, topic: string): Promise<{ offsets: Record<string, number> }> {
    return this.run("end", { config, topic });
  }

  /** Whether the client may read a topic's metadata, and the errors it saw trying. */
  metadata(
    config: KafkaClientConfig,
    topic: string,
    timeoutS = 10,
  ): Promise<{ ok: boolean; errors: string[] }> {
    return this.run("metadata", { config, topic, timeout_s: timeoutS });
  }
}
