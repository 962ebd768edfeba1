"""mlstack streaming inference for MLflow models.

Consumes JSON records from KAFKA_INPUT_TOPIC as consumer group KAFKA_CONSUMER_GROUP, scores
them with the MLflow model at MODEL_URI and produces one JSON result per record to
KAFKA_OUTPUT_TOPIC, keyed like its input. Offsets are committed only after the results of a
batch are acknowledged by the brokers: delivery is at-least-once.

Kafka errors: librdkafka reconnects and retries by itself, so a transient error (a broker
restarting, `_TRANSPORT`, `_ALL_BROKERS_DOWN`, a timed-out request) is logged and the loop goes
on; results not yet delivered are flushed until librdkafka delivers them or gives up
(message.timeout.ms), and a batch whose results could not all be delivered is consumed again
from its first offset (seek), never committed. Only errors that retrying cannot fix end the
program with exit code 1 and one log line: librdkafka's fatal errors and refused credentials or
grants (authentication, topic / group / cluster authorization), so the pod restarts with the
Secret's current values and shows as CrashLoopBackOff.

Input record value: a JSON object (one row) or a JSON array of objects (several rows).
Output record value: {"predictions": [...]} with one prediction per input row, or
{"error": "..."} with the header `mlstack-error` when the record could not be scored.

Kafka client settings come from the environment, so a grant can add any of them: every
variable KAFKA_<NAME> other than the topics and group becomes the librdkafka property
<name> (lower case, '_' -> '.'): KAFKA_BOOTSTRAP_SERVERS -> bootstrap.servers,
KAFKA_SECURITY_PROTOCOL -> security.protocol, KAFKA_SASL_USERNAME -> sasl.username,
KAFKA_SSL_CA_LOCATION -> ssl.ca.location. KAFKA_SASL_MECHANISM=AWS_MSK_IAM (MSK IAM, needs
aws-msk-iam-sasl-signer-python) and KAFKA_SASL_MECHANISM=OAUTHBEARER with
KAFKA_OAUTH_PROVIDER=google (Managed Service for Apache Kafka, needs google-auth) sign in
with the pod's workload identity.

HTTP on PORT: /ping (ready: model loaded), /health (live: model loaded and the poll loop
ran recently) and /metrics (Prometheus text format).

Needs confluent-kafka, pandas and mlflow in the image.
"""

import json
import logging
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = logging.getLogger("mlstack.stream")

OWN_VARIABLES = {"KAFKA_INPUT_TOPIC", "KAFKA_OUTPUT_TOPIC", "KAFKA_CONSUMER_GROUP", "KAFKA_OAUTH_PROVIDER"}
# Java client settings a grant may also carry for JVM workloads; librdkafka rejects them.
JAVA_ONLY_PROPERTIES = {"sasl.jaas.config", "ssl.truststore.location", "ssl.truststore.password", "ssl.truststore.type"}
BATCH_SIZE = int(os.environ.get("STREAM_BATCH_SIZE", "100"))
POLL_SECONDS = 1.0
# The poll loop must come round at least this often for /health to pass.
LIVENESS_SECONDS = float(os.environ.get("STREAM_LIVENESS_SECONDS", "120"))
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Errors that no retry can fix: the credentials or the grant are wrong, or the setting is invalid.
# (KafkaError names; librdkafka's own fatal errors are recognised by KafkaError.fatal().)
FATAL_ERRORS = {
    "_AUTHENTICATION",
    "SASL_AUTHENTICATION_FAILED",
    "TOPIC_AUTHORIZATION_FAILED",
    "GROUP_AUTHORIZATION_FAILED",
    "CLUSTER_AUTHORIZATION_FAILED",
    "_INVALID_ARG",
}
# How long one flush waits before the loop checks for fatal errors and reports itself alive.
FLUSH_STEP_SECONDS = 5.0
# librdkafka reports a transient error per connection attempt (every broker, every client): each
# kind is logged at most this often, with the number of reports in between.
TRANSIENT_LOG_SECONDS = 10.0


