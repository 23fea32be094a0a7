"""Faults on the real broker and store: a killed worker, a store outage, a broker
restart, and the bad-input catalogue. Each test owns a private embedded stack,
because it stops and restarts its parts."""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kafka import KafkaProducer

from casestore.store import CaseStore, connect
from core.settings import Settings
from lapor import stack
from lapor.operations import start_worker, submit_records, wait_for_cases
from tests.conftest import dead_letters

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.integration,
    pytest.mark.skipif(
        bool(os.environ.get("LAPOR_KAFKA_BOOTSTRAP") or os.environ.get("LAPOR_MONGODB_URI")),
        reason="fault tests stop and restart the embedded broker/store; external servers set",
    ),
]


@pytest.fixture
def private_stack(tmp_path, registry_uri, monkeypatch):
    state = tmp_path / "state"
    monkeypatch.setenv("LAPOR_STATE_DIR", str(state))
    monkeypatch.setenv("LAPOR_BATCH_WITHIN", "0.2")
    monkeypatch.setenv("LAPOR_BATCH_SIZE", "200")
    monkeypatch.delenv("LAPOR_MONGODB_DB", raising=False)
    monkeypatch.setenv("LAPOR_MLFLOW_URI", registry_uri)  # the session's champion
    settings = Settings()
    record = stack.up(settings)
    procs: list[subprocess.Popen] = []
    yield settings, record, procs
    for proc in procs:  # workers, and parts restarted by a test (stopped with their children)
        stack.stop_process(proc.pid, timeout=10)
    stack.down(settings)


def _store(settings: Settings) -> CaseStore:
    return CaseStore(connect(stack.endpoints(settings).mongodb_uri, settings.mongodb_db))


def _complaints(seed_records, prefix: str, n: int) -> list[dict]:
    return [
        {"id": f"{prefix}-{i:05d}", "text": seed_records[i % len(seed_records)]["text"]}
        for i in range(n)
    ]


def _worker(settings, procs, name="worker") -> subprocess.Popen:
    # the same group instance id after a restart, as a process supervisor would do
    proc = start_worker(settings, settings.state_dir / f"{name}.log", instance="rel-worker")
    procs.append(proc)
    return proc


def test_worker_killed_mid_batch_loses_and_duplicates_nothing(private_stack, seed_records):
    settings, _, procs = private_stack
    store = _store(settings)
    records = _complaints(seed_records, "KILL", 3000)
    ids = submit_records(settings, records, progress=False)
    first = _worker(settings, procs, "worker-1")
    deadline = time.monotonic() + 120
    while store.count() < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    done_before = store.count()
    assert 0 < done_before < len(ids), "the kill must land in the middle of the work"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    _worker(settings, procs, "worker-2")
    assert wait_for_cases(settings, ids, timeout=240) == len(ids)
    assert store.count() == len(ids)
    assert {c["_id"] for c in store.cases.find({}, {"_id": 1})} == set(ids)


def test_store_outage_is_retried_logged_once_and_loses_nothing(private_stack, seed_records):
    settings, record, procs = private_stack
    store = _store(settings)
    worker = _worker(settings, procs)
    warm = submit_records(settings, _complaints(seed_records, "WARM", 5), progress=False)
    assert wait_for_cases(settings, warm, timeout=120) == 5

    restart = _stop(record, "mongodb")
    during = submit_records(settings, _complaints(seed_records, "OUT", 500), progress=False)
    time.sleep(8)  # complaints keep flowing while the store is down
    assert worker.poll() is None, "the worker must not crash when the store is away"
    procs.append(restart())

    assert wait_for_cases(settings, during, timeout=180) == len(during)
    assert store.count() == len(during) + len(warm)
    log = (settings.state_dir / "worker.log").read_text()
    assert log.count("case store unavailable") == 1, log[-2000:]
    assert log.count("case store reachable again") == 1


def test_worker_survives_a_broker_restart(private_stack, seed_records):
    settings, record, procs = private_stack
    worker = _worker(settings, procs)
    before = submit_records(settings, _complaints(seed_records, "PRE", 50), progress=False)
    assert wait_for_cases(settings, before, timeout=120) == 50

    restart = _stop(record, "kafka")
    time.sleep(3)
    procs.append(restart())

    after = submit_records(settings, _complaints(seed_records, "POST", 50), progress=False)
    assert wait_for_cases(settings, after, timeout=240) == 50
    assert worker.poll() is None


def _stop(record: dict, name: str):  # noqa: ANN202
    """Stop an embedded part; returns a function that starts it again, on the same
    port and data, and waits until it answers."""
    pid, port, state = record["pids"][name], record[f"{name}_port"], Path(record["state_dir"])
    os.kill(pid, signal.SIGTERM)
    _wait_dead(pid)

    def restart() -> subprocess.Popen:
        start = stack.start_store if name == "mongodb" else stack.start_broker
        proc = start(state / name, port, state / f"{name}.log")
        if name == "mongodb":
            stack.wait_for_mongo(record["mongodb_uri"], timeout=60)
        else:
            stack.wait_for_kafka(record["kafka_bootstrap"], timeout=60)
        return proc

    return restart


