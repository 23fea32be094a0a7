"""Overdue cases are escalated by the running worker, recorded once, and become
visible to the same agency one tier up; manual entry goes through intake."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from casestore.store import CaseStore, connect
from casestore.users import User, UserStore
from lapor import stack
from lapor.operations import submit_records, wait_for_cases

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(stack_settings):
    return CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )


def test_worker_escalates_an_overdue_case_once(stack_settings, worker, store):
    ids = submit_records(
        stack_settings,
        [
            {
                "id": "ESC-1",
                "text": "Air PDAM mati seminggu di Kabupaten Sleman, belum ada perbaikan",
            }
        ],
        False,
    )
    assert wait_for_cases(stack_settings, ids, timeout=120) == 1
    case = store.cases.find_one({"_id": "ESC-1"})
    unit = case["decision"]["unit_id"]
    assert unit and unit.startswith("kabupaten_kota:34.04:")
    provincial = User("prov", "agency_liaison", f"provinsi:34:{case['decision']['agency']}")
    assert store.find_for(provincial, "ESC-1") is None

    past = datetime.now(UTC) - timedelta(days=1)  # as if the deadline had passed
    store.cases.update_one({"_id": "ESC-1"}, {"$set": {"deadline_at": past}})
    deadline = time.monotonic() + 30
    while not store.cases.find_one({"_id": "ESC-1"})["escalated"] and time.monotonic() < deadline:
        time.sleep(0.3)
    escalated = store.cases.find_one({"_id": "ESC-1"})
    assert escalated["escalated"] and escalated["escalated_to"] == provincial.scope
    assert store.find_for(provincial, "ESC-1") is not None
    time.sleep(2.5)  # more timer rounds: still recorded once
    notes = [
        h for h in store.cases.find_one({"_id": "ESC-1"})["history"] if "dieskalasi" in h["note"]
    ]
    assert len(notes) == 1
    assert [a["kind"] for a in store.audit_for("ESC-1")].count("escalation") == 1


def test_manual_entry_uses_the_same_intake(stack_settings, web_client, store):
    users = UserStore(store.db)
    users.create("entry-admin", "sandi-entry-123", "regional_coordinator", "34")
    html = web_client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    web_client.post(
        "/login",
        data={"username": "entry-admin", "password": "sandi-entry-123", "csrf_token": token},
    )
    # a login starts a fresh session with a fresh form token
    entry_form = web_client.get("/admin/entry").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', entry_form).group(1)
    page = web_client.post(
        "/admin/entry",
        data={
            "text": "Surat warga: jembatan gantung di Kab. Kulon Progo putus",
            "privacy": "anonim",
            "reporter_name": "Pak Harjo",
            "reporter_phone": "081200001111",
            "csrf_token": token,
        },
    )
    assert page.status_code == 200
    tracking = re.search(r"Nomor lacak: <b>([^<]+)</b>", page.text).group(1)
    assert wait_for_cases(stack_settings, [tracking], timeout=120) == 1
    case = store.cases.find_one({"_id": tracking})
    assert case["channel"] == "admin" and case["privacy"] == "anonim"
    assert case["reporter_sealed"] and "Harjo" not in str(case)
    empty = web_client.post("/admin/entry", data={"text": " ", "csrf_token": token})
    assert empty.status_code == 422
    web_client.cookies.clear()


def test_deadline_compliance_counts_only_answered_and_overdue_cases(stack_settings):
    """The dashboard said 100 % with no case closed (issue 14): an open case still
    within its deadline cannot be judged yet."""
    db = connect(stack.endpoints(stack_settings).mongodb_uri, f"{stack_settings.mongodb_db}_sla")
    store = CaseStore(db)
    now = datetime.now(UTC)
    base = {"decision": {"agency": "pdam"}, "auto_routed": True, "overridden": False}
    db["cases"].insert_many(
        [
            {
                **base,
                "_id": "ON-TIME",
                "status": "ditindaklanjuti",
                "answered_at": now,
                "answered_in_time": True,
                "deadline_at": None,
            },
            {
                **base,
                "_id": "LATE",
                "status": "selesai",
                "answered_at": now,
                "answered_in_time": False,
                "deadline_at": None,
            },
            {
                **base,
                "_id": "OVERDUE",
                "status": "terdisposisi",
                "deadline_at": now - timedelta(days=1),
            },
            {
                **base,
                "_id": "WAITING",
                "status": "terdisposisi",
                "deadline_at": now + timedelta(days=2),
            },
        ]
    )
    stats = store.dashboard(User("nasional", "national_admin", None), now)
    assert stats["sla_judged"] == 3 and stats["sla_compliance"] == round(1 / 3, 3)
    assert stats["overdue"] == 1 and stats["per_agency"][0]["_id"] == "pdam"
    empty = CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, f"{stack_settings.mongodb_db}_0")
    )
    assert empty.dashboard(User("nasional", "national_admin", None), now)["sla_compliance"] is None
