"""One e-mail message -> one complaint: what the SMTP gateway and the IMAP poller share.

Parse (``streams/mail.py``), keep the acceptable attachments as photos (the photo
rules of ``casestore/photos.py``: a mail cannot be asked again, so the good ones are
kept and the acknowledgement names the refused ones), publish through the same
intake as every channel, and send the tracking id back through the relay, once.
The outcome says what the transport must do with the message.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field

from casestore.photos import PhotoStore, good_photos
from streams.intake import Intake, StoredContent
from streams.mail import MailComplaint, Skipped, acknowledgement, parse_mail

log = logging.getLogger("lapor.mail")
PUBLISH_TIMEOUT = 10.0


@dataclass
class Taken:
    """A message taken: published (new or a replay) or skipped as machine mail."""

    tracking_id: str | None = None  # None: no complaint (auto-reply, bounce, ...)
    skipped: str | None = None
    replay: bool = False
    refused: list[str] = field(default_factory=list)  # attachments not kept, and why


class MailIntake:
    def __init__(
        self,
        intake: Intake,
        relay: tuple[str, int] | None,
        sender: str,
        stored: StoredContent | None = None,
        photos: PhotoStore | None = None,
    ) -> None:
        self.intake, self.relay, self.sender = intake, relay, sender
        self.stored, self.photos = stored, photos

    def take(self, raw: bytes) -> Taken:
        """Blocking. Raises IntakeError (the message can never be a complaint: an id
        conflict) or KafkaError (try again later); anything else is Taken."""
        try:
            complaint = parse_mail(raw)
        except Skipped as exc:
            log.info("mail not taken as a complaint: %s", exc)
            return Taken(skipped=str(exc))
        before = self.stored(complaint.record["id"]) if self.stored else None
        record, refused = dict(complaint.record), []
        if complaint.attachments and before is None:  # a replay's photos are stored
            photos, refused = good_photos(complaint.attachments)
            if photos and self.photos is not None:
                record["photo_ids"] = self.photos.put(record["id"], photos)
        # intake compares with what was read once here
        # no token for a public complaint: a redelivered message must be acknowledged
        # with what the first one was, and a random token cannot be
        receipt = self.intake.submit(
            record, "email", PUBLISH_TIMEOUT, lambda _: before, reporter_token=False
        )
        if before is None:  # a message delivered twice is acknowledged once
            self._acknowledge(complaint, receipt.tracking_id, refused)
        return Taken(receipt.tracking_id, replay=before is not None, refused=refused)

    def _acknowledge(self, complaint: MailComplaint, tracking_id: str, refused: list) -> None:
        """Best effort: the complaint is safe in Kafka whatever happens here."""
        if self.relay is None:
            log.warning("no SMTP relay configured: %s not acknowledged", tracking_id)
            return
        try:
            with smtplib.SMTP(*self.relay, timeout=10) as smtp:
                smtp.send_message(acknowledgement(complaint, tracking_id, self.sender, refused))
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("acknowledgement of %s not sent: %s", tracking_id, exc)
