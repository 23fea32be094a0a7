"""Reporters' identities are kept no longer than needed (casestore/identities.py):
erased a retention period after the case closed, or at once on request, on the
real store and through `lapor privacy`; the console says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from casestore.deliveries import DeliveryStore
from casestore.store import CaseStore, connect
from casestore.users import UserStore
from lapor import stack
from lapor.operations import submit_records, wait_for_cases
from tests.security.console import login, make_client

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)
SEALED = "gAAAA-sealed-identity"  # never opened here: only whether it is kept


def case(case_id: str, status: str, closed_days_ago: float | None, history: list[str]) -> dict:
    """A case whose history reached ``history``'s statuses, the closing one
    ``closed_days_ago`` days ago (the others earlier)."""
    at = NOW - timedelta(days=(closed_days_ago or 0) + len(history))
    entries = []
    for step in history:
        at += timedelta(days=1)
        entries.append({"status": step, "at": at, "by": "uji", "note": ""})
    return {
        "_id": case_id,
        "text": "Jalan rusak",
        "status": status,
        "status_since": NOW - timedelta(days=1),  # archiving (say) moved it lately
        "privacy": "public",
        "reporter_sealed": SEALED,
        "decision": {"province_code": "34"},
        "history": entries,
    }


@pytest.fixture
def store(stack_settings):
    db = connect(stack.endpoints(stack_settings).mongodb_uri, f"retention_{uuid.uuid4().hex[:8]}")
    store = CaseStore(db)
    store.cases.insert_many(
        [
            case("OLD-SELESAI", "selesai", 400, ["terdisposisi", "ditindaklanjuti", "selesai"]),
            case("OLD-ARSIP", "diarsipkan", 370, ["terdisposisi", "ditolak", "diarsipkan"]),
            case("NEW-SELESAI", "selesai", 30, ["terdisposisi", "selesai"]),
            case("OLD-OPEN", "terdisposisi", None, ["menunggu_verifikasi", "terdisposisi"]),
        ]
    )
    store.cases.update_one(  # open for a long time: never closed, never erased
        {"_id": "OLD-OPEN"}, {"$set": {"history.0.at": NOW - timedelta(days=900)}}
    )
    yield store
    db.client.drop_database(db.name)


def sealed(store: CaseStore) -> dict[str, bool]:
    return {c["_id"]: bool(c.get("reporter_sealed")) for c in store.cases.find()}


def test_identities_of_cases_closed_past_retention_are_erased_once(store):
    assert store.erase_expired_identities(NOW, 365) == 2
    assert sealed(store) == {
        "OLD-SELESAI": False,
        "OLD-ARSIP": False,  # its first closing (ditolak) counts, not the archiving
        "NEW-SELESAI": True,
        "OLD-OPEN": True,
    }
    erased = store.cases.find_one({"_id": "OLD-SELESAI"})["identity_erased"]
    assert erased["by"] == "sistem" and "365 hari" in erased["reason"]
    assert [a["kind"] for a in store.audit_for("OLD-ARSIP")] == ["identity_erased"]
    assert store.erase_expired_identities(NOW, 365) == 0  # idempotent
    assert store.erase_expired_identities(NOW, 20) == 1  # a shorter period reaches more
    assert sealed(store)["NEW-SELESAI"] is False


def test_a_request_erases_an_open_case_and_drops_its_queued_messages(store):
    deliveries = DeliveryStore(store.db)
    doc = {"case_id": "OLD-OPEN", "status": "queued", "sealed": SEALED, "text": "kabar"}
    deliveries.enqueue("OLD-OPEN:e1", "sms", doc, NOW)
    with pytest.raises(ValueError, match="Alasan"):
        store.erase_identity("OLD-OPEN", "dpo", " ", NOW)
    assert store.erase_identity("OLD-OPEN", "dpo", "permohonan 12/2026", NOW)
    assert not store.erase_identity("OLD-OPEN", "dpo", "lagi", NOW)  # nothing left
    (sms,) = deliveries.for_event("OLD-OPEN:e1")
    assert sms["status"] == "skipped" and "sealed" not in sms
    (audit,) = store.audit_for("OLD-OPEN")
    assert (audit["by"], audit["reason"]) == ("dpo", "permohonan 12/2026")
    assert store.cases.find_one({"_id": "OLD-OPEN"})["status"] == "terdisposisi"  # goes on


def test_lapor_privacy_erases_one_case_or_what_is_past_retention(store, stack_settings):
    endpoints = stack.endpoints(stack_settings)
    env = {
        **os.environ,
        "LAPOR_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
        "LAPOR_MONGODB_URI": endpoints.mongodb_uri,
        "LAPOR_MONGODB_DB": store.db.name,
    }

    def lapor_privacy(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "lapor.cli", "privacy", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    run = lapor_privacy("erase", "NEW-SELESAI", "--reason", "permohonan pelapor", "--by", "dpo")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"case_id": "NEW-SELESAI", "erased": True}
    assert lapor_privacy("erase", "TIDAK-ADA", "--reason", "x").returncode != 0
    expired = lapor_privacy("erase-expired")
    assert json.loads(expired.stdout) == {"erased": 2, "retention_days": 365}


def test_the_console_says_the_identity_was_erased(stack_settings, worker):
    reporter = {"name": "Siti Aminah", "phone": "081234567890"}
    text = "Jalan berlubang besar di Kabupaten Sleman, mohon diperbaiki"
    (case_id,) = submit_records(
        stack_settings, [{"text": f"{text} ({uuid.uuid4().hex[:6]})", "reporter": reporter}]
    )
    assert wait_for_cases(stack_settings, [case_id], timeout=120) == 1
    store = CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )
    name = f"privasi-{uuid.uuid4().hex[:6]}"
    UserStore(store.db).create(name, "sandi-privasi-uji-71!", "national_admin")
    with make_client(stack_settings) as console:
        assert login(console, name, "sandi-privasi-uji-71!").status_code == 303
        assert "Siti Aminah" in console.get(f"/admin/cases/{case_id}").text
        assert store.erase_identity(case_id, "dpo", "permohonan pelapor", datetime.now(UTC))
        page = console.get(f"/admin/cases/{case_id}").text
        assert 'id="identity-erased"' in page and "permohonan pelapor" in page
        assert "Siti Aminah" not in page and "081234567890" not in page
