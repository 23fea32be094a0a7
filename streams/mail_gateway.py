"""The e-mail channel's SMTP receiver (``lapor mail-gateway``, an aiosmtpd handler).

Offices point an MX or a forwarding rule at it. Each message becomes one
complaint through the same intake as every channel, or is refused in the SMTP
conversation so that nothing is lost silently: a message that cannot be a
complaint gets a permanent 5xx (the sender's server bounces it with the reason),
a broker outage a temporary 4xx (the sender's server tries again later).
Machine mail (auto-replies, bounces) is accepted and dropped. The citizen gets
the tracking id back through the configured relay.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from functools import partial

from kafka.errors import KafkaError

from streams.intake import Intake, IntakeError, StoredContent
from streams.mail import MailComplaint, Skipped, acknowledgement, parse_mail

log = logging.getLogger("lapor.mail")
PUBLISH_TIMEOUT = 10.0


class MailGateway:
    def __init__(
        self,
        intake: Intake,
        relay: tuple[str, int] | None,
        sender: str,
        stored: StoredContent | None = None,
    ) -> None:
        self.intake, self.relay, self.sender, self.stored = intake, relay, sender, stored

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        try:
            complaint = parse_mail(raw if isinstance(raw, bytes) else str(raw).encode())
        except Skipped as exc:
            log.info("mail not taken as a complaint: %s", exc)
            return "250 2.0.0 Diterima (bukan aduan)"
        loop = asyncio.get_running_loop()
        before = await loop.run_in_executor(None, self._stored, complaint)
        try:  # intake compares with what was read once here
            submit = partial(
                self.intake.submit, complaint.record, "email", PUBLISH_TIMEOUT, lambda _: before
            )
            receipt = await loop.run_in_executor(None, submit)
        except IntakeError as exc:
            return f"554 5.6.0 Aduan tidak dapat diterima: {exc}"
        except KafkaError:
            return "451 4.3.0 Layanan sedang sibuk, coba lagi nanti"
        if before is None:  # a message delivered twice is acknowledged once
            await loop.run_in_executor(None, self._acknowledge, complaint, receipt.tracking_id)
        return "250 2.0.0 Aduan diterima"

    def _stored(self, complaint: MailComplaint) -> str | None:
        return self.stored(complaint.record["id"]) if self.stored else None

    def _acknowledge(self, complaint: MailComplaint, tracking_id: str) -> None:
        """Best effort: the complaint is safe in Kafka whatever happens here."""
        if self.relay is None:
            log.warning("no SMTP relay configured: %s not acknowledged", tracking_id)
            return
        try:
            with smtplib.SMTP(*self.relay, timeout=10) as smtp:
                smtp.send_message(acknowledgement(complaint, tracking_id, self.sender))
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("acknowledgement of %s not sent: %s", tracking_id, exc)
