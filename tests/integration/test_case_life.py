"""The case's life after routing (issue 14) on the real broker, store, worker and
app: the unit's answer (with an agency template), the citizen's reply, confirm,
dispute and rating through the API, the automatic closure by the worker's timer,
and what each does to the unit's figures."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from casestore.feedback import NOT_RATED, auto_close_due
from casestore.performance import performance
from casestore.store import CaseStore, Stale, connect
from casestore.users import UserStore
from casestore.workflow import AUTO_CLOSE_DAYS, add_working_days, deadline_for
from lapor import stack
from lapor.operations import wait_for_cases
from tests.integration.test_security import csrf, login, make_client

pytestmark = pytest.mark.integration

SLEMAN_PDAM = "kabupaten_kota:34.04:pdam"
RUN = uuid.uuid4().hex[:4]
LIAISON, ADMIN = f"cl{RUN}-pdam", f"cl{RUN}-nasional"
PASSWORD = f"sandi-case-life-{RUN}!"
NOT_FOUND = "Aduan tidak ditemukan"


@pytest.fixture(scope="module")
def store(stack_settings) -> CaseStore:
    return CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )


@pytest.fixture
def citizen(stack_settings, worker):
    """The public API from an address of its own per test: the intake rate limit
    (30 a minute per address) counts every citizen action too."""
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    with make_client(stack_settings, client_address=address) as client:
        yield client


@pytest.fixture(scope="module")
def staff(stack_settings, store):
    users = UserStore(store.db)
    users.create(LIAISON, PASSWORD, "agency_liaison", SLEMAN_PDAM)
    users.create(ADMIN, PASSWORD, "national_admin")
    clients = {}
    for account in (LIAISON, ADMIN):
        client = make_client(stack_settings).__enter__()
        assert login(client, account, PASSWORD).status_code == 303
        clients[account] = (client, csrf(client, "/admin/triage"))
    yield clients
    for client, _ in clients.values():
        client.__exit__(None, None, None)


def post(staff, account: str, path: str, **data: str):
    client, token = staff[account]
    return client.post(path, data={"csrf_token": token, **data})


def filed(citizen, stack_settings, store, privacy: str = "public") -> tuple[str, str | None]:
    """A complaint filed through the API and routed by the worker to PDAM Sleman,
    forwarded to the unit (as if the hub had verified it when it was unsure)."""
    answer = citizen.post(
        "/api/v1/complaints",
        json={
            "text": f"Air PDAM mati tiga hari di Kabupaten Sleman, mohon dibantu ({RUN})",
            "privacy": privacy,
        },
    )
    assert answer.status_code == 201, answer.text
    tracking, token = answer.json()["tracking_id"], answer.json()["secret_token"]
    assert wait_for_cases(stack_settings, [tracking], timeout=120) == 1
    case = store.cases.find_one({"_id": tracking})
    assert case["decision"]["unit_id"] == SLEMAN_PDAM, case["decision"]
    store.cases.update_one(
        {"_id": tracking, "status": "menunggu_verifikasi"}, {"$set": {"status": "terdisposisi"}}
    )
    if privacy != "rahasia":  # this test's reporter acts with its receipt's token
        citizen.headers["X-Lapor-Token"] = token
    return tracking, token


def answered(staff, store, tracking: str, text: str = "Pipa sudah diperbaiki hari ini.") -> dict:
    response = post(staff, LIAISON, f"/admin/cases/{tracking}/answer", text=text)
    assert response.status_code == 303 and "error" not in response.headers["location"]
    return store.cases.find_one({"_id": tracking})


def refused(response, status: int, words: str) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert words in response.json()["detail"], response.json()


def test_answer_with_a_template_then_the_citizen_replies_confirms_and_rates(
    citizen, staff, store, stack_settings
):
    tracking, key = filed(citizen, stack_settings, store)
    # the id alone (public: Open311 lists it) acts on nothing; a wrong token neither
    for wrong in ({}, {"X-Lapor-Token": "bukan-token"}):
        keyless = citizen.post(
            f"/api/v1/complaints/{tracking}/replies",
            json={"text": "bukan pelapornya"},
            headers={"X-Lapor-Token": "", **wrong},
        )
        assert keyless.status_code == 404, keyless.text
    # an admin writes the agency's template; a liaison may not
    client, token = staff[LIAISON]
    assert client.get("/admin/templat").status_code == 403
    saved = post(
        staff,
        ADMIN,
        "/admin/templat",
        agency="pdam",
        title=f"Perbaikan pipa {RUN}",
        body="Pipa distribusi telah diperbaiki; hubungi kami di 0812-1111-2222 bila masih mati.",
    )
    assert saved.status_code == 303
    page = client.get(f"/admin/cases/{tracking}").text
    assert f"Perbaikan pipa {RUN}" in page and 'id="answer-form"' in page
    template_id = (
        page.split(f"Perbaikan pipa {RUN}")[0].rsplit('option value="', 1)[1].split('"')[0]
    )

    # the refusals before any answer: nothing to confirm, dispute or rate yet
    refused(citizen.post(f"/api/v1/complaints/{tracking}/confirm", json={}), 409, "Terdisposisi")
    refused(
        citizen.post(f"/api/v1/complaints/{tracking}/rating", json={"score": 5}), 409, "Penilaian"
    )

    before = datetime.now(UTC)
    response = post(staff, LIAISON, f"/admin/cases/{tracking}/answer", template_id=template_id)
    assert response.status_code == 303 and "error" not in response.headers["location"]
    case = store.cases.find_one({"_id": tracking})
    assert case["status"] == "ditindaklanjuti" and case["answered_in_time"] is True
    assert case["answers"][0]["template_id"] == template_id
    assert "0812-1111-2222" not in case["answers"][0]["text"]  # masked like complaint text
    assert case["auto_close_at"] >= add_working_days(before, AUTO_CLOSE_DAYS) - timedelta(days=1)

    seen = citizen.get(f"/api/v1/complaints/{tracking}").json()
    assert seen["status"] == "ditindaklanjuti"
    assert "Pipa distribusi telah diperbaiki" in seen["answers"][0]["text"]
    assert any("jawaban unit" in (h["note"] or "") for h in seen["history"])

    reply = citizen.post(
        f"/api/v1/complaints/{tracking}/replies",
        json={"text": "Air sudah mengalir, terima kasih. WA saya 0813 9999 8888"},
    )
    assert reply.status_code == 200 and reply.json()["status"] == "ditindaklanjuti"
    case = store.cases.find_one({"_id": tracking})
    assert "9999" not in case["replies"][0]["text"] and "<telepon>" in case["replies"][0]["text"]
    assert "Air sudah mengalir" in client.get(f"/admin/cases/{tracking}").text  # the unit sees it

    refused(
        citizen.post(f"/api/v1/complaints/{tracking}/replies", json={"text": "  "}),
        422,
        "wajib diisi",
    )
    confirm = citizen.post(f"/api/v1/complaints/{tracking}/confirm", json={})
    assert confirm.json()["status"] == "selesai" and confirm.json()["status_label"] == "Selesai"
    refused(citizen.post(f"/api/v1/complaints/{tracking}/confirm", json={}), 409, "Selesai")
    refused(
        citizen.post(f"/api/v1/complaints/{tracking}/replies", json={"text": "lagi"}),
        409,
        "sudah ditutup",
    )
    bad = citizen.post(f"/api/v1/complaints/{tracking}/rating", json={"score": 6})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "score"
    rate = citizen.post(
        f"/api/v1/complaints/{tracking}/rating",
        json={"score": 4, "comment": "Cepat. Petugas Budi 081234567890 ramah"},
    )
    assert rate.status_code == 200, rate.text
    refused(
        citizen.post(f"/api/v1/complaints/{tracking}/rating", json={"score": 1}),
        409,
        "sudah dinilai",
    )
    case = store.cases.find_one({"_id": tracking})
    assert case["rating"]["score"] == 4 and "081234567890" not in case["rating"]["comment"]
    assert case["closed_by"] == "pelapor" and case.get("auto_close_at") is None
    # the public statistics carry the new figures (and nothing personal)
    rows = csv.DictReader(io.StringIO(citizen.get("/statistik?by=unit&format=csv").text))
    sleman = next(r for r in rows if r["unit"] == SLEMAN_PDAM)
    assert int(sleman["satisfaction_count"]) >= 1 and sleman["score"]
    assert "reopen_rate" in sleman and "Budi" not in citizen.get("/statistik?by=unit").text
    kinds = [a["kind"] for a in store.audit_for(tracking)]
    assert {"answer", "citizen_reply", "citizen_confirm", "citizen_rating"} <= set(kinds)


def test_a_dispute_reopens_the_case_to_the_same_unit_and_counts_against_it(
    citizen, staff, store, stack_settings
):
    tracking, _ = filed(citizen, stack_settings, store)
    first = answered(staff, store, tracking)
    refused(
        citizen.post(f"/api/v1/complaints/{tracking}/dispute", json={"reason": " \u200b "}),
        422,
        "Alasan sanggahan wajib diisi",
    )
    later = datetime.now(UTC)
    dispute = citizen.post(
        f"/api/v1/complaints/{tracking}/dispute", json={"reason": "Air masih mati di RT 03"}
    )
    assert dispute.status_code == 200 and dispute.json()["status_label"] == "Dibuka kembali"
    case = store.cases.find_one({"_id": tracking})
    assert case["status"] == "dibuka_kembali" and case["reopened"] == 1
    assert case["decision"]["unit_id"] == SLEMAN_PDAM  # the same unit, a fresh deadline
    assert case["deadline_at"] >= deadline_for("dibuka_kembali", later) - timedelta(minutes=1)
    assert case["auto_close_at"] is None and case["answered_at"] == first["answered_at"]
    refused(citizen.post(f"/api/v1/complaints/{tracking}/confirm", json={}), 409, "Dibuka kembali")

    # nobody in the console reopens a case: that is the citizen's word
    client, _ = staff[ADMIN]
    assert 'value="dibuka_kembali"' not in client.get(f"/admin/cases/{tracking}").text
    again = answered(staff, store, tracking, "Katup di RT 03 sudah dibuka.")
    assert again["status"] == "ditindaklanjuti" and len(again["answers"]) == 2
    assert (
        post(
            staff, ADMIN, f"/admin/cases/{tracking}/status", to="dibuka_kembali", reason="x"
        ).status_code
        == 403
    )

    rows = performance(
        store.cases,
        later - timedelta(days=1),
        later + timedelta(days=1),
        scope={"decision.unit_id": SLEMAN_PDAM},
    )
    (row,) = rows
    assert row["reopened"] >= 1 and 0 < row["reopen_rate"] <= 1


def test_a_rahasia_case_answers_like_an_unknown_id_without_its_token(
    citizen, staff, store, stack_settings
):
    tracking, token = filed(citizen, stack_settings, store, privacy="rahasia")
    assert token
    answered(staff, store, tracking)
    for path, body in (
        ("replies", {"text": "tambahan"}),
        ("confirm", {}),
        ("dispute", {"reason": "belum"}),
        ("rating", {"score": 3}),
    ):
        for wrong in ({}, {"token": "bukan-token"}):
            refused(
                citizen.post(f"/api/v1/complaints/{tracking}/{path}", json={**body, **wrong}),
                404,
                NOT_FOUND,
            )
        unknown = citizen.post(f"/api/v1/complaints/LPR-000000-NOPE/{path}", json=body)
        assert (
            unknown.json()
            == citizen.post(f"/api/v1/complaints/{tracking}/{path}", json=body).json()
        )
    assert store.cases.find_one({"_id": tracking})["status"] == "ditindaklanjuti"
    ok = citizen.post(
        f"/api/v1/complaints/{tracking}/confirm", json={}, headers={"X-Lapor-Token": token}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "selesai"
    rate = citizen.post(f"/api/v1/complaints/{tracking}/rating", json={"score": 5, "token": token})
    assert rate.status_code == 200


def test_the_worker_closes_an_unanswered_case_once(citizen, staff, store, stack_settings):
    """No reply in 10 working days: the running worker's timer closes it (the clock
    moved by putting auto_close_at in the past, never by sleeping days)."""
    tracking, _ = filed(citizen, stack_settings, store)
    answered(staff, store, tracking)
    store.cases.update_one(
        {"_id": tracking}, {"$set": {"auto_close_at": datetime.now(UTC) - timedelta(minutes=1)}}
    )
    deadline = time.monotonic() + 30
    while store.cases.find_one({"_id": tracking})["status"] != "selesai":
        assert time.monotonic() < deadline, "the worker did not close the case"
        time.sleep(0.3)
    time.sleep(2.5)  # more timer rounds: still closed once
    case = store.cases.find_one({"_id": tracking})
    assert case["closed_by"] == "sistem"
    notes = [h for h in case["history"] if "ditutup otomatis" in h["note"]]
    assert len(notes) == 1 and notes[0]["by"] == "sistem"
    assert [a["kind"] for a in store.audit_for(tracking)].count("auto_close") == 1
    seen = citizen.get(f"/api/v1/complaints/{tracking}").json()
    assert seen["status"] == "selesai" and "ditutup otomatis" in seen["history"][-1]["note"]
    assert auto_close_due(store, datetime.now(UTC)) == 0  # nothing left to close


def test_the_rating_is_written_once_even_when_two_requests_race(store):
    """The compare-and-set the rating uses: "not rated yet" in the match (checked on
    the store that runs here)."""
    case_id = f"RATE-{RUN}"
    store.cases.insert_one({"_id": case_id, "status": "selesai"})
    try:
        case = store.cases.find_one({"_id": case_id})
        store.apply_change(case, {"$set": {"rating": {"score": 5}}}, NOT_RATED)
        with pytest.raises(Stale):
            store.apply_change(case, {"$set": {"rating": {"score": 1}}}, NOT_RATED)
        assert store.cases.find_one({"_id": case_id})["rating"]["score"] == 5
    finally:  # a bare document is no case: keep it out of the shared store's lists
        store.cases.delete_one({"_id": case_id})


def test_the_tracking_pages_forms_need_their_token_and_share_the_intake_limit(
    stack_settings, citizen, staff, store
):
    tracking, key = filed(citizen, stack_settings, store)
    answered(staff, store, tracking)
    page = citizen.get(f"/lacak?id={tracking}")
    assert 'id="dispute-form"' in page.text and 'id="confirm-form"' in page.text
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    forged = citizen.post("/lacak/tanggapan", data={"id": tracking, "text": "tanpa token"})
    assert forged.status_code == 403
    empty = citizen.post(
        "/lacak/sanggah",
        data={"id": tracking, "reason": " ", "csrf_token": form_token, "token": key},
    )
    assert empty.status_code == 422 and "Alasan sanggahan wajib diisi" in empty.text
    # a public case's id is public (Open311 lists it): without the receipt's token
    # nobody acts on it, and the answer is the unknown id's
    keyless = citizen.post(
        "/lacak/tanggapan",
        data={"id": tracking, "text": "bukan pelapornya", "csrf_token": form_token},
    )
    assert keyless.status_code == 404 and 'id="not-found"' in keyless.text
    sent = citizen.post(
        "/lacak/tanggapan",
        data={"id": tracking, "text": "Rumah saya no 12", "csrf_token": form_token, "token": key},
    )
    assert sent.status_code == 200 and "Tanggapan Anda terkirim" in sent.text
    assert store.cases.find_one({"_id": tracking})["replies"][0]["text"] == "Rumah saya no 12"
    other = citizen.post(
        "/lacak/hapus", data={"id": tracking, "csrf_token": form_token, "token": key}
    )
    assert other.status_code == 404 and "Tindakan tidak dikenal" in other.text

    # every citizen action counts against the same per-address limit as intake
    address = f"10.250.{uuid.uuid4().int % 250}.9"
    with make_client(stack_settings, client_address=address, intake_rate_per_minute=2) as tight:
        tight.headers["X-Lapor-Token"] = key
        codes = [
            tight.post(f"/api/v1/complaints/{tracking}/replies", json={"text": "x"}).status_code
            for _ in range(3)
        ]
    assert codes[:2] == [200, 200] and codes[2] == 429


def test_reopen_rate_satisfaction_and_score_rank_the_units(stack_settings):
    """The new figures on the store that runs here (its projection of
    ``rating.score``), and the ranking by score within peers."""
    db = connect(stack.endpoints(stack_settings).mongodb_uri, f"{stack_settings.mongodb_db}_life")
    db["cases"].delete_many({})
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)

    def case(i: int, unit: str, **extra) -> dict:
        return {
            "_id": f"L-{i}",
            "created_at": start,
            "status": "selesai",
            "answered_at": start + timedelta(hours=2),
            "answered_in_time": True,
            "decision": {
                "unit_id": unit,
                "unit_name": unit,
                "agency": "pdam",
                "tier": "kabupaten_kota",
                "province_code": "34",
            },
            **extra,
        }

    db["cases"].insert_many(
        [
            case(1, "A", reopened=1, rating={"score": 5, "comment": None}),
            case(2, "A", rating={"score": 4}),
            case(3, "B"),
        ]
    )
    a_row, b_row = sorted(
        performance(db["cases"], start - timedelta(days=1), start + timedelta(days=1)),
        key=lambda r: r["unit"],
    )
    assert (a_row["reopen_rate"], a_row["satisfaction_mean"], a_row["satisfaction_count"]) == (
        0.5,
        4.5,
        2,
    )
    assert a_row["score"] == 84.4 and b_row["score"] == 100.0  # B: nothing rated, no reopen
    assert (b_row["rank"], a_row["rank"], a_row["peers"]) == (1, 2, 2)
