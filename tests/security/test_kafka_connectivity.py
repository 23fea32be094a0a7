"""Production connectivity to Kafka (issue 15): one bootstrap setting read right
by faust and by the kafka-python / aiokafka clients, several brokers included;
TLS and SASL (PLAIN, SCRAM-SHA-256/512) from the settings reach every client;
topics are created with the configured partitions and replication.

The embedded broker speaks neither TLS nor SASL, so those are tested as the
arguments each library is given (names each constructor accepts, a verifying
TLS context, faust's credentials object); the bootstrap conversion is tested
on a real connection to the embedded broker."""

from __future__ import annotations

import asyncio
import inspect
import ssl
import uuid
from pathlib import Path

import faust
import pytest
from aiokafka import AIOKafkaConsumer
from kafka import KafkaAdminClient, KafkaProducer

from core.kafka import (
    aiokafka_options,
    bootstrap_servers,
    faust_broker,
    faust_options,
    kafka_python_options,
)
from core.settings import Settings
from lapor import stack
from streams.intake import make_producer

CA = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")


@pytest.mark.parametrize(
    "value, servers",
    [
        ("a:9092", ["a:9092"]),
        ("a:9092,b:9093", ["a:9092", "b:9093"]),
        ("a:9092;b:9093", ["a:9092", "b:9093"]),
        ("kafka://a:9092;kafka://b:9093", ["a:9092", "b:9093"]),
        (" kafka://a:9092 , b.example.id:9093 ;", ["a:9092", "b.example.id:9093"]),
        (["kafka://a:9092", "b:9093"], ["a:9092", "b:9093"]),
        ("[::1]:9092", ["[::1]:9092"]),
    ],
)
def test_one_setting_serves_both_libraries(value, servers):
    assert bootstrap_servers(value) == servers
    assert faust_broker(value) == ";".join(f"kafka://{s}" for s in servers)


@pytest.mark.parametrize("value", ["", " , ;", "a", "a:port", "http://a:9092", "a:9092/x"])
def test_a_wrong_bootstrap_is_refused(value):
    with pytest.raises(ValueError):
        bootstrap_servers(value)


def secured(protocol: str, mechanism: str = "SCRAM-SHA-512") -> Settings:
    return Settings(
        kafka_security_protocol=protocol,
        kafka_sasl_mechanism=mechanism,
        kafka_sasl_username="lapor-worker",
        kafka_sasl_password="sandi-kafka",
        kafka_ssl_cafile=CA if protocol.endswith("SSL") else None,
    )


def accepted(constructor) -> set[str]:
    return set(inspect.signature(constructor).parameters)


PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_kafka_python_clients_get_tls_and_sasl(protocol, mechanism):
    options = kafka_python_options(secured(protocol, mechanism))
    assert options["security_protocol"] == protocol
    for client in (KafkaProducer, KafkaAdminClient):
        assert set(options) <= set(client.DEFAULT_CONFIG), client
    assert ("ssl_cafile" in options) == protocol.endswith("SSL")
    if protocol.endswith("SSL"):
        assert options["ssl_cafile"] == str(CA) and options["ssl_check_hostname"] is True
    if protocol.startswith("SASL"):
        assert options["sasl_mechanism"] == mechanism
        assert options["sasl_plain_username"] == "lapor-worker"
        assert options["sasl_plain_password"] == "sandi-kafka"
    else:
        assert "sasl_mechanism" not in options


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_the_sink_consumer_gets_tls_and_sasl(protocol, mechanism):
    options = aiokafka_options(secured(protocol, mechanism))
    assert set(options) <= accepted(AIOKafkaConsumer.__init__)
    assert options["security_protocol"] == protocol
    context = options.get("ssl_context")
    assert (context is not None) == protocol.endswith("SSL")
    if context is not None:
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    if protocol.startswith("SASL"):
        assert options["sasl_mechanism"] == mechanism
        assert options["sasl_plain_password"] == "sandi-kafka"


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_the_faust_app_gets_tls_and_sasl(protocol, mechanism):
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    options = faust_options(secured(protocol, mechanism))
    if protocol == "PLAINTEXT":
        assert options == {}
        return
    credentials = options["broker_credentials"]
    # what faust's aiokafka driver hands to its consumer and producer
    auth = credentials_to_aiokafka_auth(credentials)
    assert auth["security_protocol"] == protocol
    if protocol.startswith("SASL"):
        assert isinstance(credentials, faust.SASLCredentials)
        assert auth["sasl_mechanism"] == mechanism
        assert auth["sasl_plain_username"] == "lapor-worker"
    assert (auth.get("ssl_context") is not None) == protocol.endswith("SSL")


@pytest.mark.integration
def test_the_worker_app_reads_a_broker_list(stack_settings):
    from streams.app import create_app

    settings = stack_settings.model_copy(
        update={
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_mechanism": "SCRAM-SHA-256",
            "kafka_sasl_username": "u",
            "kafka_ssl_cafile": CA,
        }
    )
    app = create_app(
        settings, "a.example:9092,b.example:9093", stack.endpoints(settings).mongodb_uri
    )
    assert [str(url) for url in app.conf.broker] == [
        "kafka://a.example:9092",
        "kafka://b.example:9093",
    ]
    assert isinstance(app.conf.broker_credentials, faust.SASLCredentials)


@pytest.mark.integration
def test_a_one_element_list_reaches_the_embedded_broker(stack_settings):
    """Both clients, from the forms the setting may take, on the real broker; the
    topic gets the configured partitions and replication factor."""
    bootstrap = stack.endpoints(stack_settings).kafka_bootstrap
    topic = f"test.connect.{uuid.uuid4().hex[:8]}"
    settings = stack_settings.model_copy(update={"partitions": 3, "replication_factor": 1})
    as_list = f"kafka://{bootstrap};"  # a one-element list, in faust's form
    assert stack.create_topics(
        as_list,
        [topic],
        settings.partitions,
        settings.replication_factor,
        kafka_python_options(settings),
    ) == [topic]
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers(as_list))
    try:
        (described,) = admin.describe_topics([topic])
    finally:
        admin.close()
    assert len(described["partitions"]) == 3
    # kafka-python names the replica list "replicas" or "replica_nodes" by version
    assert {
        len(p.get("replicas", p.get("replica_nodes", []))) for p in described["partitions"]
    } == {1}

    producer = make_producer(f"{bootstrap},", settings)
    producer.send(topic, key=b"k", value=b"halo").get(timeout=30)
    producer.close()

    async def read() -> bytes:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap_servers(as_list),
            group_id=None,
            auto_offset_reset="earliest",
            **aiokafka_options(settings),
        )
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=1000)
                for records in batches.values():
                    return records[0].value
        finally:
            await consumer.stop()

    assert asyncio.run(asyncio.wait_for(read(), 60)) == b"halo"
