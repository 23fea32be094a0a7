"""The notifier's SMTP connection on a real aiosmtpd server with TLS: STARTTLS
(required by the server) and implicit TLS, the certificate checked against the
configured CA file (host name included); without that CA it is refused and
left for another try, never sent in clear."""

from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lapor.stack import free_port
from streams.smtp_send import Mailer, SendError


def _cert(subject: str, key, issuer_name, issuer_key, ca: bool):  # noqa: ANN001, ANN202
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA file and a server context whose certificate it signed, for 127.0.0.1."""
    where = tmp_path_factory.mktemp("pki")
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA Uji LAPOR")])
    ca = _cert("CA Uji LAPOR", ca_key, ca_name, ca_key, ca=True)
    server = _cert("127.0.0.1", key, ca_name, ca_key, ca=False)
    (where / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (where / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (where / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(where / "server.pem", where / "server.key")
    return where / "ca.pem", context


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_over_tls_checked_against_the_ca_file(pki, security):
    from aiosmtpd.controller import Controller

    cafile, context = pki
    inbox, port = Inbox(), free_port()
    if security == "starttls":
        server = Controller(
            inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
        )
    else:
        server = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=context)
    server.start()
    try:
        unknown_ca = Mailer("127.0.0.1", port, security, "LAPOR! <noreply@contoh.go.id>")
        with pytest.raises(SendError) as refused:
            unknown_ca.send("warga@contoh.id", "Uji", "isi", "E-1")
        assert not refused.value.permanent and "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
        mailer = Mailer("127.0.0.1", port, security, "LAPOR! <noreply@contoh.go.id>", cafile=cafile)
        mailer.send("warga@contoh.id", "[LAPOR!] Aduan X: Selesai", "Status: Selesai\n", "E-2")
    finally:
        server.stop()
    (mail,) = inbox.messages
    assert mail["To"] == "warga@contoh.id" and mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content().strip() == "Status: Selesai"


def test_a_server_without_starttls_is_not_spoken_to_in_clear():
    from aiosmtpd.controller import Controller

    inbox, port = Inbox(), free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        with pytest.raises(SendError) as refused:
            Mailer("127.0.0.1", port, "starttls", "noreply@contoh.go.id").send(
                "warga@contoh.id", "Uji", "isi", "E-3"
            )
    finally:
        server.stop()
    assert not refused.value.permanent and inbox.messages == []