def kafka_properties(environ):
    """librdkafka properties from KAFKA_* variables (see the module docstring)."""
    props = {}
    for name, value in environ.items():
        if not name.startswith("KAFKA_") or name in OWN_VARIABLES or value == "":
            continue
        prop = name[len("KAFKA_"):].lower().replace("_", ".")
        if prop not in JAVA_ONLY_PROPERTIES:
            props[prop] = value
    mechanism = props.get("sasl.mechanism", "")
    if mechanism == "AWS_MSK_IAM":
        props["sasl.mechanism"] = "OAUTHBEARER"
        props["oauth_cb"] = msk_iam_token(environ)
    elif mechanism == "OAUTHBEARER" and environ.get("KAFKA_OAUTH_PROVIDER") == "google":
        props["oauth_cb"] = google_token()
    return props


def msk_iam_token(environ):
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise SystemExit("KAFKA_SASL_MECHANISM=AWS_MSK_IAM needs AWS_REGION")
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    def callback(_config):
        token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
        return token, expiry_ms / 1000

    return callback


def google_token():
    """OAUTHBEARER token in the form Managed Service for Apache Kafka expects."""
    import base64
    import google.auth
    import google.auth.transport.requests

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])

    def encode(text):
        return base64.urlsafe_b64encode(text.encode("utf-8")).decode("utf-8").rstrip("=")

    def callback(_config):
        if not credentials.valid:
            credentials.refresh(google.auth.transport.requests.Request())
        expiry = credentials.expiry.timestamp() if credentials.expiry else time.time() + 300
        header = json.dumps({"typ": "JWT", "alg": "GOOG_OAUTH2_TOKEN"})
        claims = json.dumps(
            {"exp": expiry, "iat": time.time(), "iss": "Google", "scope": "kafka", "sub": credentials.service_account_email}
        )
        return ".".join([encode(header), encode(claims), encode(credentials.token)]), expiry

    return callback


class Metrics:
    """A few counters and a latency histogram, rendered in Prometheus text format."""

    def __init__(self):
        self.lock = threading.Lock()
        self.records = {"ok": 0, "error": 0}
        self.buckets = [0] * len(LATENCY_BUCKETS)
        self.latency_sum = 0.0
        self.latency_count = 0
        self.lag = {}

    def observe(self, outcome, count, seconds_per_record):
        with self.lock:
            self.records[outcome] += count
            for i, bound in enumerate(LATENCY_BUCKETS):
                if seconds_per_record <= bound:
                    self.buckets[i] += count
            self.latency_sum += seconds_per_record * count
            self.latency_count += count

    def set_lag(self, stats_json):
        """librdkafka statistics callback: consumer lag per assigned partition."""
        lag = {}
        for topic, data in json.loads(stats_json).get("topics", {}).items():
            for partition, p in data.get("partitions", {}).items():
                if partition != "-1" and p.get("consumer_lag", -1) >= 0:
                    lag[(topic, partition)] = p["consumer_lag"]
        with self.lock:
            self.lag = lag

    def render(self):
        with self.lock:
            lines = [
                "# HELP mlstack_stream_records_total Input records scored, by outcome.",
                "# TYPE mlstack_stream_records_total counter",
            ]
            lines += [f'mlstack_stream_records_total{{outcome="{k}"}} {v}' for k, v in self.records.items()]
            lines += [
                "# HELP mlstack_stream_record_duration_seconds Scoring time per input record.",
                "# TYPE mlstack_stream_record_duration_seconds histogram",
            ]
            lines += [
                f'mlstack_stream_record_duration_seconds_bucket{{le="{bound}"}} {n}'
                for bound, n in zip(LATENCY_BUCKETS, self.buckets)
            ]
            lines += [
                f'mlstack_stream_record_duration_seconds_bucket{{le="+Inf"}} {self.latency_count}',
                f"mlstack_stream_record_duration_seconds_sum {self.latency_sum}",
                f"mlstack_stream_record_duration_seconds_count {self.latency_count}",
                "# HELP mlstack_stream_consumer_lag Records behind the end of each assigned partition.",
                "# TYPE mlstack_stream_consumer_lag gauge",
            ]
            lines += [
                f'mlstack_stream_consumer_lag{{topic="{t}",partition="{p}"}} {v}' for (t, p), v in self.lag.items()
            ]
            return "\n".join(lines) + "\n"


class State:
    def __init__(self):
        self.model_loaded = False
        self.last_poll = time.monotonic()
        self.stopping = False


