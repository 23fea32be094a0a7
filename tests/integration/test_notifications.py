"""Notifications on real parts (issue 14): a status change in the store, the
worker's outbox relay, ``lapor.notifications`` on the broker, the notifier
(``lapor.operations.notifier``, in-process so the tests move its clock), a real
aiosmtpd server that receives the e-mail, and the SMS gateway's signed pull
through the real app."""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
import uuid
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from kafka import KafkaProducer

from casestore.deliveries import DeliveryStore
from casestore.store import CaseStore, Stale, connect
from casestore.users import User, UserStore
from casestore.workflow import OPEN_STATUSES
from lapor import stack
from lapor.operations import notifier, submit_records, wait_for_cases
from lapor.stack import free_port
from streams.notifier import now_utc
from streams.smtp_send import mail_message_id
from tests.conftest import SMS_SECRET, topic_messages
from tests.security.console import login, make_client
from tests.security.sms import signed

pytestmark = pytest.mark.integration
ADMIN = User("notif-admin", "national_admin", None)
NEXT = {
    "menunggu_verifikasi": "terverifikasi",
    "terverifikasi": "terdisposisi",
    "terdisposisi": "ditindaklanjuti",
    "ditindaklanjuti": "selesai",
}
RUN = uuid.uuid4().hex[:6]
PHONE = "0812-3450-0017"
NIK = "3404011508950001"


class Mailbox:
    """A local SMTP server: keeps what it accepts, refuses RCPT to ``refuse``, and
    answers 451 at DATA ``fail_next`` times (a server that is briefly unwell)."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refuse: set[str] = set()
        self.fail_next = 0

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 Alamat tidak dikenal"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        if self.fail_next:
            self.fail_next -= 1
            return "451 4.3.0 Coba lagi nanti"
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"

    def about(self, case_id: str) -> list:
        return [m for m in self.messages if case_id in str(m["Subject"])]


@pytest.fixture(scope="module")
def mailbox():
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = free_port()
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    box.port = port
    yield box
    server.stop()


@pytest.fixture(scope="module")
def store(stack_settings) -> CaseStore:
    return CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )


@pytest.fixture(scope="module")
def running(stack_settings, mailbox):
    """The notifier of ``lapor notifier``, on its own consumer group."""
    settings = stack_settings.model_copy(
        update={
            "worker_id": f"notif-{RUN}",
            "notify_smtp_host": "127.0.0.1",
            "notify_smtp_port": mailbox.port,
            "notify_smtp_security": "none",
            "notify_backoff_seconds": 30,
            "notify_max_attempts": 3,
            "public_url": "https://lapor.contoh.go.id",
        }
    )
    return notifier(settings)


@pytest.fixture(scope="module")
def cases(stack_settings, worker, store) -> dict[str, str]:
    """Complaints from reporters with and without contact, as stored cases."""
    records = {
        "both": {
            "privacy": "public",
            "reporter": {"email": f"warga-{RUN}@contoh.id", "phone": PHONE, "nik": NIK},
        },
        "retry": {"privacy": "public", "reporter": {"email": f"sabar-{RUN}@contoh.id"}},
        "refused": {"privacy": "rahasia", "reporter": {"email": f"ditolak-{RUN}@contoh.id"}},
        "anonim": {"privacy": "anonim"},
        "berhenti": {
            "privacy": "public",
            "reporter": {"email": f"cukup-{RUN}@contoh.id", "phone": "0812 3450 0099"},
        },
    }
    text = "Lampu penerangan jalan mati sebulan di Kabupaten Sleman, mohon diperbaiki"
    ids = submit_records(
        stack_settings,
        [{"text": f"{text} ({name} {RUN})", **extra} for name, extra in records.items()],
        progress=False,
    )
    assert wait_for_cases(stack_settings, ids, 120) == len(ids)
    return dict(zip(records, ids))


def advance(store: CaseStore, case_id: str, why: str = "sedang ditangani petugas") -> str:
    """One allowed status change by an admin; returns the new status."""
    to = NEXT[store.cases.find_one({"_id": case_id})["status"]]
    store.change_status(ADMIN, case_id, to, why)
    return to


def relayed(store: CaseStore, case_id: str, timeout: float = 60) -> list[dict]:
    """The case's outbox once the worker's relay has published all of it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        case = store.cases.find_one({"_id": case_id})
        if case.get("outbox_pending") == 0:
            return case["outbox"]
        time.sleep(0.2)
    raise AssertionError(f"outbox of {case_id} not relayed: {case.get('outbox')}")


