"""Merge rules on the real store (casestore/merge.py): who may merge what (related
cases, or any in the admin's scope by number), chains
refused, the primary's status changes followed, triage left, split restores a deadline."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from casestore.merge import MergeError, merge, split
from casestore.store import CaseStore, connect
from casestore.users import User
from casestore.workflow import TransitionError
from lapor import stack

pytestmark = pytest.mark.integration
ADMIN = User("admin-gabung", "national_admin", None)
KALSEL = User("koord-kalsel", "regional_coordinator", "63")
LIAISON = User("unit", "agency_liaison", "kabupaten_kota:34.04:pdam")


def case(i: str, related: list[str], province: str = "34", status: str = "terdisposisi") -> dict:
    now = datetime.now(UTC)
    return {
        "_id": i,
        "text": "Lampu jalan mati",
        "status": status,
        "status_since": now,
        "created_at": now,
        "deadline_at": now,
        "related": related,
        "decision": {"province_code": province, "regency_code": f"{province}.04", "tier": "x"},
        "history": [],
    }


@pytest.fixture
def store(stack_settings, request):
    db = connect(
        stack.endpoints(stack_settings).mongodb_uri,
        f"{stack_settings.mongodb_db}_merge_{request.node.name[-20:]}",
    )
    store = CaseStore(db)
    store.cases.insert_many(
        [
            case("M-1", ["M-2", "M-3"]),
            case("M-2", ["M-1"], status="menunggu_verifikasi"),
            case("M-3", ["M-1"]),
            case("M-4", []),
        ]
    )
    yield store
    db.client.drop_database(db.name)


def test_only_admins_merge_only_cases_they_can_see(store):
    store.cases.insert_one(case("M-5", [], province="63"))
    with pytest.raises(PermissionError):
        merge(store, LIAISON, "M-1", ["M-2"], "sama")
    with pytest.raises(LookupError):  # a coordinator of another province sees nothing
        merge(store, KALSEL, "M-1", ["M-2"], "sama")
    with pytest.raises(MergeError, match="M-1 tidak ditemukan di cakupan Anda"):
        merge(store, KALSEL, "M-5", ["M-1"], "sama")  # a number typed from outside
    with pytest.raises(MergeError, match="M-9 tidak ditemukan"):
        merge(store, ADMIN, "M-1", ["M-9"], "sama")
    with pytest.raises(MergeError, match="Alasan"):
        merge(store, ADMIN, "M-1", ["M-2"], " ")
    assert store.cases.count_documents({"merged_into": {"$exists": True}}) == 0
    # a duplicate the linker did not relate, given by its number
    assert merge(store, ADMIN, "M-1", ["M-4"], "lampu yang sama, dilaporkan ulang") == ["M-4"]
    assert store.cases.find_one({"_id": "M-4"})["merged_into"] == "M-1"


def test_merged_cases_follow_the_primary_and_leave_triage(store):
    assert merge(store, ADMIN, "M-1", ["M-2", "M-3"], "lampu yang sama") == ["M-2", "M-3"]
    triage = {c["_id"] for c in store.list_for(ADMIN, store.triage_query())}
    assert triage == {"M-1", "M-4"}  # overdue; M-2 waited for verification before
    with pytest.raises(MergeError, match="sudah digabung"):  # no chains
        merge(store, ADMIN, "M-2", ["M-1"], "x")
    with pytest.raises(TransitionError, match="digabung ke M-1"):
        store.change_status(ADMIN, "M-2", "ditindaklanjuti", "x")
    assert split(store, ADMIN, "M-3", "lampu lain") == "M-1"
    alone = store.cases.find_one({"_id": "M-3"})
    assert "merged_into" not in alone and alone["deadline_at"] is not None  # runs again
    assert store.cases.find_one({"_id": "M-1"})["merged"] == ["M-2"]
    with pytest.raises(MergeError, match="tidak sedang digabung"):
        split(store, ADMIN, "M-3", "lagi")

    store.change_status(ADMIN, "M-1", "ditindaklanjuti", "Petugas sudah dijadwalkan")
    follower = store.cases.find_one({"_id": "M-2"})
    assert follower["status"] == "ditindaklanjuti" and follower["deadline_at"] is None
    assert "Petugas sudah dijadwalkan" in follower["history"][-1]["note"]
    assert store.cases.find_one({"_id": "M-3"})["status"] == "terdisposisi"  # split off


def test_a_redispatched_primary_takes_its_merged_cases_along(store):
    merge(store, ADMIN, "M-1", ["M-2", "M-3"], "lampu yang sama")
    unit = {"unit_id": "kabupaten_kota:34.04:dinas_perhubungan", "unit_name": "Dishub Sleman"}
    decision = {**unit, "agency": "dinas_perhubungan", "topic": "penerangan_jalan_umum"}
    store.redispatch(ADMIN, store.find_for(ADMIN, "M-1"), decision, "urusan Dishub")
    for follower in store.cases.find({"_id": {"$in": ["M-2", "M-3"]}}):
        assert follower["decision"]["unit_id"] == unit["unit_id"]  # the new unit's scope
        assert follower["status"] == "terdisposisi" and follower.get("deadline_at") is None
        assert follower["history"][-1]["public_note"] == "dialihkan ke Dishub Sleman"
        assert follower["outbox"][-1]["status"] == "terdisposisi"  # its citizen is told
    dishub = User("dishub", "agency_liaison", unit["unit_id"])
    assert {c["_id"] for c in store.list_for(dishub, {})} == {"M-1", "M-2", "M-3"}

    told = len(store.cases.find_one({"_id": "M-2"})["history"])
    fixed = {**decision, "topic": "lampu_lalu_lintas"}  # the same unit: a topic corrected
    store.redispatch(ADMIN, store.find_for(ADMIN, "M-1"), fixed, "topik salah")
    follower = store.cases.find_one({"_id": "M-2"})
    assert follower["decision"]["topic"] == "lampu_lalu_lintas"
    assert len(follower["history"]) == told  # nothing for the citizen to read
