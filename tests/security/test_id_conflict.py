"""A reused id with new content (issue 15, item 6): it used to vanish, neither a
case nor a dead letter. Same id + same content is a replay (a no-op); same id +
other content is a conflict: dead-lettered with reason ``id_conflict`` and
reported by ``lapor submit`` (exit 1) and the API (409). And the accounting that
proves nothing is lost: every message on the intake topic is exactly one case or
one dead letter."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from kafka import KafkaProducer

from casestore.store import ID_CONFLICT, CaseStore, connect
from core.events import content_fingerprint
from lapor import stack
from lapor.operations import submit_records, wait_for_cases
from streams.validate import validate_routed
from tests.conftest import dead_letters, topic_messages
from tests.security.test_routed_events import encode, routed

pytestmark = pytest.mark.integration
FIRST = "jalan berlubang besar di depan pasar, warga Kabupaten Sleman minta segera ditambal"
OTHER = "lampu penerangan jalan mati sebulan di Kota Bogor"


@pytest.fixture(scope="module")
def store(stack_settings):
    return CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )


def _event(complaint_id: str, text: str) -> dict:
    return validate_routed(encode(routed(complaint_id, text=text)))


def test_a_reused_id_with_other_content_is_rejected_by_the_store(stack_settings, store):
    first = _event("SEC-IDC-STORE", FIRST)
    assert store.upsert_routed([first]).new == 1
    replay = store.upsert_routed([_event("SEC-IDC-STORE", FIRST)])
    assert replay.new == 0 and not replay.rejected  # same content: a no-op
    conflict = store.upsert_routed([_event("SEC-IDC-STORE", OTHER)])
    assert conflict.new == 0 and list(conflict.rejected) == [0]
    assert conflict.rejected[0].startswith(ID_CONFLICT)
    assert (
        store.cases.find_one({"_id": "SEC-IDC-STORE"})["content_sha256"]
        == (first["complaint"]["content_sha256"])
    )


def test_a_conflict_inside_one_batch_keeps_the_first_and_rejects_the_second(store):
    batch = [
        _event("SEC-IDC-BATCH", FIRST),
        _event("SEC-IDC-BATCH", FIRST),  # a replay in the same batch
        _event("SEC-IDC-BATCH", OTHER),
    ]
    stored = store.upsert_routed(batch)
    assert stored.new == 1 and list(stored.rejected) == [2]
    assert stored.rejected[2].startswith(ID_CONFLICT)


def test_the_fingerprint_is_of_the_text_as_submitted_not_as_masked():
    text = "hubungi saya di 0812-3456-7890, jalan rusak di Kab. Sleman"
    event = routed("SEC-IDC-MASK", text=text)
    assert "0812-3456-7890" not in event["complaint"]["text"]  # routed events travel masked
    assert event["complaint"]["content_sha256"] == content_fingerprint(
        text, "web", "Kabupaten Banjar", "public"
    )


def _lapor_submit(tmp_path, name: str, records: list[dict]) -> subprocess.CompletedProcess:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return subprocess.run(
        [sys.executable, "-m", "lapor.cli", "submit", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_lapor_submit_reports_a_conflict_and_the_worker_dead_letters_it(
    stack_settings, worker, store, tmp_path
):
    first = _lapor_submit(tmp_path, "first.jsonl", [{"id": "SEC-IDC-CLI", "text": FIRST}])
    assert first.returncode == 0, first.stderr
    assert wait_for_cases(stack_settings, ["SEC-IDC-CLI"], timeout=120) == 1
    replay = _lapor_submit(tmp_path, "replay.jsonl", [{"id": "SEC-IDC-CLI", "text": FIRST}])
    assert replay.returncode == 0, replay.stderr
    conflict = _lapor_submit(tmp_path, "conflict.jsonl", [{"id": "SEC-IDC-CLI", "text": OTHER}])
    assert conflict.returncode == 1
    assert "id_conflict" in conflict.stderr and "line 1" in conflict.stderr

    bootstrap = stack.endpoints(stack_settings).kafka_bootstrap
    wanted = content_fingerprint(OTHER, "bulk", None, "public")
    deadline, letters = time.monotonic() + 120, []
    while time.monotonic() < deadline and not letters:
        letters = [
            letter
            for letter in dead_letters(bootstrap, stack_settings.topic_dlq)
            if letter["key"] == "SEC-IDC-CLI"
        ]
    assert [letter["reason"].split(":")[0] for letter in letters] == [ID_CONFLICT]
    assert json.loads(letters[0]["raw"])["complaint"]["content_sha256"] == wanted
    case = store.cases.find_one({"_id": "SEC-IDC-CLI"})
    assert case["text"] == FIRST  # the first stays, untouched


def test_the_api_answers_409_on_a_conflict_and_the_same_id_on_a_replay(stack_settings, web_client):
    body = {"id": "SEC-IDC-API-1", "text": FIRST, "channel": "mobile"}
    accepted = web_client.post("/api/v1/complaints", json=body)
    assert accepted.status_code == 201 and accepted.json()["tracking_id"] == "SEC-IDC-API-1"
    assert wait_for_cases(stack_settings, ["SEC-IDC-API-1"], timeout=120) == 1
    again = web_client.post("/api/v1/complaints", json=body)
    assert again.status_code == 201 and again.json()["tracking_id"] == "SEC-IDC-API-1"
    conflict = web_client.post("/api/v1/complaints", json={**body, "text": OTHER})
    assert conflict.status_code == 409
    assert "sudah dipakai" in conflict.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"id": "LPR-261206-ABCDEFGH", "text": FIRST},  # the hub's own tracking ids
        {"id": "SEC-IDC-SECRET", "text": FIRST, "privacy": "rahasia"},
        {"id": "short", "text": FIRST},
    ],
)
def test_the_api_refuses_ids_it_cannot_honour(web_client, body):
    assert web_client.post("/api/v1/complaints", json=body).status_code == 422


def _account(message, cases: dict, letters: list[dict], topic_submitted: str) -> list[str]:
    """What became of one intake message: 'case' and/or 'dead letter' entries."""
    key = message.key.decode()
    fates = [
        "dead letter"
        for letter in letters
        if letter["source_topic"] == topic_submitted
        and (letter["partition"], letter["offset"]) == (message.partition, message.offset)
    ]
    try:
        fingerprint = json.loads(message.value)["content_sha256"]
    except (ValueError, KeyError, TypeError):
        return fates
    if cases.get(key) == fingerprint:
        fates.append("case")
    fates += [
        "dead letter"
        for letter in letters
        if letter["key"] == key
        and letter["source_topic"] != topic_submitted
        and json.loads(letter["raw"])["complaint"]["content_sha256"] == fingerprint
    ]
    return fates


def test_every_message_on_the_intake_topic_is_exactly_one_case_or_one_dead_letter(
    stack_settings, worker, store
):
    prefix = "SEC-ACC-"
    records = [{"id": f"{prefix}GOOD-{i}", "text": f"{FIRST} nomor {i}"} for i in range(5)] + [
        {"id": f"{prefix}GOOD-0", "text": f"{FIRST} nomor 0"},  # a replay
        {"id": f"{prefix}GOOD-1", "text": OTHER},  # a conflict, maybe in the same batch
        {"id": f"{prefix}TWICE", "text": FIRST},
        {"id": f"{prefix}TWICE", "text": OTHER},  # a conflict while the first is in flight
    ]
    ids = submit_records(stack_settings, records, progress=False)
    bootstrap = stack.endpoints(stack_settings).kafka_bootstrap
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for key, raw in [
        (f"{prefix}EMPTY", b'{"complaint_id": "SEC-ACC-EMPTY", "text": "   "}'),
        (f"{prefix}JSON", b"{not json"),
        (f"{prefix}SCHEMA", b'{"complaint_id": "SEC-ACC-SCHEMA", "text": "x", "privacy": 7}'),
    ]:
        producer.send(stack_settings.topic_submitted, key=key.encode(), value=raw)
    producer.flush()
    producer.close()

    messages = [
        m
        for m in topic_messages(bootstrap, stack_settings.topic_submitted)
        if m.key and m.key.decode().startswith(prefix)
    ]
    assert len(messages) == len(records) + 3
    deadline = time.monotonic() + 120
    while True:
        cases = {
            c["_id"]: c.get("content_sha256")
            for c in store.cases.find({"_id": {"$regex": f"^{prefix}"}}, {"content_sha256": 1})
        }
        letters = dead_letters(bootstrap, stack_settings.topic_dlq)
        fates = {
            (m.partition, m.offset): _account(m, cases, letters, stack_settings.topic_submitted)
            for m in messages
        }
        if all(fates.values()) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert all(len(f) == 1 for f in fates.values()), fates
    assert sorted(cases) == sorted(set(ids))  # one case per id, the first content wins
    assert sum(f == ["dead letter"] for f in fates.values()) == 5  # 2 conflicts + 3 invalid
