"""Kafka client commands for the real-process tests, run with the MLflow image's interpreter so
they use the same confluent-kafka (librdkafka) as the stream consumer. Called by kafkaClient.ts.

Usage: python kafka_client.py <command>   (JSON spec on stdin, JSON result on stdout)

Commands (every spec has `config`: librdkafka properties of the client):
  apply     {topics: [{name, partitions, replicas, config}], acls: [{principal, resource_type,
            name, pattern_type, operation, host}]}: creates the topics and ACLs (admin only), then
            waits until the topics are in the metadata.
  produce   {topic, records: [{key, value, headers}], timeout_s, rate}: produces (at most `rate`
            records per second when given) and flushes -> {delivered, undelivered, errors}
  consume   {topics, count, timeout_s}: subscribes as config's group.id and returns once `count`
            records arrived or the timeout passed; commits nothing.
            -> {records: [{key, value, headers, partition, offset, timestamp}], errors}
  read      {topic}: every record of the topic from the beginning to its current end, as above
            (assigned, no consumer group) -> {records, errors}
  revoke    {acls}: deletes the ACLs (admin only) -> {deleted}
  committed {topic}: the group's committed offset per partition of the topic -> {offsets}
  end       {topic}: the high watermark per partition -> {offsets}
  metadata  {topic, timeout_s}: asks for a topic's metadata -> {ok, errors}

`errors` lists KafkaError names (e.g. TOPIC_AUTHORIZATION_FAILED, _AUTHENTICATION) from
delivery reports, consumed error events and the client's error callback, in order of arrival.
"""

import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)


def with_error_log(config, errors):
    def on_error(error):
        errors.append(error.name())

    return {**config, "error_cb": on_error}


def acl_binding(a, kind=AclBinding):
    return kind(
        ResourceType[a["resource_type"]],
        a["name"],
        ResourcePatternType[a["pattern_type"]],
        a["principal"],
        a["host"],
        AclOperation[a["operation"]],
        AclPermissionType.ALLOW,
    )


def apply(spec):
    admin = AdminClient(spec["config"])
    topics = [
        NewTopic(t["name"], num_partitions=t["partitions"], replication_factor=t["replicas"], config=t["config"])
        for t in spec["topics"]
    ]
    if topics:
        for future in admin.create_topics(topics, operation_timeout=30).values():
            future.result()
    bindings = [acl_binding(a) for a in spec["acls"]]
    if bindings:
        for future in admin.create_acls(bindings).values():
            future.result()
    deadline = time.monotonic() + 30
    wanted = {t["name"] for t in spec["topics"]}
    while wanted - set(admin.list_topics(timeout=10).topics):
        if time.monotonic() > deadline:
            raise SystemExit(f"topics not in the metadata after 30 s: {sorted(wanted)}")
        time.sleep(0.2)
    return {"topics": sorted(wanted), "acls": len(bindings)}


def produce(spec):
    errors = []
    producer = Producer(with_error_log(spec["config"], errors))
    delivered = []

    def on_delivery(error, _message):
        if error is None:
            delivered.append(1)
        else:
            errors.append(error.name())

    rate = spec.get("rate")
    started = time.monotonic()
    for index, record in enumerate(spec["records"]):
        if rate:
            ahead = started + index / rate - time.monotonic()
            if ahead > 0:
                producer.poll(0)
                time.sleep(ahead)
        headers = [(k, v.encode("utf-8")) for k, v in (record.get("headers") or {}).items()]
        key = record.get("key")
        value = record.get("value")
        while True:
            try:
                producer.produce(
                    spec["topic"],
                    key=None if key is None else key.encode("utf-8"),
                    value=None if value is None else value.encode("utf-8"),
                    headers=headers,
                    on_delivery=on_delivery,
                )
                break
            except BufferError:  # local queue full: let deliveries drain
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(spec.get("timeout_s", 30))
    return {"delivered": len(delivered), "undelivered": remaining, "errors": errors}


