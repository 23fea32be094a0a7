"""End to end on the real broker and case store: intake -> worker -> cases."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from kafka import KafkaProducer

from casestore.store import CaseStore, connect
from classifier.corpus import split_corpus
from lapor import stack
from lapor.operations import submit_records, wait_for_cases
from tests.conftest import dead_letters

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(stack_settings):
    return CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )


@pytest.fixture(scope="module")
def complaints(seed_records):
    _, valid = split_corpus(seed_records)
    channels = ["web", "sms", "whatsapp", "mobile", "admin"]
    records = []
    for i, r in enumerate((valid * 2)[:300]):
        records.append(
            {
                "id": f"IT-{i:04d}",
                "text": r["text"],
                "channel": channels[i % len(channels)],
                "region_hint": "Kabupaten Banjar" if i % 10 == 0 else None,
                "reporter": {"name": f"Pelapor {i}", "phone": "081234567890"}
                if i % 3 == 0
                else None,
                "privacy": ["public", "anonim", "rahasia"][i % 3],
            }
        )
    return records


def test_every_complaint_becomes_exactly_one_case(stack_settings, worker, store, complaints):
    ids = submit_records(stack_settings, complaints, progress=False)
    assert ids == [c["id"] for c in complaints]
    assert wait_for_cases(stack_settings, ids, timeout=180) == len(ids), worker_log(stack_settings)
    assert store.count({"_id": {"$regex": "^IT-"}}) == len(ids)

    case = store.cases.find_one({"_id": "IT-0000"})
    assert case["schema_version"] == 1
    assert case["decision"]["regency"] == "Kabupaten Banjar"
    assert case["decision"]["reasons"]
    assert case["prediction"]["model_version"] in ("test", "complaint-router/1")
    assert len(case["prediction"]["top3"]) == 3
    assert case["status"] in ("terdisposisi", "menunggu_verifikasi")
    assert case["history"][0]["by"] == "sistem"
    # the reporter travels sealed, never in clear
    assert "Pelapor 0" not in json.dumps(case, default=str)
    assert case["reporter_sealed"]
    routed = store.count({"_id": {"$in": ids}, "status": "terdisposisi"})
    assert routed > len(ids) / 2


def test_resubmitting_the_same_ids_creates_no_duplicates(stack_settings, worker, store, complaints):
    before = store.cases.find_one({"_id": "IT-0001"})
    submit_records(stack_settings, complaints[:100], progress=False)
    marker = submit_records(stack_settings, [{"id": "IT-MARKER", "text": "jalan rusak"}], False)
    assert wait_for_cases(stack_settings, marker, timeout=120) == 1
    time.sleep(1.0)  # the resubmitted batch was ahead of the marker on its partition or near it
    assert store.count({"_id": {"$regex": "^IT-0"}}) == len(complaints)
    assert store.cases.find_one({"_id": "IT-0001"})["created_at"] == before["created_at"]


def test_malformed_events_go_to_the_dlq_and_the_worker_continues(stack_settings, worker, store):
    bootstrap = stack.endpoints(stack_settings).kafka_bootstrap
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    bad = [b"{not json", b'{"complaint_id": "BAD-1", "text": "  "}', b"\xff\xfe\xfd"]
    for payload in bad:
        producer.send(stack_settings.topic_submitted, key=b"bad", value=payload)
    producer.flush()
    producer.close()
    after = submit_records(stack_settings, [{"id": "IT-AFTER-DLQ", "text": "air pdam mati"}], False)
    assert wait_for_cases(stack_settings, after, timeout=120) == 1

    letters = dead_letters(bootstrap, stack_settings.topic_dlq)
    reasons = {letter["raw"]: letter["reason"] for letter in letters}
    assert "Invalid JSON" in reasons["{not json"]
    assert "text is empty" in reasons['{"complaint_id": "BAD-1", "text": "  "}']
    assert any("not valid UTF-8" in r for r in reasons.values())
    assert all(letter["raw_base64"] for letter in letters)
    assert store.count({"_id": "BAD-1"}) == 0


def test_routed_events_and_cases_carry_masked_text_and_no_identity(stack_settings, worker, store):
    from kafka import KafkaConsumer

    text = "KTP saya NIK 3404011508950001 belum jadi, hubungi 0812-3456-7890 atau budi@mail.id"
    record = {"id": "IT-MASK", "text": text, "reporter": {"name": "Budi Santoso"}}
    ids = submit_records(stack_settings, [record], progress=False)
    assert wait_for_cases(stack_settings, ids, timeout=120) == 1
    consumer = KafkaConsumer(
        stack_settings.topic_routed,
        bootstrap_servers=stack.endpoints(stack_settings).kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
        group_id=None,
    )
    routed = [m.value for m in consumer if m.key == b"IT-MASK"]
    consumer.close()
    case = store.cases.find_one({"_id": "IT-MASK"})
    for where in (routed[0].decode(), json.dumps(case, default=str)):
        for secret in ("3404011508950001", "0812-3456-7890", "budi@mail.id", "Budi Santoso"):
            assert secret not in where
        assert "<nik>" in where and "<telepon>" in where and "<email>" in where


def test_bad_routed_events_go_to_the_dlq_and_the_sink_continues(stack_settings, worker, store):
    bootstrap = stack.endpoints(stack_settings).kafka_bootstrap
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    bad = [b"{routed but broken", b'{"schema_version": 1, "complaint": {"complaint_id": "BAD-R"}}']
    for payload in bad:
        producer.send(stack_settings.topic_routed, key=b"bad-routed", value=payload)
    producer.flush()
    producer.close()
    after = submit_records(
        stack_settings, [{"id": "IT-AFTER-SINK-DLQ", "text": "lampu jalan mati"}]
    )
    assert wait_for_cases(stack_settings, after, timeout=120) == 1

    letters = [
        letter
        for letter in dead_letters(bootstrap, stack_settings.topic_dlq)
        if letter["source_topic"] == stack_settings.topic_routed
    ]
    reasons = {letter["raw"]: letter["reason"] for letter in letters}
    assert "Invalid JSON" in reasons["{routed but broken"]
    assert "prediction" in reasons[bad[1].decode()] and "Field required" in reasons[bad[1].decode()]
    assert all(letter["offset"] is not None for letter in letters)
    assert store.count({"_id": "BAD-R"}) == 0


def worker_log(settings) -> str:
    path = settings.state_dir / "worker-it.log"
    return path.read_text()[-3000:] if path.exists() else "(no worker log)"


def test_route_cli_runs_without_kafka(tmp_path, stack_env):
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": "a", "text": "jalan provinsi rusak di Kab. Wonosobo", "extra": 1}\n'
        '{"id": "b", "text": "sampah tidak diangkut seminggu"}\n'
    )
    dst = tmp_path / "out.jsonl"
    subprocess.run(
        [sys.executable, "-m", "lapor.cli", "route", "--file", str(src), "--out", str(dst)],
        check=True,
        capture_output=True,
    )
    rows = [json.loads(line) for line in dst.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    keys = {"agency", "topic", "confidence", "tier", "province", "regency", "unit_id", "status"}
    assert keys <= set(rows[0])
    assert rows[0]["tier"] == "provinsi" and rows[0]["province"] == "Jawa Tengah"
    assert rows[1]["status"] == "menunggu_verifikasi"
