/**
 * The stream consumer that turns an MLflow model into a Kafka-to-Kafka scorer (see
 * streamConsumer.py beside this file). `mlflow models serve` answers HTTP only, so a streaming
 * model on the mlflow runtime runs this program instead, with the same image: it is shipped in a
 * ConfigMap and mounted read-only, so no extra image has to be built, pinned or allowed.
 *
 * The image must provide `confluent-kafka` (and `aws-msk-iam-sasl-signer-python` for MSK IAM,
 * `google-auth` for Managed Service for Apache Kafka) besides MLflow and pandas.
 */
import { readFileSync } from "fs";
import { join } from "path";

export const STREAM_CONSUMER_FILE = "stream_consumer.py";
export const STREAM_CONSUMER_DIR = "/opt/mlstack/stream";
export const STREAM_CONSUMER_PATH = `${STREAM_CONSUMER_DIR}/${STREAM_CONSUMER_FILE}`;

let source: string | undefined;

/** The program's source, read once from the file beside this module. */
export function streamConsumerSource(): string {
  source ??= readFileSync(join(__dirname, "streamConsumer.py"), "utf8");
  return source;
}