def revoke(spec):
    admin = AdminClient(spec["config"])
    deleted = 0
    for future in admin.delete_acls([acl_binding(a, AclBindingFilter) for a in spec["acls"]]).values():
        deleted += len(future.result())
    return {"deleted": deleted}


def decode(data):
    return None if data is None else data.decode("utf-8", errors="replace")


def record_of(message):
    return {
        "key": decode(message.key()),
        "value": decode(message.value()),
        "headers": {k: decode(v) for k, v in (message.headers() or [])},
        "partition": message.partition(),
        "offset": message.offset(),
        "timestamp": message.timestamp()[1],
    }


def consume(spec):
    errors = []
    consumer = Consumer(with_error_log({**spec["config"], "enable.auto.commit": False}, errors))
    consumer.subscribe(spec["topics"])
    records = []
    deadline = time.monotonic() + spec.get("timeout_s", 30)
    try:
        while len(records) < spec["count"] and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=500, timeout=0.5):
                if message.error():
                    errors.append(message.error().name())
                    continue
                records.append(record_of(message))
            if errors and spec.get("stop_on_error", False):
                break
    finally:
        consumer.close()
    return {"records": records, "errors": errors}


def partitions_of(consumer, topic):
    metadata = consumer.list_topics(topic, timeout=10).topics[topic]
    if metadata.error is not None:
        raise KafkaException(metadata.error)
    return [TopicPartition(topic, p) for p in sorted(metadata.partitions)]


def read(spec):
    errors = []
    consumer = Consumer(with_error_log({**spec["config"], "group.id": "mlstack-test-reader", "enable.auto.commit": False}, errors))
    try:
        partitions = partitions_of(consumer, spec["topic"])
        ends = {tp.partition: consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in partitions}
        pending = {p for p, end in ends.items() if end > 0}
        consumer.assign([TopicPartition(spec["topic"], p, OFFSET_BEGINNING) for p in pending])
        records = []
        deadline = time.monotonic() + spec.get("timeout_s", 60)
        while pending and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=1000, timeout=0.5):
                if message.error():
                    errors.append(message.error().name())
                    continue
                records.append(record_of(message))
                if message.offset() + 1 >= ends[message.partition()]:
                    pending.discard(message.partition())
        if pending:
            errors.append("_TIMED_OUT")
        return {"records": records, "errors": errors}
    finally:
        consumer.close()


def committed(spec):
    consumer = Consumer({**spec["config"], "enable.auto.commit": False})
    try:
        offsets = consumer.committed(partitions_of(consumer, spec["topic"]), timeout=10)
        return {"offsets": {str(tp.partition): tp.offset for tp in offsets}}
    finally:
        consumer.close()


def end(spec):
    consumer = Consumer({"group.id": "mlstack-test-reader", **spec["config"], "enable.auto.commit": False})
    try:
        result = {}
        for tp in partitions_of(consumer, spec["topic"]):
            _low, high = consumer.get_watermark_offsets(tp, timeout=10)
            result[str(tp.partition)] = high
        return {"offsets": result}
    finally:
        consumer.close()


def metadata(spec):
    errors = []
    admin = AdminClient(with_error_log(spec["config"], errors))
    try:
        topic = admin.list_topics(spec["topic"], timeout=spec.get("timeout_s", 10)).topics[spec["topic"]]
        if topic.error is not None:
            errors.append(topic.error.name())
        admin.poll(0)
        return {"ok": topic.error is None and not errors, "errors": errors}
    except KafkaException as error:
        errors.append(error.args[0].name())
        admin.poll(0.5)  # the error callback runs from poll: collect why the connection failed
        return {"ok": False, "errors": errors}


COMMANDS = {
    "apply": apply,
    "revoke": revoke,
    "produce": produce,
    "consume": consume,
    "read": read,
    "committed": committed,
    "end": end,
    "metadata": metadata,
}

if __name__ == "__main__":
    print(json.dumps(COMMANDS[sys.argv[1]](json.load(sys.stdin))))
