/**
 * `npm run bench:runtime`: figures of what mlstack runs, measured on real processes, printed as
 * key=value lines (nothing is asserted: the figures depend on the machine).
 *
 * The stream consumer: the dev stack's `fraud-detector` container (streamConsumerFixture.ts)
 * against a real broker secured as StrimziKafka configures it, scoring with the trivial model
 * logged to the real tracking server (streamModelSource.ts), 10,000 records per phase:
 * - consumer_records_per_s: 10,000 records produced as fast as the producer goes; records over
 *   the time from the first input record's timestamp to the last output record's;
 * - consumer_p99_ms (and p50): end-to-end latency (output record timestamp minus input record
 *   timestamp, one clock) of 10,000 records produced at half the measured throughput, so the
 *   figure is the consumer's latency, not the time a record waits behind a backlog.
 * MLflow: mlflow_log_metric_per_s from mlflowLogMetric.ts beside this file, when it exists.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { KafkaRecord } from "../support/kafkaClient";
import { StreamConsumerFixture } from "../support/streamConsumerFixture";
import { trackedModelSource } from "../support/streamModelSource";

const RECORDS = 10_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function read(
  fixture: StreamConsumerFixture,
  topic: string,
  prefix: string,
): Promise<Map<string, KafkaRecord>> {
  const { records } = await fixture.client.read(fixture.admin, topic);
  const byKey = new Map<string, KafkaRecord>();
  for (const r of records) if (r.key?.startsWith(prefix) && !byKey.has(r.key)) byKey.set(r.key, r);
  return byKey;
}

/** Produces RECORDS records keyed `<prefix>-<i>` and waits for all their outputs; per-record input and output timestamps. */
async function phase(
  fixture: StreamConsumerFixture,
  prefix: string,
  rate?: number,
): Promise<Array<{ input: number; output: number }>> {
  const records = Array.from({ length: RECORDS }, (_, i) => ({
    key: `${prefix}-${i}`,
    value: JSON.stringify({ amount: i }),
  }));
  const produced = await fixture.client.produce(fixture.admin, fixture.inputTopic, records, 120, rate);
  if (produced.delivered !== RECORDS)
    throw new Error(`produced ${produced.delivered} of ${RECORDS}: ${produced.errors}`);
  const deadline = Date.now() + 15 * 60_000;
  let outputs = await read(fixture, fixture.outputTopic, `${prefix}-`);
  while (outputs.size < RECORDS) {
    if (Date.now() > deadline) throw new Error(`${RECORDS - outputs.size} records of ${prefix} never scored`);
    await new Promise((r) => setTimeout(r, 1000));
    outputs = await read(fixture, fixture.outputTopic, `${prefix}-`);
  }
  const inputs = await read(fixture, fixture.inputTopic, `${prefix}-`);
  return records.map(({ key }) => ({
    input: (inputs.get(key) as KafkaRecord).timestamp,
    output: (outputs.get(key) as KafkaRecord).timestamp,
  }));
}

/** A new group starts at the end once assigned: probe until a record is scored. */
async function waitUntilConsuming(fixture: StreamConsumerFixture): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const key = `probe-${i}`;
    await fixture.client.produce(fixture.admin, fixture.inputTopic, [{ key, value: '{"amount": 1}' }]);
    await new Promise((r) => setTimeout(r, 1000));
    if ((await read(fixture, fixture.outputTopic, key)).has(key)) return;
  }
  throw new Error("the consumer scored no probe record in 5 minutes");
}

async function streamConsumerFigures(): Promise<Record<string, string>> {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-bench-"));
  const fixture = await StreamConsumerFixture.create(logDir, trackedModelSource);
  const consumer = await fixture.start("bench");
  try {
    await waitUntilConsuming(fixture);
    const burst = await phase(fixture, "burst");
    const span = Math.max(...burst.map((r) => r.output)) - Math.min(...burst.map((r) => r.input));
    const perSecond = RECORDS / (span / 1000);
    const rate = Math.max(1, Math.floor(perSecond / 2));
    const paced = await phase(fixture, "paced", rate);
    const latencies = paced.map((r) => r.output - r.input).sort((a, b) => a - b);
    return {
      consumer_records_per_s: perSecond.toFixed(0),
      consumer_p99_ms: String(percentile(latencies, 99)),
      consumer_p50_ms: String(percentile(latencies, 50)),
      consumer_paced_input_per_s: String(rate),
      consumer_records: String(RECORDS),
    };
  } finally {
    await consumer.process.stop(60_000);
    await fixture.destroy();
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

/**
 * MLflow's log_metric rate, from mlflowLogMetric.ts beside this file (written with the MLflow
 * server tests); loaded only when present, so this bench runs without it.
 */
async function mlflowFigures(): Promise<Record<string, string>> {
  const module = path.join(__dirname, "mlflowLogMetric.ts");
  if (!fs.existsSync(module)) return {};
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { measureMlflowLogMetric } = require(module) as {
    measureMlflowLogMetric?: () => Promise<Record<string, string>>;
  };
  return measureMlflowLogMetric ? measureMlflowLogMetric() : {};
}

function print(figures: Record<string, string>): void {
  for (const [key, value] of Object.entries(figures)) console.log(`${key}=${value}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  // Printed as each part finishes, so a failure in one keeps the other's figures.
  print(await streamConsumerFigures());
  print(await mlflowFigures());
  console.log(`bench_runtime_wall_s=${((Date.now() - started) / 1000).toFixed(0)}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench:runtime failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