def consume(running, until, timeout: float = 60) -> None:
    """Run the notifier's consumer until ``until()`` holds (batches handled, committed)."""

    async def go() -> None:
        sink = running.sink
        sink.consumer = running.make_consumer()  # bound to this event loop
        await sink.consumer.start()
        try:
            deadline = time.monotonic() + timeout
            while not until():
                assert time.monotonic() < deadline, "the notifier did not get there in time"
                records = await sink.next_batch()
                if records:
                    await sink.handle(records)
                    await sink.commit(records)
        finally:
            await sink.consumer.stop()

    asyncio.run(go())


def deliveries(store: CaseStore, event_id: str) -> dict[str, dict]:
    return {d["channel"]: d for d in DeliveryStore(store.db).for_event(event_id)}


@pytest.fixture(scope="module")
def console(stack_settings, store):
    """A national admin's console (its own app instance), for the case page."""
    UserStore(store.db).create(f"kabar-{RUN}", "sandi-kabar-uji-71!", "national_admin")
    with make_client(stack_settings) as client:
        assert login(client, f"kabar-{RUN}", "sandi-kabar-uji-71!").status_code == 303
        yield client


def news(console, case_id: str) -> str:
    """The case page's "Kabar ke pelapor" table, as text."""
    page = console.get(f"/admin/cases/{case_id}")
    assert page.status_code == 200, page.text
    table = re.search(r'<table id="news">(.*?)</table>', page.text, re.S).group(1)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", table)).split())


def test_a_status_change_reaches_the_reporter_by_email_and_sms(
    store, cases, running, mailbox, web_client, stack_settings, console
):
    case_id = cases["both"]
    status = advance(store, case_id)
    entry = relayed(store, case_id)[-1]
    assert entry["kind"] == "status" and entry["status"] == status
    # the event on the topic: the contact only sealed
    events = [
        json.loads(m.value)
        for m in topic_messages(
            stack.endpoints(stack_settings).kafka_bootstrap, stack_settings.topic_notifications
        )
        if m.key == case_id.encode()
    ]
    event = next(e for e in events if e["event_id"] == entry["event_id"])
    assert event["schema_version"] == 1 and event["reporter_sealed"]
    assert PHONE not in json.dumps(event) and "contoh.id" not in json.dumps(event)

    consume(running, lambda: len(deliveries(store, entry["event_id"])) == 2)
    email = deliveries(store, entry["event_id"])["email"]
    assert "to" not in email and "contoh.id" not in json.dumps(email, default=str)
    assert running.sender.run_once()["sent"] >= 1
    (mail,) = mailbox.about(case_id)
    label = {"terverifikasi": "Terverifikasi", "ditindaklanjuti": "Ditindaklanjuti"}[status]
    assert mail["To"] == f"warga-{RUN}@contoh.id"
    assert mail["Subject"] == f"[LAPOR!] Aduan {case_id}: {label}"
    body = mail.get_content()
    assert f"Status: {label}" in body and "Yth. Pelapor" in body
    assert f"https://lapor.contoh.go.id/lacak?id={case_id}" in body
    assert "Keterangan: sedang ditangani petugas" in body
    assert NIK not in body and mail["Message-ID"] == mail_message_id(entry["event_id"])
    unit = store.cases.find_one({"_id": case_id})["decision"].get("unit_name")
    assert unit is None or f"Ditangani oleh: {unit}" in body

    queued = deliveries(store, entry["event_id"])["sms"]
    assert queued["sealed"] and "to" not in queued  # no number in clear in the queue
    assert "12345" not in json.dumps(queued, default=str).replace(entry["event_id"], "")
    # the SMS gateway pulls it, signed like its webhook calls, and acknowledges it
    fetched = web_client.post("/api/v1/sms/outbox/fetch", **signed(SMS_SECRET, {"limit": 100}))
    assert fetched.status_code == 200, fetched.text
    mine = [m for m in fetched.json()["messages"] if case_id in m["message"]]
    assert len(mine) == 1 and mine[0]["to"] == "081234500017"
    assert mine[0]["message"].startswith(f"LAPOR! {case_id}: {label}.")
    assert f"lacak?id={case_id}" in mine[0]["message"] and len(mine[0]["message"]) <= 459
    again = web_client.post("/api/v1/sms/outbox/fetch", **signed(SMS_SECRET, {"limit": 100}))
    assert mine[0]["id"] not in [m["id"] for m in again.json()["messages"]]  # leased
    ack = web_client.post("/api/v1/sms/outbox/ack", **signed(SMS_SECRET, {"sent": [mine[0]["id"]]}))
    assert ack.json() == {"sent": 1, "failed": 0}
    sms = deliveries(store, entry["event_id"])["sms"]
    assert sms["status"] == "sent" and "to" not in sms and "sealed" not in sms
    told = news(console, case_id)  # what the console shows of it: no contact
    assert "E-mail: terkirim" in told and "SMS: terkirim" in told
    assert "contoh.id" not in told and "0017" not in told
    twice = web_client.post("/api/v1/sms/outbox/ack", **signed(SMS_SECRET, {"sent": [sms["_id"]]}))
    assert twice.json() == {"sent": 0, "failed": 0}
    unsigned = web_client.post("/api/v1/sms/outbox/fetch", json={"limit": 1})
    assert unsigned.status_code == 401

    # redelivery: the same event again on the topic is still one message per channel
    producer = KafkaProducer(bootstrap_servers=stack.endpoints(stack_settings).kafka_bootstrap)
    producer.send(
        stack_settings.topic_notifications, key=case_id.encode(), value=json.dumps(event).encode()
    ).get(10)
    seen = []
    original = running.sink.handle

    async def watching(records):
        seen.extend(r.value for r in records)
        return await original(records)

    running.sink.handle = watching
    try:
        consume(running, lambda: any(entry["event_id"].encode() in v for v in seen))
    finally:
        running.sink.handle = original
    running.sender.run_once()
    assert len(mailbox.about(case_id)) == 1
    assert len(DeliveryStore(store.db).for_event(entry["event_id"])) == 2


