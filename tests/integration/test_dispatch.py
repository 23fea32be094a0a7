"""Dispatch and re-dispatch (issue 14) on the real broker, store and `lapor worker`:
who may route a case, the "Dialihkan / bukan wewenang" queue, the re-dispatch's
routed and overridden events, their consumers, and replays of both."""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from casestore.export import labelled_cases
from casestore.store import CaseStore, connect
from casestore.users import UserStore
from casestore.workflow import deadline_for
from lapor import stack
from lapor.operations import submit_records, wait_for_cases
from tests.integration.test_security import csrf, login, make_client

pytestmark = pytest.mark.integration

SLEMAN_PDAM = "kabupaten_kota:34.04:pdam"
BANTUL_PDAM = "kabupaten_kota:34.02:pdam"
RUN = uuid.uuid4().hex[:4]
ACCOUNTS = {  # role, scope
    "nasional": ("national_admin", None),
    "koord-diy": ("regional_coordinator", "34"),  # Sleman and Bantul are in DIY (34)
    "koord-jatim": ("regional_coordinator", "35"),
    "pdam-sleman": ("agency_liaison", SLEMAN_PDAM),
    "pdam-bantul": ("agency_liaison", BANTUL_PDAM),
}


def name(account: str) -> str:
    return f"dp{RUN}-{account}"


def password(account: str) -> str:
    return f"sandi-dispatch-{account}-{RUN}!"


@pytest.fixture(scope="module")
def store(stack_settings) -> CaseStore:
    return CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )


@pytest.fixture(scope="module")
def accounts(store):
    users = UserStore(store.db)
    for account, (role, scope) in ACCOUNTS.items():
        users.create(name(account), password(account), role, scope)
    return users


@pytest.fixture
def sleman_case(stack_settings, worker, store) -> str:
    """A fresh case the worker routed to PDAM Kabupaten Sleman."""
    case_id = f"DP-{uuid.uuid4().hex[:8].upper()}"
    ids = submit_records(
        stack_settings,
        [{"id": case_id, "text": "Air PDAM mati tiga hari di Kabupaten Sleman, mohon dibantu"}],
        progress=False,
    )
    assert wait_for_cases(stack_settings, ids, timeout=120) == 1
    case = store.cases.find_one({"_id": case_id})
    assert case["decision"]["unit_id"] == SLEMAN_PDAM, case["decision"]
    if case["status"] == "menunggu_verifikasi":  # low confidence: the hub verifies first
        store.cases.update_one({"_id": case_id}, {"$set": {"status": "terdisposisi"}})
    return case_id


class Console:
    """One logged-in console user (a TestClient on its own app instance)."""

    def __init__(self, settings, account: str) -> None:
        self.client = make_client(settings)
        self.client.__enter__()
        assert login(self.client, name(account), password(account)).status_code == 303
        self.token = csrf(self.client, "/admin/triage")

    def post(self, path: str, **data: str):
        return self.client.post(path, data={"csrf_token": self.token, **data})

    def override(self, case_id: str, region: str, reason: str = "salah kabupaten", **fields):
        data = {"agency": "pdam", "topic": "air_bersih_mati", "tier": "kabupaten_kota"}
        data.update(fields)
        return self.post(f"/admin/cases/{case_id}/override", region=region, reason=reason, **data)

    def status(self, case_id: str, to: str, reason: str = ""):
        return self.post(f"/admin/cases/{case_id}/status", to=to, reason=reason)

    def close(self) -> None:
        self.client.__exit__(None, None, None)


@pytest.fixture
def console(stack_settings, accounts):
    opened: list[Console] = []

    def open_as(account: str) -> Console:
        opened.append(Console(stack_settings, account))
        return opened[-1]

    yield open_as
    for c in opened:
        c.close()


def refused(response, status: int, words: str) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert words in response.json()["detail"]


def events_of(settings, topic: str, key: str) -> list:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=stack.endpoints(settings).kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=4000,
        group_id=None,
    )
    found = [m for m in consumer if m.key == key.encode()]
    consumer.close()
    return found


def wait_consumed(settings, group: str, topic: str, partition: int, offset: int) -> None:
    """Until the worker's consumer group has committed past ``offset``: the sink
    commits only after it wrote the batch, so the message has been handled."""
    # a consumer that never subscribes only reads the group's committed offsets
    reader = KafkaConsumer(
        bootstrap_servers=stack.endpoints(settings).kafka_bootstrap,
        group_id=f"{settings.worker_id}-{group}",
        enable_auto_commit=False,
    )
    tp = TopicPartition(topic, partition)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            committed = reader.committed(tp)
            if committed is not None and committed > offset:
                return
            time.sleep(0.3)
    finally:
        reader.close()
    raise AssertionError(f"{group} did not consume {topic}[{partition}]@{offset}")


