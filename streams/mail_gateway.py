"""The e-mail channel's SMTP receiver (``lapor mail-gateway``, an aiosmtpd handler).

Offices point an MX or a forwarding rule at it. Each message becomes one
complaint through the same intake as every channel (``streams/mail_intake.py``),
or is refused in the SMTP conversation so that nothing is lost silently: a
message that cannot be a complaint gets a permanent 5xx (the sender's server
bounces it with the reason), a broker outage a temporary 4xx (the sender's
server tries again later). Machine mail (auto-replies, bounces) is accepted and
dropped. The citizen gets the tracking id back through the configured relay.
"""

from __future__ import annotations

import asyncio

from kafka.errors import KafkaError

from streams.intake import IntakeError
from streams.mail_intake import MailIntake


class MailGateway:
    def __init__(self, mail: MailIntake) -> None:
        self.mail = mail

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        raw = raw if isinstance(raw, bytes) else str(raw).encode()
        try:
            taken = await asyncio.get_running_loop().run_in_executor(None, self.mail.take, raw)
        except IntakeError as exc:
            return f"554 5.6.0 Aduan tidak dapat diterima: {exc}"
        except KafkaError:
            return "451 4.3.0 Layanan sedang sibuk, coba lagi nanti"
        if taken.skipped:
            return "250 2.0.0 Diterima (bukan aduan)"
        return "250 2.0.0 Aduan diterima"