def test_a_reporter_stops_and_restarts_each_channel(
    store, cases, running, mailbox, web_client, console
):
    """SMS BERHENTI and the e-mail's link (its page, or a mail client's one-click
    POST): a message already queued is not sent, later events plan none; MULAI and
    the page bring both back. Found by the contact's blind index only."""
    case_id = cases["berhenti"]
    units = itertools.cycle(["34.04", "34.02"])  # Sleman, Bantul: a move each time

    def change() -> str:
        code = next(units)
        unit = {"unit_id": f"kabupaten_kota:{code}:dinas_pu", "unit_name": f"Dinas PU {code}"}
        store.redispatch(ADMIN, store.cases.find_one({"_id": case_id}), unit, "uji berhenti")
        event_id = relayed(store, case_id)[-1]["event_id"]
        consume(running, lambda: deliveries(store, event_id))
        return event_id

    def sms(message: str) -> dict:
        payload = {"from": "+62 812-3450-0099", "message": message}  # spelt another way
        reply = web_client.post("/api/v1/sms", **signed(SMS_SECRET, payload))
        assert reply.status_code == 200, reply.text
        return reply.json()

    def fetched_for_case() -> list[dict]:
        out = web_client.post("/api/v1/sms/outbox/fetch", **signed(SMS_SECRET, {"limit": 100}))
        return [m for m in out.json()["messages"] if case_id in m["message"]]

    first = change()
    assert set(deliveries(store, first)) == {"email", "sms"}
    stop = sms("Berhenti.")
    assert stop["action"] == "berhenti" and stop["tracking_id"] is None
    assert "MULAI" in stop["reply"]
    assert fetched_for_case() == []  # queued before the stop: not handed to the gateway
    assert deliveries(store, first)["sms"]["status"] == "skipped"
    assert "sealed" not in deliveries(store, first)["sms"]
    stored = store.db.contact_optouts.find_one({"channel": "sms"})
    assert "0099" not in json.dumps(stored, default=str)  # the index, not the number

    assert running.sender.run_once()["sent"] >= 1  # the e-mail still goes
    (mail,) = mailbox.about(case_id)
    link = mail["List-Unsubscribe"].strip("<>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.startswith("https://lapor.contoh.go.id/berhenti?t=") and link in mail.get_content()
    assert "cukup" not in link
    path = link.removeprefix("https://lapor.contoh.go.id")
    page = web_client.get(path, headers={"accept": "text/html"})
    assert page.status_code == 200 and "Berhenti menerima kabar aduan" in page.text
    assert store.db.contact_optouts.count_documents({"channel": "email"}) == 0  # GET: no change
    one_click = web_client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and "tidak akan dikirimi" in one_click.text

    second = change()  # both channels stopped: nothing planned, and why
    (nothing,) = deliveries(store, second).values()
    assert (nothing["channel"], nothing["status"]) == ("none", "skipped")
    assert nothing["reason"] == "the reporter stopped messages on this channel"
    told = news(console, case_id)
    assert "SMS: tidak dikirim (pelapor meminta berhenti lewat saluran ini)" in told
    assert "-: tidak dikirim (pelapor meminta berhenti" in told
    forged = web_client.post(path[:-1] + ("0" if path[-1] != "0" else "1"), data={})
    assert forged.status_code == 404

    assert sms("MULAI")["action"] == "mulai"
    restarted = web_client.post(path, data={"aksi": "mulai"})
    assert restarted.status_code == 200 and "dikirim lagi" in restarted.text
    third = change()
    assert set(deliveries(store, third)) == {"email", "sms"}
    (again,) = fetched_for_case()
    assert again["to"] == "081234500099" and again["message"].endswith("SMS lagi.")
    assert running.sender.run_once()["sent"] >= 1 and len(mailbox.about(case_id)) == 2


def test_an_smtp_failure_is_retried_after_a_backoff_then_delivered(store, cases, running, mailbox):
    case_id = cases["retry"]
    entry_id = _notified(store, running, case_id, "email")
    mailbox.fail_next = 1
    now = now_utc()
    assert running.sender.run_once(now)["pending"] >= 1
    email = deliveries(store, entry_id)["email"]
    assert email["status"] == "pending" and "451" in email["last_error"]
    waited = email["next_attempt_at"] - now
    assert timedelta(seconds=29) < waited <= timedelta(seconds=31)
    running.sender.run_once(now + timedelta(seconds=10))  # not due yet
    assert mailbox.about(case_id) == []
    running.sender.run_once(now + timedelta(seconds=31))
    assert len(mailbox.about(case_id)) == 1
    assert deliveries(store, entry_id)["email"]["status"] == "sent"


def test_a_permanent_refusal_is_dead_lettered_with_its_reason(
    store, cases, running, mailbox, console
):
    case_id = cases["refused"]
    mailbox.refuse.add(f"ditolak-{RUN}@contoh.id")
    entry_id = _notified(store, running, case_id, "email")
    running.sender.run_once()
    email = deliveries(store, entry_id)["email"]
    assert email["status"] == "dead" and "550" in email["reason"]
    assert "ditolak-" not in email["reason"]  # the server's answer, not the address
    assert email["attempts"] == 1 and mailbox.about(case_id) == []
    assert "E-mail: gagal (recipient refused: 550" in news(console, case_id)


def test_a_reporter_without_contact_gets_nothing_and_no_error(store, cases, running, mailbox):
    case_id = cases["anonim"]
    entry_id = _notified(store, running, case_id, "none")
    got = deliveries(store, entry_id)
    assert list(got) == ["none"] and got["none"]["status"] == "skipped"
    assert got["none"]["reason"] == "no contact"
    running.sender.run_once()
    assert mailbox.about(case_id) == []


def _notified(store, running, case_id: str, channel: str) -> str:
    """Change the case's status and let the notifier plan it; the event id."""
    advance(store, case_id)
    entry = relayed(store, case_id)[-1]
    consume(running, lambda: channel in deliveries(store, entry["event_id"]))
    return entry["event_id"]


def test_the_sms_queue_offers_an_unconfirmed_message_again_then_dead_letters_it(store, web_client):
    queue = DeliveryStore(store.db, max_attempts=2)
    t0 = now_utc()
    unconfirmed, refused = f"T-{RUN}-lease", f"T-{RUN}-refused"
    doc = {"case_id": "T", "status": "queued", "to": "081200000001", "text": "uji"}
    assert queue.enqueue(unconfirmed, "sms", doc, t0)
    assert not queue.enqueue(unconfirmed, "sms", doc, t0)  # once per event and channel

    def offered(at) -> bool:
        return f"{unconfirmed}:sms" in [d["_id"] for d in queue.fetch_sms("gw", at, 100, 60)]

    assert offered(t0)
    assert not offered(t0 + timedelta(seconds=30))  # leased to the gateway for 60 s
    assert offered(t0 + timedelta(seconds=61))  # not confirmed: again, now for 120 s
    assert not offered(t0 + timedelta(seconds=61 + 100))
    assert not offered(t0 + timedelta(seconds=61 + 121))  # a third fetch: given up
    dead = deliveries(store, unconfirmed)["sms"]
    assert dead["status"] == "dead" and "did not confirm" in dead["reason"] and "to" not in dead

    # the gateway reports a message it can never send: dead-lettered with its reason
    assert queue.enqueue(refused, "sms", doc, t0)
    failed = {"failed": [{"id": f"{refused}:sms", "reason": "nomor tidak aktif"}]}
    r = web_client.post("/api/v1/sms/outbox/ack", **signed(SMS_SECRET, failed))
    assert r.json() == {"sent": 0, "failed": 1}
    dead = deliveries(store, refused)["sms"]
    assert dead["status"] == "dead" and "nomor tidak aktif" in dead["reason"] and "to" not in dead


def test_a_change_from_a_stale_read_is_refused_and_tells_nobody(store, cases):
    case_id = cases["both"]
    before = store.cases.find_one({"_id": case_id})
    store.ask(ADMIN, case_id, "mohon kirim foto lokasi")  # someone else changes the case
    asked = store.cases.find_one({"_id": case_id})
    assert asked["outbox"][-1]["kind"] == "info_request"
    assert asked["outbox"][-1]["note"] == "unit meminta informasi tambahan: mohon kirim foto lokasi"
    moved = {"unit_id": "kabupaten_kota:34.04:dinas_pu", "unit_name": "Dinas PU Sleman"}
    with pytest.raises(Stale):
        store.redispatch(ADMIN, before, moved, "salah unit")
    after = store.cases.find_one({"_id": case_id})
    assert len(after["outbox"]) == len(asked["outbox"]) and after["decision"] == asked["decision"]
    # from a fresh read it applies, and the reporter hears where the case went
    store.redispatch(ADMIN, after, moved, "salah unit")
    entry = store.cases.find_one({"_id": case_id})["outbox"][-1]
    assert (entry["kind"], entry["status"], entry["unit"]) == (
        "redispatch",
        "terdisposisi",
        "Dinas PU Sleman",
    )
    assert entry["note"] == "dialihkan ke Dinas PU Sleman"


def test_an_escalation_is_told_to_the_reporter(store, cases):
    case_id = cases["retry"]
    assert store.cases.find_one({"_id": case_id})["status"] in OPEN_STATUSES
    store.cases.update_one(
        {"_id": case_id},
        {"$set": {"deadline_at": now_utc() - timedelta(days=1), "escalated": False}},
    )
    store.escalate_overdue()  # the worker's timer does the same every second here
    outbox = relayed(store, case_id)
    assert outbox[-1]["kind"] == "escalation" and "Batas waktu terlewati" in outbox[-1]["note"]
    assert sum(e["kind"] == "escalation" for e in outbox) == 1  # once, whoever ran it


def test_lapor_notifier_runs_as_a_service(store, cases, mailbox, stack_settings, tmp_path):
    """The command itself (a child process, its consumer and sender loops)."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "LAPOR_WORKER_ID": f"notif-cli-{RUN}",
        "LAPOR_NOTIFY_SMTP_HOST": "127.0.0.1",
        "LAPOR_NOTIFY_SMTP_PORT": str(mailbox.port),
        "LAPOR_NOTIFY_SMTP_SECURITY": "none",
        "LAPOR_NOTIFY_POLL_SECONDS": "0.2",
    }
    case_id = cases["both"]
    advance(store, case_id, "petugas sudah ke lokasi")
    relayed(store, case_id)

    def told() -> bool:
        # an earlier update of this case may still be queued and go out first
        # (a CI run read that one as the answer): wait for this update's mail
        return any(
            "Keterangan: petugas sudah ke lokasi" in m.get_content() for m in mailbox.about(case_id)
        )

    with open(tmp_path / "notifier.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lapor.cli", "notifier"], env=env, stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 60
        while not told() and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "notifier.log").read_text()
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(20)
    assert told(), (tmp_path / "notifier.log").read_text()
    # its consumer read the topic from the start: no event's e-mail came twice
    message_ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(message_ids) == len(set(message_ids))


def test_an_entry_no_event_can_carry_does_not_block_the_outbox(store, cases):
    """Written by hand (an older or broken writer): the relay logs it once and
    moves on; the entries after it are published."""
    case_id = cases["anonim"]
    bogus = {"event_id": f"{case_id}:rusak", "kind": "lain", "status": "x", "at": now_utc()}
    store.cases.update_one(
        {"_id": case_id},
        {"$push": {"outbox": {**bogus, "sent_at": None}}, "$inc": {"outbox_pending": 1}},
    )
    advance(store, case_id)
    outbox = relayed(store, case_id)
    assert outbox[-2]["event_id"] == bogus["event_id"] and outbox[-2]["sent_at"] is not None
    assert outbox[-1]["kind"] == "status" and outbox[-1]["sent_at"] is not None