def wait_for(check, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError("timed out")


# --- roles: a refusal per role, each a 403 or 404 with Indonesian words -------------


def test_a_liaison_cannot_reroute_its_own_case(console, store, sleman_case):
    """Before: any liaison could move its case to any unit in the country."""
    liaison = console("pdam-sleman")
    refused(liaison.override(sleman_case, "Kabupaten Malang"), 403, "tidak dapat mengalihkan")
    refused(liaison.override(sleman_case, "Kabupaten Bantul"), 403, "tidak dapat mengalihkan")
    refused(liaison.status(sleman_case, "menunggu_verifikasi", "kembali"), 403, "hanya dapat")
    case = store.cases.find_one({"_id": sleman_case})
    assert case["decision"]["unit_id"] == SLEMAN_PDAM and case.get("decision_version", 1) == 1
    assert case["status"] == "terdisposisi"
    page = liaison.client.get(f"/admin/cases/{sleman_case}").text
    assert 'id="override-form"' not in page and 'id="liaison-note"' in page


def test_another_units_liaison_and_a_coordinator_elsewhere_get_404(console, sleman_case):
    for account in ("pdam-bantul", "koord-jatim"):
        other = console(account)
        assert other.client.get(f"/admin/cases/{sleman_case}").status_code == 404
        refused(other.override(sleman_case, "Kabupaten Bantul"), 404, "tidak ditemukan")
        refused(other.status(sleman_case, "bukan_wewenang", "x"), 404, "tidak ditemukan")
        refused(
            other.post(f"/admin/cases/{sleman_case}/ask", question="alamat?"),
            404,
            "tidak ditemukan",
        )


def test_bukan_wewenang_needs_a_reason_and_waits_one_day_in_the_hubs_queue(
    console, store, sleman_case
):
    liaison = console("pdam-sleman")
    answer = liaison.status(sleman_case, "bukan_wewenang", "  ")
    assert answer.status_code == 303 and "Alasan%20wajib%20diisi" in answer.headers["location"]
    assert store.cases.find_one({"_id": sleman_case})["status"] == "terdisposisi"

    assert liaison.status(sleman_case, "bukan_wewenang", "jaringan milik PDAM Bantul").is_redirect
    case = store.cases.find_one({"_id": sleman_case})
    assert case["status"] == "bukan_wewenang"
    assert case["deadline_at"] == deadline_for("bukan_wewenang", case["status_since"])
    assert case["history"][-1]["note"] == "jaringan milik PDAM Bantul"

    for account in ("nasional", "koord-diy"):
        queue = console(account).client.get("/admin/triage?queue=dialihkan").text
        row = re.search(rf'<a href="/admin/cases/{sleman_case}">.*?</tr>', queue, re.S)
        assert row and 'data-reason="bukan_wewenang"' in row.group(0), account
        assert "Dialihkan / bukan wewenang" in queue
    assert sleman_case not in console("koord-jatim").client.get("/admin/triage").text


def test_a_coordinator_redispatches_only_inside_its_region(
    console, store, stack_settings, sleman_case
):
    coordinator = console("koord-diy")
    refused(coordinator.override(sleman_case, "Kabupaten Malang"), 403, "di luar wilayah")
    assert store.cases.find_one({"_id": sleman_case}).get("decision_version", 1) == 1
    assert not events_of(stack_settings, stack_settings.topic_overridden, sleman_case)

    answer = coordinator.override(sleman_case, "Kabupaten Bantul", reason="pipa milik Bantul")
    assert answer.status_code == 303 and "error" not in answer.headers["location"]
    case = store.cases.find_one({"_id": sleman_case})
    assert case["decision"]["unit_id"] == BANTUL_PDAM and case["decision_version"] == 2
    assert case["decided_by"] == name("koord-diy")


def test_a_redispatch_reaches_the_new_unit_the_citizen_and_the_training_export(
    console, store, stack_settings, web_client, sleman_case
):
    liaison = console("pdam-sleman")
    assert liaison.status(sleman_case, "bukan_wewenang", "bukan wilayah kami").is_redirect
    admin = console("nasional")
    answer = admin.override(sleman_case, "Kabupaten Bantul", reason="hubungi 081234567890 dulu")
    assert answer.status_code == 303 and "error" not in answer.headers["location"]

    case = store.cases.find_one({"_id": sleman_case})
    unit = case["decision"]["unit_name"]
    assert case["status"] == "terdisposisi" and case["decision_version"] == 2
    assert case["deadline_at"] == deadline_for("terdisposisi", case["status_since"])
    assert case["history"][-1]["public_note"] == f"dialihkan ke {unit}"
    # the new unit sees it, the old one no longer does
    assert console("pdam-bantul").client.get(f"/admin/cases/{sleman_case}").status_code == 200
    assert liaison.client.get(f"/admin/cases/{sleman_case}").status_code == 404
    # the citizen sees where it went, not the staff's notes
    public = web_client.get(f"/api/v1/complaints/{sleman_case}").json()
    assert public["unit"] == unit
    notes = [h["note"] for h in public["history"]]
    assert f"dialihkan ke {unit}" in notes and "bukan wilayah kami" not in json.dumps(public)

    routed = [
        json.loads(m.value)
        for m in events_of(stack_settings, stack_settings.topic_routed, sleman_case)
    ]
    assert [e.get("decision_version", 1) for e in routed] == [1, 2]
    latest = routed[-1]
    assert latest["decided_by"] == name("nasional") and latest["decision"]["unit_id"] == BANTUL_PDAM
    assert "081234567890" not in latest["reason"] and "<telepon>" in latest["reason"]
    overridden = [
        json.loads(m.value)
        for m in events_of(stack_settings, stack_settings.topic_overridden, sleman_case)
    ]
    assert [e["decision_version"] for e in overridden] == [2]
    assert overridden[0]["before"]["unit_id"] == SLEMAN_PDAM

    # the worker records the correction where the export reads it
    wait_for(lambda: store.db["corrections"].count_documents({"complaint_id": sleman_case}) == 1)
    rows = {r["id"]: r for r in labelled_cases(store.db)}
    assert rows[sleman_case]["provenance"]["kind"] == "override"
    assert rows[sleman_case]["provenance"]["by"] == name("nasional")


def test_replaying_every_event_leaves_one_case_at_the_newest_version(
    console, store, stack_settings, sleman_case
):
    admin = console("nasional")
    assert admin.override(sleman_case, "Kabupaten Bantul", reason="ke Bantul").is_redirect
    assert admin.override(
        sleman_case, "Kabupaten Kulon Progo", reason="ke Kulon Progo", topic="tagihan_air"
    ).is_redirect
    before = store.cases.find_one({"_id": sleman_case})
    assert before["decision_version"] == 3 and before["decision"]["regency_code"] == "34.01"
    wait_for(lambda: store.db["corrections"].count_documents({"complaint_id": sleman_case}) == 2)

    routed = events_of(stack_settings, stack_settings.topic_routed, sleman_case)
    overridden = events_of(stack_settings, stack_settings.topic_overridden, sleman_case)
    assert len(routed) == 3 and len(overridden) == 2
    producer = KafkaProducer(bootstrap_servers=stack.endpoints(stack_settings).kafka_bootstrap)
    # every event again, the newest first and then the stale ones: none rolls back
    replays = {}
    for topic, messages in (
        (stack_settings.topic_routed, routed[::-1]),
        (stack_settings.topic_overridden, overridden[::-1]),
    ):
        for message in messages:
            sent = producer.send(topic, key=message.key, value=message.value).get(10)
            replays[topic] = (sent.partition, sent.offset)
    producer.close()
    for group, topic in (
        ("sink", stack_settings.topic_routed),
        ("corrections", stack_settings.topic_overridden),
    ):
        wait_consumed(stack_settings, group, topic, *replays[topic])

    assert store.count({"_id": sleman_case}) == 1
    after = store.cases.find_one({"_id": sleman_case})
    assert after["decision_version"] == 3 and after["decision"] == before["decision"]
    assert after["history"] == before["history"] and after["status"] == before["status"]
    assert store.db["corrections"].count_documents({"complaint_id": sleman_case}) == 2
    row = {r["id"]: r for r in labelled_cases(store.db)}[sleman_case]
    assert row["topic"] == "tagihan_air"


def test_a_newer_routed_event_from_the_topic_is_applied_by_the_sink(
    store, stack_settings, sleman_case
):
    """The sink applies a re-dispatch it has not seen (a console whose store write
    was lost, another hub): a newer version wins, an equal or older one does not."""
    routed = events_of(stack_settings, stack_settings.topic_routed, sleman_case)
    event = json.loads(routed[0].value)
    event["decision"].update(
        unit_id=BANTUL_PDAM,
        unit_name="PDAM Kabupaten Bantul",
        regency_code="34.02",
        regency="Kabupaten Bantul",
    )
    event.update(decision_version=5, decided_by="hub-lain", reason="dari sistem lain")
    producer = KafkaProducer(bootstrap_servers=stack.endpoints(stack_settings).kafka_bootstrap)
    sent = producer.send(
        stack_settings.topic_routed, key=sleman_case.encode(), value=json.dumps(event).encode()
    ).get(10)
    producer.close()
    wait_consumed(stack_settings, "sink", stack_settings.topic_routed, sent.partition, sent.offset)
    case = store.cases.find_one({"_id": sleman_case})
    assert case["decision_version"] == 5 and case["decision"]["unit_id"] == BANTUL_PDAM
    assert case["decided_by"] == "hub-lain" and case["status"] == "terdisposisi"
    assert case["history"][-1]["public_note"] == "dialihkan ke PDAM Kabupaten Bantul"


# --- the triage list: every page, and why each case is there ------------------------


def test_triage_pages_through_every_case_and_says_why(store, stack_settings, accounts):
    """Before: the newest 50 only, and no reason. 55 queued cases of one regency of
    Sulawesi Utara (71, used by no other test) over two pages, and a closed one."""
    from datetime import UTC, datetime, timedelta

    from casestore.store import case_from_routed
    from casestore.users import UserStore
    from routing_rules.regions import region_index
    from streams.validate import validate_routed
    from tests.security.test_routed_events import encode, routed

    index = region_index()
    regency = sorted(c for c in index.regencies if c.startswith("71."))[0]
    province = index.regencies[regency].province_code
    coordinator = f"dp{RUN}-koord-{regency}"
    UserStore(store.db).create(coordinator, password("tri"), "regional_coordinator", regency)
    kinds = ["keyakinan"] * 50 + ["ambigu"] * 2 + ["tidak_diketahui", "bw", "lewat", "selesai"]
    base = datetime.now(UTC) - timedelta(hours=1)
    docs = []
    for i, kind in enumerate(kinds):
        doc = case_from_routed(validate_routed(encode(routed(f"TRI{RUN}-{i:02d}"))))
        decision = doc["decision"]
        decision.update(province_code=province, regency_code=regency, reasons=[])
        doc.update(status="menunggu_verifikasi", created_at=base + timedelta(seconds=i))
        if kind == "keyakinan":
            doc["prediction"]["confident"] = False
            decision["reasons"] = ["triase:keyakinan — keyakinan model di bawah ambang"]
        elif kind in ("ambigu", "tidak_diketahui"):
            decision.update(unit_id=None, reasons=["triase:wilayah — tidak ditebak"])
            decision["region_candidates"] = [regency, province] if kind == "ambigu" else []
        elif kind == "bw":
            doc["status"] = "bukan_wewenang"
            doc["deadline_at"] = deadline_for("bukan_wewenang", datetime.now(UTC))
        elif kind == "lewat":
            doc.update(status="terdisposisi", deadline_at=base - timedelta(days=2))
        else:  # a closed case is in no queue
            doc.update(status="selesai", deadline_at=None)
        docs.append(doc)
    store.cases.insert_many(docs)
    expected = {d["_id"]: k for d, k in zip(docs, kinds) if k != "selesai"}
    reason = {
        "keyakinan": "keyakinan",
        "ambigu": "wilayah_ambigu",
        "tidak_diketahui": "wilayah_tidak_diketahui",
        "bw": "bukan_wewenang",
        "lewat": "lewat_tenggat",
    }

    with make_client(stack_settings) as client:
        assert login(client, coordinator, password("tri")).status_code == 303
        seen: dict[str, list[str]] = {}
        first = client.get("/admin/triage").text
        assert "Halaman 1 dari 2 · 55 aduan" in first
        second_link = re.search(r'href="([^"]+)" id="next-page"', first).group(1)
        second = client.get(second_link.replace("&amp;", "&")).text
        assert "Halaman 2 dari 2" in second and 'id="next-page"' not in second
        for html in (first, second):
            rows = re.findall(r'<a href="/admin/cases/([^"]+)">.*?</tr>', html, re.S)
            for row in re.finditer(r'<a href="/admin/cases/([^"]+)">(.*?)</tr>', html, re.S):
                seen[row.group(1)] = re.findall(r'data-reason="([a-z_]+)"', row.group(2))
            assert len(rows) == (50 if html is first else 5)
        assert set(seen) == set(expected)
        for case_id, kind in expected.items():
            assert reason[kind] in seen[case_id], (case_id, seen[case_id])
        dialihkan = client.get("/admin/triage?queue=dialihkan").text
        assert re.findall(r'<a href="/admin/cases/([^"]+)">', dialihkan) == [
            i for i, k in expected.items() if k == "bw"
        ]
