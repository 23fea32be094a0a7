"""Sending one notification e-mail over SMTP (``smtplib``), with TLS as configured.

``LAPOR_NOTIFY_SMTP_SECURITY``: ``starttls`` (the submission port 587 upgraded
before anything is said; a server that does not offer STARTTLS is refused, never
spoken to in clear), ``tls`` (implicit TLS, port 465) or ``none`` (a relay on
this host only). Certificates are verified against ``LAPOR_NOTIFY_SMTP_CAFILE``
or the system's CAs, host name checked. Failures are sorted for the retry:
a 5xx reply about the message or its recipient is permanent (dead-lettered at
once), anything else (no connection, a 4xx, a login refused) is tried again.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from core.settings import Settings

TIMEOUT = 30


def mail_message_id(event_id: str) -> str:
    """The Message-ID of an event's e-mail: the same for the same event (an event
    id may hold characters a Message-ID may not, so it is hashed)."""
    return f"<{hashlib.sha256(event_id.encode()).hexdigest()[:32]}@lapor.notifikasi>"


class SendError(Exception):
    """One try failed; ``permanent`` says whether another try can succeed."""

    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Mailer:
    host: str
    port: int
    security: str  # starttls | tls | none
    sender: str
    cafile: Path | None = None
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailer | None:
        if not settings.notify_smtp_host:
            return None
        password = settings.notify_smtp_password
        return cls(
            host=settings.notify_smtp_host,
            port=settings.notify_smtp_port,
            security=settings.notify_smtp_security,
            sender=settings.notify_mail_from,
            cafile=settings.notify_smtp_cafile,
            username=settings.notify_smtp_username,
            password=password.get_secret_value() if password else None,
        )

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cafile) if self.cafile else None)

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT, context=self._context())
        smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
        if self.security == "starttls":
            smtp.starttls(context=self._context())  # SMTPNotSupportedError without it
        return smtp

    def message(
        self, to: str, subject: str, text: str, message_id: str, stop_link: str | None = None
    ) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = to
        mail["Subject"] = subject
        mail["Date"] = formatdate(localtime=False)
        # from the event id: a message sent twice (a crash after SMTP took it) is one
        mail["Message-ID"] = mail_message_id(message_id)
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
        if stop_link:  # RFC 2369 and RFC 8058: the mail client's own "unsubscribe"
            mail["List-Unsubscribe"] = f"<{stop_link}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail.set_content(text)
        return mail

    def send(
        self, to: str, subject: str, text: str, message_id: str, stop_link: str | None = None
    ) -> None:
        """Raises SendError."""
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(self.message(to, subject, text, message_id, stop_link))
        except smtplib.SMTPRecipientsRefused as exc:
            # the server's answers without the address (the reason is stored and shown)
            answers = list(exc.recipients.values())
            said = "; ".join(
                f"{code} {reply.decode('utf-8', 'replace')}" for code, reply in answers
            )
            permanent = min(code for code, _ in answers) >= 500
            raise SendError(f"recipient refused: {said}", permanent) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"SMTP login refused ({exc.smtp_code})", False) from None
        except smtplib.SMTPResponseException as exc:
            reply = exc.smtp_error.decode("utf-8", "replace") if exc.smtp_error else ""
            raise SendError(f"SMTP {exc.smtp_code} {reply}", exc.smtp_code >= 500) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"{type(exc).__name__}: {exc}", False) from None
