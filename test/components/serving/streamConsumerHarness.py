"""Runs components/serving/streamConsumer.py against in-memory fakes of confluent_kafka, mlflow
and pandas, and prints what it did as JSON, for streamConsumer.test.ts to assert on.

Usage: python3 streamConsumerHarness.py <path to streamConsumer.py> <scenario>
"""

import importlib.util
import json
import os
import signal
import sys
import types


class KafkaException(Exception):
    pass


class FakeMessage:
    def __init__(self, key, value, offset):
        self._key, self._value, self.offset = key, value, offset

    def key(self):
        return self._key

    def value(self):
        return self._value

    def error(self):
        return None


RECORD = {"consumer_config": None, "producer_config": None, "produced": [], "commits": [], "closed": False}
BATCHES = []
FAIL_DELIVERY = False


class FakeConsumer:
    def __init__(self, config):
        RECORD["consumer_config"] = {k: v for k, v in config.items() if not callable(v)}
        self.subscribed = None

    def subscribe(self, topics):
        RECORD["subscribed"] = topics

    def consume(self, num_messages, timeout):
        if BATCHES:
            return BATCHES.pop(0)
        os.kill(os.getpid(), signal.SIGTERM)  # nothing left: ask the loop to stop
        return []

    def commit(self, asynchronous):
        RECORD["commits"].append({"asynchronous": asynchronous, "produced_so_far": len(RECORD["produced"])})

    def close(self):
        RECORD["closed"] = True


class FakeProducer:
    def __init__(self, config):
        RECORD["producer_config"] = {k: v for k, v in config.items() if not callable(v)}
        self.pending = []

    def produce(self, topic, key, value, headers, on_delivery):
        self.pending.append(on_delivery)
        RECORD["produced"].append(
            {"topic": topic, "key": key.decode() if key else None, "value": json.loads(value), "headers": [h[0] for h in headers]}
        )

    def poll(self, _timeout):
        return 0

    def flush(self, _timeout):
        for callback in self.pending:
            callback("broker down" if FAIL_DELIVERY else None, None)
        self.pending = []
        return 0


class FakeModel:
    """Doubles `amount`; a row without it fails, as a schema mismatch would."""

    def predict(self, frame):
        return [row["amount"] * 2 for row in frame.rows]


def install_fakes():
    kafka = types.ModuleType("confluent_kafka")
    kafka.Consumer, kafka.Producer, kafka.KafkaException = FakeConsumer, FakeProducer, KafkaException
    mlflow = types.ModuleType("mlflow")
    pyfunc = types.ModuleType("mlflow.pyfunc")
    pyfunc.load_model = lambda uri: RECORD.update(loaded=uri) or FakeModel()
    mlflow.pyfunc = pyfunc
    pandas = types.ModuleType("pandas")
    pandas.DataFrame = lambda rows: types.SimpleNamespace(rows=rows)
    signer = types.ModuleType("aws_msk_iam_sasl_signer")
    signer.MSKAuthTokenProvider = types.SimpleNamespace(generate_auth_token=lambda region: (f"token-{region}", 1_700_000_000_000))
    sys.modules.update(
        {"confluent_kafka": kafka, "mlflow": mlflow, "mlflow.pyfunc": pyfunc, "pandas": pandas, "aws_msk_iam_sasl_signer": signer}
    )


def load(path):
    spec = importlib.util.spec_from_file_location("stream_consumer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ENV = {
    "MODEL_URI": "s3://models/fraud/3",
    "PORT": "0",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka:9093",
    "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "KAFKA_SASL_USERNAME": "model",
    "KAFKA_SASL_PASSWORD": "from-a-secret",
    "KAFKA_SSL_CA_LOCATION": "/etc/mlstack/kafka-ca/ca.crt",
    "KAFKA_SASL_JAAS_CONFIG": "org.apache.kafka.common.security.scram.ScramLoginModule required;",
    "KAFKA_INPUT_TOPIC": "transactions",
    "KAFKA_OUTPUT_TOPIC": "fraud-scores",
    "KAFKA_CONSUMER_GROUP": "fraud-detector",
    "LOG_LEVEL": "ERROR",
}


def main():
    global FAIL_DELIVERY
    install_fakes()
    consumer = load(sys.argv[1])
    scenario = sys.argv[2]
    out = {}
    if scenario == "properties":
        out["scram"] = consumer.kafka_properties(ENV)
        msk = consumer.kafka_properties({**ENV, "KAFKA_SASL_MECHANISM": "AWS_MSK_IAM", "AWS_REGION": "eu-west-1"})
        out["msk_mechanism"] = msk["sasl.mechanism"]
        out["msk_token"] = list(msk["oauth_cb"](None))
    elif scenario in ("batch", "delivery-failure"):
        FAIL_DELIVERY = scenario == "delivery-failure"
        BATCHES.append(
            [
                FakeMessage(b"t1", b'{"amount": 10}', 0),
                FakeMessage(b"t2", b"not json", 1),
                FakeMessage(b"t3", b'[{"amount": 1}, {"amount": 2}]', 2),
                FakeMessage(b"t4", b'{"currency": "EUR"}', 3),
            ]
        )
        try:
            consumer.run(dict(ENV))
            out["raised"] = None
        except KafkaException as error:
            out["raised"] = str(error)
        out.update(RECORD)
    elif scenario == "metrics":
        metrics = consumer.Metrics()
        metrics.observe("ok", 3, 0.02)
        metrics.observe("error", 1, 0.0)
        metrics.set_lag(json.dumps({"topics": {"transactions": {"partitions": {"0": {"consumer_lag": 7}, "-1": {"consumer_lag": 99}}}}}))
        out["text"] = metrics.render()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
