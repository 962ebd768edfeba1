"""Runs the pure parsing helpers of components/serving/streamConsumer.py (no Kafka, MLflow or
pandas involved, none faked) and prints what they return as JSON, for
streamConsumerParsing.test.ts. The program itself runs for real in test/real/streamConsumer.test.ts.

Usage: python3 streamConsumerParsing.py <path to streamConsumer.py>
"""

import importlib.util
import json
import sys

SCRAM_ENV = {
    "MODEL_URI": "s3://models/fraud/3",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka:9093",
    "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "KAFKA_SASL_USERNAME": "model",
    "KAFKA_SASL_PASSWORD": "from-a-secret",
    "KAFKA_SSL_CA_LOCATION": "/etc/mlstack/kafka-ca/ca.crt",
    "KAFKA_SASL_JAAS_CONFIG": "org.apache.kafka.common.security.scram.ScramLoginModule required;",
    "KAFKA_SSL_TRUSTSTORE_LOCATION": "/etc/truststore.p12",
    "KAFKA_SSL_KEY_PASSWORD": "",
    "KAFKA_INPUT_TOPIC": "transactions",
    "KAFKA_OUTPUT_TOPIC": "fraud-scores",
    "KAFKA_CONSUMER_GROUP": "fraud-detector",
}

STATS = {
    "topics": {
        "transactions": {"partitions": {"0": {"consumer_lag": 7}, "1": {"consumer_lag": -1}, "-1": {"consumer_lag": 99}}}
    }
}


def main():
    spec = importlib.util.spec_from_file_location("stream_consumer", sys.argv[1])
    consumer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(consumer)
    metrics = consumer.Metrics()
    metrics.observe("ok", 3, 0.02)
    metrics.observe("error", 1, 0.0)
    metrics.set_lag(json.dumps(STATS))
    print(json.dumps({"scram": consumer.kafka_properties(SCRAM_ENV), "metrics": metrics.render()}))


if __name__ == "__main__":
    main()
