"""The IMAP poller on real parts: a pymap IMAP server (STARTTLS with its own
certificate), an aiosmtpd relay, the broker, the worker and the store."""

from __future__ import annotations

import datetime as dt
import imaplib
import ipaddress
import ssl
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from casestore.store import CaseStore, connect
from lapor import stack
from lapor.operations import mail_poller, wait_for_cases
from lapor.stack import free_port, wait_for_port
from streams.mail import mail_id
from tests.integration.test_mail import BODY, Relay
from tests.photos_util import jpeg_with_gps

pytestmark = pytest.mark.integration
USER, PASSWORD = "aduan", "sandi-kotak-surat-1"


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "imap.crt", directory / "imap.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def imap_server(tmp_path):
    cert, key = self_signed(tmp_path)
    port = free_port()
    pymap = Path(sys.executable).parent / "pymap"
    command = [str(pymap), "--host", "127.0.0.1", "--port", str(port), "--cert", str(cert)]
    command += ["--key", str(key), "dict", "--demo-user", USER, "--demo-password", PASSWORD]
    log = (tmp_path / "pymap.log").open("wb")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    wait_for_port("127.0.0.1", port, 30, proc)
    yield port, ssl.create_default_context(cafile=str(cert))
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def relay():
    from aiosmtpd.controller import Controller

    relay, port = Relay(), free_port()
    server = Controller(relay, hostname="127.0.0.1", port=port)
    server.start()
    yield port, relay
    server.stop()


def deliver(port: int, context: ssl.SSLContext, *messages: EmailMessage) -> None:
    """What the office's mail server does: messages arrive in the INBOX."""
    imap = imaplib.IMAP4("127.0.0.1", port)
    imap.starttls(ssl_context=context)
    imap.login(USER, PASSWORD)
    for message in messages:
        assert imap.append("INBOX", None, None, bytes(message))[0] == "OK"
    imap.logout()


def folder_count(port: int, context: ssl.SSLContext, folder: str, search: str) -> int:
    imap = imaplib.IMAP4("127.0.0.1", port)
    imap.starttls(ssl_context=context)
    imap.login(USER, PASSWORD)
    imap.select(folder)
    found = imap.uid("SEARCH", None, search)[1][0].split()
    imap.logout()
    return len(found)


def complaint_mail(message_id: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Siti Aminah <siti.aminah@contoh.id>"
    message["To"] = "aduan@pemda.localhost"
    message["Subject"] = "Lampu jalan mati"
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(BODY)
    return message


def test_the_poller_takes_a_mailbox_once_with_photos(imap_server, relay, stack_settings, worker):
    imap_port, context = imap_server
    relay_port, relayed = relay
    with_photo = complaint_mail("<imap-1@contoh.id>")
    with_photo.add_attachment(jpeg_with_gps(), maintype="image", subtype="jpeg", filename="a.jpg")
    with_photo.add_attachment(b"surat", maintype="text", subtype="plain", filename="surat.txt")
    deliver(
        imap_port, context, with_photo, complaint_mail("<auto@x.id>", Auto_Submitted="auto-replied")
    )
    settings = stack_settings.model_copy(
        update={
            "mail_imap_host": "127.0.0.1",
            "mail_imap_port": imap_port,
            "mail_imap_security": "starttls",
            "mail_imap_user": USER,
            "mail_imap_password": SecretStr(PASSWORD),
            "mail_relay_host": "127.0.0.1",
            "mail_relay_port": relay_port,
        }
    )
    poller = mail_poller(settings, ssl_context=context)
    assert poller.poll_once() == {"taken": 1, "skipped": 1}
    case_id = mail_id("<imap-1@contoh.id>")
    assert wait_for_cases(stack_settings, [case_id], timeout=120) == 1

    deliver(imap_port, context, with_photo)  # the same message again
    assert poller.poll_once() == {"replay": 1}
    assert poller.poll_once() == {}  # nothing unseen is left

    assert folder_count(imap_port, context, "INBOX", "ALL") == 0
    assert folder_count(imap_port, context, "Diproses", "SEEN") == 3
    store = CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )
    case = store.cases.find_one({"_id": case_id})
    assert case["channel"] == "email" and len(case["photo_ids"]) == 1
    assert "siti.aminah" not in case["text"] and case["reporter_sealed"]
    assert len(relayed.messages) == 1  # acknowledged once, the auto-reply never
    ack = relayed.messages[0].decode()
    assert case_id in ack and "foto 2 (surat.txt)" in ack


def test_the_poller_checks_the_servers_certificate(imap_server, stack_settings):
    imap_port, _ = imap_server  # its certificate is not trusted by the system's CAs
    settings = stack_settings.model_copy(
        update={
            "mail_imap_host": "127.0.0.1",
            "mail_imap_port": imap_port,
            "mail_imap_security": "starttls",
            "mail_imap_user": USER,
            "mail_imap_password": SecretStr(PASSWORD),
        }
    )
    from streams.mail_imap import ImapError

    with pytest.raises(ImapError, match="CERTIFICATE_VERIFY_FAILED"):
        mail_poller(settings).poll_once()
