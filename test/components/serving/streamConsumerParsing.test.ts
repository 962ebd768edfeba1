/**
 * The stream consumer's pure parsing helpers (components/serving/streamConsumer.py): the
 * librdkafka settings it derives from a grant's env and the metrics it renders from librdkafka's
 * statistics. Nothing is faked: the helpers use the standard library only. Consuming, scoring,
 * committing and error handling run against a real broker and model in
 * test/real/streamConsumer.test.ts.
 */
import { execFileSync } from "child_process";
import { join } from "path";

const PROGRAM = join(__dirname, "../../../components/serving/streamConsumer.py");
const RUNNER = join(__dirname, "streamConsumerParsing.py");

const out = JSON.parse(
  execFileSync("python3", [RUNNER, PROGRAM], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", PYTHONDONTWRITEBYTECODE: "1" },
    timeout: 30_000,
  }),
) as { scram: Record<string, string>; metrics: string };

it("turns the grant's KAFKA_* variables into librdkafka settings, dropping Java-only, empty and its own ones", () => {
  expect(out.scram).toEqual({
    "bootstrap.servers": "kafka:9093",
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.username": "model",
    "sasl.password": "from-a-secret",
    "ssl.ca.location": "/etc/mlstack/kafka-ca/ca.crt",
  });
});

it("renders records by outcome and a cumulative latency histogram", () => {
  expect(out.metrics).toContain('mlstack_stream_records_total{outcome="ok"} 3');
  expect(out.metrics).toContain('mlstack_stream_records_total{outcome="error"} 1');
  expect(out.metrics).toContain('mlstack_stream_record_duration_seconds_bucket{le="0.01"} 1');
  expect(out.metrics).toContain('mlstack_stream_record_duration_seconds_bucket{le="0.025"} 4');
  expect(out.metrics).toContain('mlstack_stream_record_duration_seconds_bucket{le="+Inf"} 4');
  expect(out.metrics).toContain("mlstack_stream_record_duration_seconds_count 4");
});

it("reads the lag of assigned partitions from librdkafka's statistics, skipping unknown lag and the internal partition", () => {
  expect(out.metrics).toContain('mlstack_stream_consumer_lag{topic="transactions",partition="0"} 7');
  expect(out.metrics).not.toContain('partition="1"');
  expect(out.metrics).not.toContain('partition="-1"');
});
