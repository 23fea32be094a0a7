"""The e-mail channel on real parts: two aiosmtpd SMTP servers (our gateway and a
relay standing in for the office's mail server), the broker, the worker, the store."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage

import pytest

from casestore.store import CaseStore, connect
from lapor import stack
from lapor.operations import mail_gateway_handler, wait_for_cases
from lapor.stack import free_port
from streams.mail import Skipped, mail_id, own_text, parse_mail

BODY = """Selamat siang,

Lampu penerangan jalan di Jalan Kaliurang km 9 Kabupaten Sleman mati sejak seminggu,
jalanan gelap dan rawan kecelakaan. Mohon segera diperbaiki.

Salam,
--
Budi Santoso
Dikirim dari Yahoo Mail di Android

Pada Sen, 30 Nov 2026 pukul 09.12, Admin LAPOR <lapor@localhost> menulis:
> Terima kasih. Aduan Anda sudah kami terima.
> Nomor lacak: LPR-261130-ABCDEFGH
"""


def mail(message_id: str, body: str = BODY, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Budi Santoso <budi.santoso@contoh.id>"
    message["To"] = "aduan@lapor.localhost"
    message["Subject"] = "Re: Lampu jalan mati"
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def test_own_text_drops_indonesian_and_english_quotes_and_signatures():
    assert own_text(BODY).endswith("Mohon segera diperbaiki.\n\nSalam,")
    outlook = "Jalan rusak.\n\n-----Original Message-----\nFrom: a@b.id\nisi lama"
    assert own_text(outlook) == "Jalan rusak."
    gmail = "Air mati.\n\nOn Mon, Nov 30, 2026 at 9:12 AM Admin <a@b.id> wrote:\n> lama"
    assert own_text(gmail) == "Air mati."
    assert own_text("> hanya kutipan\n> saja") == ""


@pytest.mark.parametrize(
    "headers, reason",
    [
        ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted"),
        ({"Precedence": "bulk"}, "Precedence"),
        ({"X_Autoreply": "yes"}, "X-Autoreply"),
    ],
)
def test_machine_mail_is_no_complaint(headers, reason):
    with pytest.raises(Skipped, match=reason):
        parse_mail(bytes(mail("<auto@contoh.id>", **headers)))


def test_a_bounce_and_a_quote_only_reply_are_no_complaints():
    bounce = mail("<bounce@contoh.id>")
    bounce.replace_header("From", "MAILER-DAEMON@mx.contoh.id")
    with pytest.raises(Skipped, match="automatic sender"):
        parse_mail(bytes(bounce))
    quoted = mail("<q@contoh.id>", body="> Nomor lacak: LPR-1\n")
    quoted.replace_header("Subject", "Re: ")
    with pytest.raises(Skipped, match="no text of its own"):
        parse_mail(bytes(quoted))


def test_a_complaint_mail_is_its_subject_and_own_text():
    complaint = parse_mail(bytes(mail("<m1@contoh.id>")))
    record = complaint.record
    assert record["id"] == mail_id("<m1@contoh.id>") and record["channel"] == "email"
    assert record["text"].startswith("Lampu jalan mati\nSelamat siang")
    assert "Nomor lacak" not in record["text"] and "Yahoo" not in record["text"]
    assert record["reporter"]["email"] == "budi.santoso@contoh.id"


class Relay:
    """The office's mail server, receiving our acknowledgements."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"


@pytest.fixture
def smtp(stack_settings, worker, monkeypatch):
    from aiosmtpd.controller import Controller

    relay = Relay()
    relay_port, gateway_port = free_port(), free_port()
    relay_server = Controller(relay, hostname="127.0.0.1", port=relay_port)
    relay_server.start()
    settings = stack_settings.model_copy(
        update={"mail_relay_host": "127.0.0.1", "mail_relay_port": relay_port}
    )
    gateway = Controller(mail_gateway_handler(settings), hostname="127.0.0.1", port=gateway_port)
    gateway.start()
    yield gateway_port, relay
    gateway.stop()
    relay_server.stop()


def _send(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(message)


@pytest.mark.integration
def test_a_mailed_complaint_becomes_one_case_and_is_acknowledged_once(smtp, stack_settings):
    port, relay = smtp
    message = mail("<aduan-sleman-1@contoh.id>")
    _send(port, message)
    case_id = mail_id("<aduan-sleman-1@contoh.id>")
    assert wait_for_cases(stack_settings, [case_id], timeout=120) == 1
    _send(port, message)  # the same message delivered again: a replay
    _send(port, mail("<auto-1@contoh.id>", Auto_Submitted="auto-replied"))
    time.sleep(2)

    store = CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )
    case = store.cases.find_one({"_id": case_id})
    assert case["channel"] == "email" and "budi.santoso" not in case["text"]
    assert case["reporter_sealed"] and "Nomor lacak" not in case["text"]
    assert store.count({"_id": mail_id("<auto-1@contoh.id>")}) == 0
    assert len(relay.messages) == 1  # once, and nothing for the auto-reply
    ack = relay.messages[0].decode()
    assert case_id in ack and "budi.santoso@contoh.id" in ack
    assert "In-Reply-To: <aduan-sleman-1@contoh.id>" in ack
    assert "Auto-Submitted: auto-replied" in ack


@pytest.mark.integration
def test_a_mail_intake_cannot_take_is_refused_in_the_smtp_conversation(smtp, stack_settings):
    """A reused Message-ID with other content is an id conflict: the sending server
    gets a permanent error (and bounces it with the reason); nothing vanishes."""
    port, relay = smtp
    _send(port, mail("<dipakai-ulang@contoh.id>"))
    assert wait_for_cases(stack_settings, [mail_id("<dipakai-ulang@contoh.id>")], 120) == 1
    other = mail("<dipakai-ulang@contoh.id>", body="Sampah menumpuk di pasar Kota Bogor.")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        _send(port, other)
    assert refused.value.smtp_code == 554 and b"id_conflict" in refused.value.smtp_error
    no_sender = mail("<tanpa-pengirim@contoh.id>")
    no_sender.replace_header("From", "bukan-alamat")
    _send(port, no_sender)  # accepted and dropped: no address to answer, no complaint
    assert len(relay.messages) == 1  # only the first complaint was acknowledged


@pytest.mark.integration
def test_a_mailed_photo_is_kept_without_its_exif(smtp, stack_settings):
    from casestore.photos import PhotoStore
    from tests.photos_util import jpeg_with_gps

    port, relay = smtp
    message = mail("<dengan-foto@contoh.id>")
    message.add_attachment(jpeg_with_gps(), maintype="image", subtype="jpeg", filename="l.jpg")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="s.pdf")
    _send(port, message)
    case_id = mail_id("<dengan-foto@contoh.id>")
    assert wait_for_cases(stack_settings, [case_id], timeout=120) == 1
    db = connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    (photo_id,) = CaseStore(db).cases.find_one({"_id": case_id})["photo_ids"]
    data, kind = PhotoStore(db).read(photo_id)
    assert kind == "image/jpeg" and b"Exif" not in data
    assert "foto 2 (s.pdf)" in relay.messages[-1].decode()