def serve_http(port, state, metrics):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/ping":
                ok = state.model_loaded and not state.stopping
            elif self.path == "/health":
                # Fails until the model is loaded (the startup probe waits for that), then while the
                # poll loop is stuck.
                ok = state.model_loaded and time.monotonic() - state.last_poll < LIVENESS_SECONDS
            elif self.path == "/metrics":
                body = metrics.render().encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            else:
                self.send_error(404)
                return
            self.send_response(200 if ok else 503)
            self.end_headers()

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class FatalKafkaError(Exception):
    """A Kafka error the program exits on (see is_fatal)."""


class TransientErrorLog:
    """Logs transient Kafka errors, each kind (KafkaError name) at most every TRANSIENT_LOG_SECONDS."""

    def __init__(self):
        self.last = {}  # name -> (monotonic time logged, reports since)

    def __call__(self, error):
        now = time.monotonic()
        logged, since = self.last.get(error.name(), (None, 0))
        if logged is not None and now - logged < TRANSIENT_LOG_SECONDS:
            self.last[error.name()] = (logged, since + 1)
            return
        more = f" ({since} more since the last report)" if since else ""
        LOG.warning("transient Kafka error, retrying: %s %s%s", error.name(), error.str(), more)
        self.last[error.name()] = (now, 0)


def is_fatal(error):
    """Whether a KafkaError ends the program; every other error is transient (logged, retried)."""
    return error.fatal() or error.name() in FATAL_ERRORS


def rewind(consumer, messages):
    """Seeks each partition of the batch back to its first offset, so it is consumed again."""
    from confluent_kafka import TopicPartition

    first = {}
    for message in messages:
        key = (message.topic(), message.partition())
        first[key] = min(first.get(key, message.offset()), message.offset())
    for (topic, partition), offset in first.items():
        consumer.seek(TopicPartition(topic, partition, offset))


def rows_of(message):
    """The rows of one input record: a JSON object is one row, an array of objects several."""
    if message.value() is None:
        raise ValueError("record has no value")
    value = json.loads(message.value())
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(row, dict) for row in value):
        return value
    raise ValueError("record value is neither a JSON object nor an array of objects")


def to_json_list(predictions):
    if hasattr(predictions, "to_dict"):  # pandas DataFrame / Series
        try:
            return predictions.to_dict(orient="records")
        except TypeError:
            return predictions.tolist()
    if hasattr(predictions, "tolist"):  # numpy
        return predictions.tolist()
    return list(predictions)


def prediction_result(message, predictions):
    """(message, value, is_error) for a record's predictions. NaN and infinity, which pandas and
    numpy models return for a missing or invalid input value, are not JSON (strict parsers such as
    Java's and JavaScript's reject the record), so such a result is an error result."""
    value = {"predictions": predictions}
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return (message, {"error": "prediction is not valid JSON (NaN or infinity): is an input value missing?"}, True)
    return (message, value, False)


def score(model, messages, metrics):
    """(message, value, is_error) per message, in input order. Scores the batch at once, and one
    record at a time if that fails, so one bad record cannot fail the others."""
    import pandas

    results = [None] * len(messages)
    parsed = []  # (index, rows)
    for i, message in enumerate(messages):
        try:
            parsed.append((i, rows_of(message)))
        except ValueError as error:  # json.JSONDecodeError is a ValueError
            metrics.observe("error", 1, 0.0)
            results[i] = (message, {"error": f"invalid input: {error}"}, True)
    if parsed:
        started = time.monotonic()
        try:
            rows = [row for _, message_rows in parsed for row in message_rows]
            predictions = to_json_list(model.predict(pandas.DataFrame(rows)))
            if len(predictions) != len(rows):
                raise ValueError(f"model returned {len(predictions)} predictions for {len(rows)} rows")
            seconds = (time.monotonic() - started) / len(parsed)
            offset = 0
            for i, message_rows in parsed:
                results[i] = prediction_result(messages[i], predictions[offset : offset + len(message_rows)])
                metrics.observe("error" if results[i][2] else "ok", 1, seconds)
                offset += len(message_rows)
            parsed = []
        except Exception:  # noqa: BLE001 - isolate the bad record below
            LOG.warning("batch scoring failed, scoring %d records one by one", len(parsed))
    for i, message_rows in parsed:
        started = time.monotonic()
        try:
            results[i] = prediction_result(messages[i], to_json_list(model.predict(pandas.DataFrame(message_rows))))
            metrics.observe("error" if results[i][2] else "ok", 1, time.monotonic() - started)
        except Exception as error:  # noqa: BLE001
            metrics.observe("error", 1, time.monotonic() - started)
            results[i] = (messages[i], {"error": f"prediction failed: {error}"}, True)
    return results