def _wait_dead(pid: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


CATALOGUE = [
    ("invalid JSON", b'{"complaint_id": "BAD-JSON", "text": ', "Invalid JSON"),
    ("wrong types", b'{"complaint_id": "BAD-TYPE", "text": ["a"]}', "text: Input should be"),
    ("missing text", b'{"complaint_id": "BAD-MISSING"}', "text: Field required"),
    ("empty text", b'{"complaint_id": "BAD-EMPTY", "text": ""}', "at least 1 character"),
    ("whitespace text", b'{"complaint_id": "BAD-BLANK", "text": " \\n\\t "}', "text is empty"),
    (
        "1 MB text",
        b'{"complaint_id": "BAD-HUGE", "text": "' + b"a" * 900_000 + b'"}',
        "at most 20000 characters",
    ),
    ("invalid UTF-8", b'{"complaint_id": "BAD-UTF8", "text": "\xc3\x28"}', "not valid UTF-8"),
    (
        "unknown schema version",
        b'{"schema_version": 7, "complaint_id": "BAD-VER", "text": "x"}',
        "unsupported schema_version 7",
    ),
]


def test_bad_input_catalogue(private_stack, seed_records):
    settings, record, procs = private_stack
    _worker(settings, procs)
    bootstrap = record["kafka_bootstrap"]
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=2_000_000)
    for _, payload, _ in CATALOGUE:
        producer.send(settings.topic_submitted, key=b"bad", value=payload)
    producer.flush()
    producer.close()
    # accepted and escaped: HTML/script in the text; a duplicate id: the first wins
    good = submit_records(
        settings,
        [
            {"id": "HTML-1", "text": "<script>alert(1)</script> jalan rusak di Kab. Sleman"},
            {"id": "DUP-1", "text": "air pdam mati di Kab. Bantul"},
        ],
        progress=False,
    )
    assert wait_for_cases(settings, good, timeout=120) == 2
    submit_records(settings, [{"id": "DUP-1", "text": "jalan rusak di Kab. Sleman"}], False)
    marker = submit_records(settings, [{"id": "MARK", "text": "sampah di Kab. Sleman"}], False)
    assert wait_for_cases(settings, marker, timeout=120) == 1

    letters = dead_letters(bootstrap, settings.topic_dlq)
    by_hash = {x["raw_sha256"]: x for x in letters}
    for name, payload, reason in CATALOGUE:
        letter = by_hash.get(hashlib.sha256(payload).hexdigest())
        assert letter is not None, f"{name} did not reach the DLQ"
        assert reason in letter["reason"], (name, letter["reason"])
        if letter["raw_base64"]:
            assert base64.b64decode(letter["raw_base64"]) == payload
        else:  # too big to copy: a preview, and the offset of the original
            assert letter["truncated"] and letter["raw_size"] == len(payload)
            assert letter["offset"] is not None

    store = _store(settings)
    assert "<script>" in store.cases.find_one({"_id": "HTML-1"})["text"]  # stored as text
    assert store.cases.find_one({"_id": "DUP-1"})["text"].startswith("air pdam")
    assert store.count({"_id": {"$regex": "^BAD-"}}) == 0


def test_two_workers_in_one_group_make_each_complaint_one_case(private_stack, seed_records):
    settings, _, procs = private_stack
    for i in (1, 2):
        procs.append(start_worker(settings, settings.state_dir / f"w{i}.log", instance=f"w{i}"))
    ids = submit_records(settings, _complaints(seed_records, "TWO", 2000), progress=False)
    assert wait_for_cases(settings, ids, timeout=240) == len(ids)
    store = _store(settings)
    assert store.count() == len(ids)
    assert {c["_id"] for c in store.cases.find({}, {"_id": 1})} == set(ids)
    assert all(p.poll() is None for p in procs)


def test_routing_and_storing_in_separate_workers(private_stack, seed_records, monkeypatch):
    settings, _, procs = private_stack
    for role in ("route", "store"):
        monkeypatch.setenv("LAPOR_WORKER_ROLE", role)
        procs.append(start_worker(settings, settings.state_dir / f"{role}.log", instance=role))
    ids = submit_records(settings, _complaints(seed_records, "SPLIT", 500), progress=False)
    assert wait_for_cases(settings, ids, timeout=180) == len(ids)
    assert _store(settings).count() == len(ids)
    assert all(p.poll() is None for p in procs)


def test_a_worker_started_by_hand_after_the_demo_routes_at_once(private_stack, tmp_path):
    """First run as the README has it (issue 15): `make demo`, then `lapor worker` as
    the demo suggests. The demo's worker used a static group membership that the
    broker keeps after it stops, so the next worker never received a partition."""
    settings, _, procs = private_stack
    sample = tmp_path / "sample.jsonl"
    sample.write_text('{"id": "DEMO-1", "text": "jalan rusak parah di Kabupaten Sleman"}\n')
    demo = subprocess.run(
        [sys.executable, "-m", "lapor.cli", "demo", "--sample", str(sample), "--timeout", "120"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert "lapor worker" in demo.stdout  # the next step it suggests
    procs.append(start_worker(settings, settings.state_dir / "by-hand.log", instance=None))
    ids = submit_records(settings, [{"id": "AFTER-DEMO-1", "text": "lampu jalan mati"}], False)
    assert wait_for_cases(settings, ids, timeout=60) == 1
