"""A tracking id answers from the moment it is issued (issue 14), on the real
broker, worker and store, through the real app: ``diterima`` until the case is
stored, ``tidak_dapat_diproses`` with a reason when the worker dead-lettered it,
and for an id never issued the very 404 of an unknown id."""

from __future__ import annotations

import json
import time

import pytest
from kafka import KafkaProducer

from casestore.dead_letters import DeadLetterStore
from casestore.store import CaseStore, connect
from core.privacy import token_hash
from core.tracking import TrackingIds
from lapor import stack
from lapor.operations import wait_for_cases

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ids(stack_settings) -> TrackingIds:
    return TrackingIds.from_settings(stack_settings)  # the key the web app uses


@pytest.fixture(scope="module")
def store(stack_settings) -> CaseStore:
    return CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )


def test_an_issued_id_answers_diterima_before_its_case_exists(web_client, ids):
    issued = ids.issue()  # given out, not (yet) a case
    r = web_client.get(f"/api/v1/complaints/{issued}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "diterima" and body["status_label"] == "Diterima, sedang diproses"
    assert body["history"] == [] and body["unit"] is None
    page = web_client.get("/lacak", params={"id": issued})
    assert page.status_code == 200 and "Diterima, sedang diproses" in page.text


def test_a_submitted_complaint_never_answers_404(web_client, stack_settings, store):
    r = web_client.post(
        "/api/v1/complaints", json={"text": "Lampu jalan mati di Kabupaten Sleman sejak Senin"}
    )
    tracking = r.json()["tracking_id"]
    first = web_client.get(f"/api/v1/complaints/{tracking}")
    assert first.status_code == 200
    assert first.json()["status"] in ("diterima", "terdisposisi", "menunggu_verifikasi")
    assert wait_for_cases(stack_settings, [tracking], 120) == 1
    stored = web_client.get(f"/api/v1/complaints/{tracking}").json()["status"]
    assert stored != "diterima"
    # a letter under a stored case's id (an id conflict of a later complaint) never
    # hides the case
    DeadLetterStore(store.db).record([{"key": tracking, "reason": "id_conflict: uji"}])
    assert web_client.get(f"/api/v1/complaints/{tracking}").json()["status"] == stored


def test_a_made_up_id_is_the_404_of_an_unknown_one(web_client, ids):
    issued = ids.issue()
    base, tag = issued.rsplit("-", 1)
    forged = f"{base}-{'A' if tag[0] != 'A' else 'B'}{tag[1:]}"
    unknown = web_client.get("/api/v1/complaints/TIDAK-ADA-123")
    made_up = web_client.get(f"/api/v1/complaints/{forged}")
    untagged = web_client.get(f"/api/v1/complaints/{base}")
    for r in (made_up, untagged):
        assert (
            (r.status_code, r.content)
            == (unknown.status_code, unknown.content)
            == (
                404,
                unknown.content,
            )
        )
    page_unknown = web_client.get("/lacak", params={"id": "TIDAK-ADA-123"})
    page_forged = web_client.get("/lacak", params={"id": forged})
    assert page_forged.status_code == page_unknown.status_code == 404
    assert page_forged.text.replace(forged, "X") == page_unknown.text.replace("TIDAK-ADA-123", "X")


def test_a_rahasia_id_answers_only_with_its_token(web_client, ids):
    issued = ids.issue(token_hash("token-uji-rahasia"))
    unknown = web_client.get("/api/v1/complaints/TIDAK-ADA-123")
    bare = web_client.get(f"/api/v1/complaints/{issued}")
    wrong = web_client.get(f"/api/v1/complaints/{issued}?token=salah")
    assert (
        (bare.status_code, bare.content)
        == (wrong.status_code, wrong.content)
        == (
            404,
            unknown.content,
        )
    )
    ok = web_client.get(
        f"/api/v1/complaints/{issued}", headers={"x-lapor-token": "token-uji-rahasia"}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "diterima"


def test_a_dead_lettered_complaint_says_it_cannot_be_processed(
    web_client, stack_settings, ids, store
):
    """Bad input the worker finds (here: an event another producer wrote, with no
    text) under an issued id: dead-lettered, recorded by id, answered with a reason."""
    issued = ids.issue()
    producer = KafkaProducer(bootstrap_servers=stack.endpoints(stack_settings).kafka_bootstrap)
    bad = {"schema_version": 1, "complaint_id": issued, "text": "   "}
    producer.send(
        stack_settings.topic_submitted, key=issued.encode(), value=json.dumps(bad).encode()
    )
    producer.flush(10)
    producer.close()
    letters = DeadLetterStore(store.db)
    deadline = time.monotonic() + 120
    while letters.find(issued) is None and time.monotonic() < deadline:
        time.sleep(0.3)
    letter = letters.find(issued)
    assert letter is not None and "text" in letter["reason"]
    assert "raw" not in letter and "raw_base64" not in letter  # no payload kept here
    body = web_client.get(f"/api/v1/complaints/{issued}").json()
    assert body["status"] == "tidak_dapat_diproses"
    assert body["reason"].startswith("Isi aduan kosong")
    page = web_client.get("/lacak", params={"id": issued})
    assert "Tidak dapat diproses" in page.text and "Isi aduan kosong" in page.text


def test_every_channel_of_the_hub_issues_tagged_ids(web_client, stack_settings, ids):
    from lapor.operations import submit_records
    from tests.conftest import SMS_SECRET
    from tests.security.sms import signed

    (cli,) = submit_records(stack_settings, [{"text": "Jalan rusak di Kota Bogor"}], progress=False)
    assert ids.issued(cli)
    sms = {"from": "081399990001", "message": "RAHASIA BANJAR kades minta pungli BLT"}
    body = web_client.post("/api/v1/sms", **signed(SMS_SECRET, sms)).json()
    tracking, token = body["tracking_id"], body["secret_token"]
    assert ids.issued(tracking, token_hash(token)) and not ids.issued(tracking)
    own = web_client.post("/api/v1/complaints", json={"id": "SISTEM-LAIN-0001", "text": "Air mati"})
    assert own.json()["tracking_id"] == "SISTEM-LAIN-0001"  # a sender's own id stays its own