def run(environ):
    import mlflow.pyfunc
    from confluent_kafka import Consumer, KafkaException, Producer

    logging.basicConfig(level=environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(message)s")
    state, metrics = State(), Metrics()
    server = serve_http(int(environ.get("PORT", "8080")), state, metrics)

    def stop(_signum, _frame):
        state.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    model = mlflow.pyfunc.load_model(environ["MODEL_URI"])
    state.last_poll = time.monotonic()
    state.model_loaded = True
    LOG.info("model %s loaded", environ["MODEL_URI"])

    fatal = []
    log_transient = TransientErrorLog()

    def on_error(error):
        """librdkafka's error callback (connection, authentication and broker errors of both clients)."""
        if is_fatal(error):
            fatal.append(error)
        else:
            log_transient(error)

    def check(error=None):
        if error is not None and is_fatal(error):
            fatal.append(error)
        if fatal:
            raise FatalKafkaError(fatal[0])

    common = {**kafka_properties(environ), "error_cb": on_error}
    consumer = Consumer(
        {
            **common,
            "group.id": environ["KAFKA_CONSUMER_GROUP"],
            "enable.auto.commit": False,
            # Matches the KEDA scaler's offsetResetPolicy: a new group starts at the end.
            "auto.offset.reset": "latest",
            "statistics.interval.ms": 15000,
            "stats_cb": metrics.set_lag,
        }
    )
    producer = Producer({**common, "enable.idempotence": True, "acks": "all"})
    output_topic = environ["KAFKA_OUTPUT_TOPIC"]
    consumer.subscribe([environ["KAFKA_INPUT_TOPIC"]])

    try:
        while not state.stopping:
            state.last_poll = time.monotonic()
            records = []
            for message in consumer.consume(num_messages=BATCH_SIZE, timeout=POLL_SECONDS):
                error = message.error()
                if error is None:
                    records.append(message)
                else:
                    check(error)
                    log_transient(error)
            check()
            if not records:
                continue
            failed = []

            def delivered(error, _message):
                if error is not None:
                    failed.append(error)

            for message, value, is_error in score(model, records, metrics):
                headers = [("mlstack-error", b"1")] if is_error else []
                while True:
                    try:
                        producer.produce(
                            output_topic,
                            key=message.key(),
                            value=json.dumps(value).encode("utf-8"),
                            headers=headers,
                            on_delivery=delivered,
                        )
                        break
                    except BufferError:  # the local queue is full while brokers are away
                        producer.poll(1.0)
                        check()
                producer.poll(0)
            # Waits as long as librdkafka keeps retrying (bounded by message.timeout.ms): a broker
            # roll must not turn into a restart. Alive meanwhile, for the liveness probe.
            while producer.flush(FLUSH_STEP_SECONDS) > 0:
                state.last_poll = time.monotonic()
                check()
            for error in failed:
                check(error)
            if failed:
                LOG.warning(
                    "%d results not delivered (%s); consuming the batch again", len(failed), failed[0].name()
                )
                rewind(consumer, records)
                continue
            try:
                consumer.commit(asynchronous=False)
            except KafkaException as error:
                if not hasattr(error.args[0], "name"):
                    raise
                check(error.args[0])
                # Not committed (a rebalance moved the partitions, or the coordinator was away): the
                # next commit covers this batch, or the partitions' new owner scores it again.
                LOG.warning("offsets not committed, retrying with the next batch: %s", error.args[0].str())
    except (FatalKafkaError, KafkaException) as error:
        # One line, no traceback: the error says what to fix (credentials, grant, setting).
        cause = error.args[0] if error.args else error
        LOG.error("fatal Kafka error, exiting: %s", f"{cause.name()}: {cause.str()}" if hasattr(cause, "str") else cause)
        sys.exit(1)
    finally:
        state.stopping = True
        consumer.close()
        server.shutdown()


if __name__ == "__main__":
    run(dict(os.environ))
