/**
 * The stream consumer program (components/serving/streamConsumer.py), run with python3 against
 * in-memory fakes of confluent_kafka, mlflow and pandas (streamConsumerHarness.py): what it
 * consumes, produces and commits, and the Kafka settings it derives from the grant's env.
 */
import { execFileSync } from "child_process";
import { join } from "path";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PROGRAM = join(__dirname, "../../../components/serving/streamConsumer.py");
const HARNESS = join(__dirname, "streamConsumerHarness.py");

function run(scenario: string): Inputs {
  const out = execFileSync("python3", [HARNESS, PROGRAM, scenario], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", PYTHONDONTWRITEBYTECODE: "1" },
    timeout: 30_000,
  });
  return JSON.parse(out);
}

it("turns the grant's KAFKA_* variables into librdkafka settings, dropping Java-only ones and its own", () => {
  const { scram } = run("properties");
  expect(scram).toEqual({
    "bootstrap.servers": "kafka:9093",
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.username": "model",
    "sasl.password": "from-a-secret",
    "ssl.ca.location": "/etc/mlstack/kafka-ca/ca.crt",
  });
});

it("signs in to MSK with an IAM token for the pod's region", () => {
  const out = run("properties");
  expect(out.msk_mechanism).toBe("OAUTHBEARER");
  expect(out.msk_token).toEqual(["token-eu-west-1", 1_700_000_000]);
});

describe("a batch", () => {
  const out = run("batch");

  it("loads the model from MODEL_URI and consumes the input topic as its group, committing manually from the end", () => {
    expect(out.loaded).toBe("s3://models/fraud/3");
    expect(out.subscribed).toEqual(["transactions"]);
    expect(out.consumer_config).toMatchObject({
      "group.id": "fraud-detector",
      "enable.auto.commit": false,
      "auto.offset.reset": "latest",
    });
    expect(out.producer_config).toMatchObject({ "enable.idempotence": true, acks: "all" });
  });

  it("produces one result per record, keyed like its input and in input order", () => {
    expect(out.produced.map((p: Inputs) => [p.topic, p.key])).toEqual([
      ["fraud-scores", "t1"],
      ["fraud-scores", "t2"],
      ["fraud-scores", "t3"],
      ["fraud-scores", "t4"],
    ]);
    expect(out.produced[0].value).toEqual({ predictions: [20] });
    expect(out.produced[2].value).toEqual({ predictions: [2, 4] });
  });

  it("reports unreadable and unscorable records as errors without failing the rest of the batch", () => {
    expect(out.produced[1].value.error).toMatch(/^invalid input/);
    expect(out.produced[1].headers).toEqual(["mlstack-error"]);
    expect(out.produced[3].value.error).toMatch(/^prediction failed/);
    expect(out.produced[0].headers).toEqual([]);
  });

  it("commits once, synchronously, after every result of the batch was delivered", () => {
    expect(out.commits).toEqual([{ asynchronous: false, produced_so_far: 4 }]);
    expect(out.closed).toBe(true);
    expect(out.raised).toBeNull();
  });
});

it("does not commit a batch whose results were not delivered, so it is consumed again", () => {
  const out = run("delivery-failure");
  expect(out.commits).toEqual([]);
  expect(out.raised).toMatch(/results not delivered/);
  expect(out.closed).toBe(true);
});

it("exports records by outcome, a latency histogram and the lag of assigned partitions", () => {
  const { text } = run("metrics");
  expect(text).toContain('mlstack_stream_records_total{outcome="ok"} 3');
  expect(text).toContain('mlstack_stream_records_total{outcome="error"} 1');
  expect(text).toContain('mlstack_stream_record_duration_seconds_bucket{le="0.025"} 4');
  expect(text).toContain("mlstack_stream_record_duration_seconds_count 4");
  expect(text).toContain('mlstack_stream_consumer_lag{topic="transactions",partition="0"} 7');
  expect(text).not.toContain('partition="-1"');
});
