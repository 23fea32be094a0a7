"""Shared fixtures. The stack fixture starts the real embedded broker and store
once per session (or uses LAPOR_KAFKA_BOOTSTRAP / LAPOR_MONGODB_URI servers,
with per-session topic and database names so runs never see each other)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from classifier.corpus import load_seed_corpus
from classifier.model import ComplaintModel
from classifier.train import train_model
from core.settings import Settings
from lapor import stack

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SMS_SECRET = f"test-sms-gateway-secret-{uuid.uuid4().hex}"


@pytest.fixture(scope="session")
def seed_records() -> list[dict]:
    return load_seed_corpus()


@pytest.fixture(scope="session")
def trained_model(seed_records) -> ComplaintModel:
    return train_model(seed_records, version="test")


@pytest.fixture(scope="session")
def registry_uri(tmp_path_factory, trained_model, seed_records) -> str:
    """An MLflow registry whose champion is the session's trained model: the only
    place workers take a model from. Registered and promoted the way ``lapor train``
    does it; the session's stacks (and the fault tests' private ones) share it."""
    from classifier.corpus import split_corpus
    from classifier.registry import configure, log_training_run, promote

    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = configure(uri, root)
    train, held_out = split_corpus(seed_records)
    promote(client, log_training_run(trained_model, train, held_out, "test"), held_out, by="test")
    return uri


@pytest.fixture(scope="session")
def stack_env(tmp_path_factory, registry_uri) -> dict[str, str]:
    """Environment for a session-wide stack; child processes get it too."""
    state = tmp_path_factory.mktemp("lapor-state")
    run = uuid.uuid4().hex[:8]
    env = {"LAPOR_STATE_DIR": str(state), "LAPOR_MONGODB_DB": f"lapor_test_{run}"}
    if os.environ.get("LAPOR_KAFKA_BOOTSTRAP"):
        for name in ("submitted", "routed", "dlq"):
            env[f"LAPOR_TOPIC_{name.upper()}"] = f"test.{run}.{name}"
        env["LAPOR_TOPIC_OVERRIDDEN"] = f"test.{run}.overridden"
        env["LAPOR_TOPIC_NOTIFICATIONS"] = f"test.{run}.notifications"
        env["LAPOR_WORKER_ID"] = f"lapor-test-{run}"
    env["LAPOR_MLFLOW_URI"] = registry_uri
    env["LAPOR_BATCH_WITHIN"] = "0.2"
    env["LAPOR_SMS_SECRET"] = SMS_SECRET  # tests sign SMS webhook calls with it
    env["LAPOR_MODEL_CHECK_SECONDS"] = "1"
    env["LAPOR_ESCALATION_SECONDS"] = "1"
    env["LAPOR_AUTO_CLOSE_SECONDS"] = "1"
    # the per-address intake limit is shared by every app of a process (its storage
    # is the case store) and most tests post from "testclient": the tests of the
    # limit set their own, the rest must not throttle each other by file order
    env["LAPOR_INTAKE_RATE_PER_MINUTE"] = "100000"
    settings = Settings(**{k[len("LAPOR_") :].lower(): v for k, v in env.items()})
    stack.up(settings)
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield env
    stack.down(settings)
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def stack_settings(stack_env) -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def worker(stack_settings):
    """One routing worker (a real `lapor worker` process) for the whole session."""
    from lapor.operations import start_worker, stop_workers

    log = stack_settings.state_dir / "worker-it.log"
    proc = start_worker(stack_settings, log)
    yield proc
    stop_workers(proc, timeout=20)


@pytest.fixture(scope="session")
def web_client(stack_settings, worker):
    from fastapi.testclient import TestClient

    from web.main import create_app

    endpoints = stack.endpoints(stack_settings)
    app = create_app(stack_settings, endpoints.kafka_bootstrap, endpoints.mongodb_uri)
    with TestClient(app) as client:
        yield client


def topic_messages(bootstrap: str, topic: str) -> list:
    """Every message on ``topic`` so far (large fetch sizes: letters carry payloads)."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
        group_id=None,
        max_partition_fetch_bytes=4_000_000,
        fetch_max_bytes=8_000_000,
    )
    messages = list(consumer)
    consumer.close()
    return messages


def dead_letters(bootstrap: str, topic: str) -> list[dict]:
    """Every dead letter on ``topic`` so far."""
    import json

    return [json.loads(m.value) for m in topic_messages(bootstrap, topic)]
