"""The notifier (``lapor notifier``): notification events become e-mails and SMS.

    lapor.notifications --notifier--> deliveries (MongoDB) --SMTP--> the reporter's mailbox
                                                       \\--pull--> the SMS gateway (web)

Two loops in one process. The consumer (the case sink's batching and commit,
``streams/sink.py``) reads each ``core.events.Notification``, opens the
reporter's sealed contact (the only place it is opened), leaves out a channel
the reporter stopped (``casestore/optouts.py``), composes the message
in Indonesian (``streams/notify_text.py``) and enqueues one delivery per
channel, keyed by event id and channel (``casestore/deliveries.py``): a
redelivered event finds its deliveries and adds nothing. A reporter without
contact (anonim, rahasia without one) gets a ``skipped`` record, never an error.

The sender loop sends due e-mails (``streams/smtp_send.py``): a failure is
tried again after an exponential backoff (``LAPOR_NOTIFY_BACKOFF_SECONDS``,
doubling), a permanent refusal or the last of ``LAPOR_NOTIFY_MAX_ATTEMPTS``
tries is dead-lettered with its reason. SMS wait in the queue the SMS gateway
pulls (``web/routers/sms_outbox.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from pydantic import ValidationError

from casestore.deliveries import (
    DEAD,
    EMAIL,
    NONE,
    PENDING,
    QUEUED,
    SKIPPED,
    SMS,
    STOPPED,
    DeliveryStore,
    email_address,
    phone_number,
)
from casestore.optouts import OptOuts
from core.events import Notification
from core.privacy import Sealer
from streams.notify_text import compose, stop_link
from streams.sink import CaseSink, store_with_retry
from streams.smtp_send import Mailer, SendError
from streams.validate import decoded

log = logging.getLogger("lapor.notifier")


def now_utc() -> datetime:
    return datetime.now(UTC)


class NotificationSink(CaseSink):
    """``CaseSink`` with the notification edge; ``store`` is the ``DeliveryStore``."""

    def __init__(
        self,
        *args: object,
        sealer: Sealer,
        optouts: OptOuts,
        public_url: str,
        email: bool,
        clock_now: Callable[[], datetime] = now_utc,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sealer, self.optouts, self.now = sealer, optouts, clock_now
        self.public_url, self.email = public_url, email

    async def handle(self, records: list[ConsumerRecord]) -> list[str]:
        events = []
        for record in records:
            try:
                events.append(Notification.model_validate_json(decoded(record.value)))
            except (ValidationError, ValueError) as exc:
                await self.dead_letter(record, str(exc))
        if events:
            await store_with_retry(self.plan, events)
        return []

    def plan(self, events: list[Notification]) -> int:
        """Enqueue each event's deliveries (idempotent); returns how many were new."""
        return sum(self.plan_one(event) for event in events)

    def plan_one(self, event: Notification) -> int:
        now, deliveries = self.now(), self.store
        contact: dict = {}
        if event.reporter_sealed:
            try:
                contact = self.sealer.unseal(event.reporter_sealed)
            except ValueError as exc:  # a retired key: nobody can ever open it
                return self._nothing(event, DEAD, str(exc), now)
        email = email_address(contact.get("email")) if self.email else None
        phone = phone_number(contact.get("phone"))
        index = self.optouts.index
        email_key = index.of(EMAIL, email) if email else None  # each contact hashed once
        stopped = [
            channel
            for channel, key in ((EMAIL, email_key), (SMS, index.of(SMS, phone) if phone else None))
            if key and self.optouts.stopped_index(key)
        ]
        email = None if EMAIL in stopped else email
        phone = None if SMS in stopped else phone
        if not email and not phone:
            why = "no contact" if not contact else "no e-mail channel or usable contact"
            return self._nothing(event, SKIPPED, STOPPED if stopped else why, now)
        stop = stop_link(self.public_url, index.link_token(email_key)) if email else None
        message, new = compose(event, self.public_url, stop), 0
        if email:
            new += deliveries.enqueue(
                event.event_id,
                EMAIL,
                {
                    "case_id": event.case_id,
                    "status": PENDING,
                    "sealed": event.reporter_sealed,  # opened again only when sending
                    "subject": message.subject,
                    "text": message.text,
                    "stop_link": stop,
                },
                now,
            )
        if phone:
            new += deliveries.enqueue(
                event.event_id,
                SMS,
                {
                    "case_id": event.case_id,
                    "status": QUEUED,
                    "sealed": event.reporter_sealed,  # the number: opened at the fetch
                    "text": message.sms,
                },
                now,
            )
        return new

    def _nothing(self, event: Notification, status: str, reason: str, now: datetime) -> int:
        """Record that this event is delivered on no channel, and why."""
        doc = {"case_id": event.case_id, "status": status, "reason": reason}
        return self.store.enqueue(event.event_id, NONE, doc, now)


class EmailSender:
    """Sends due e-mail deliveries; ``run_once`` is one pass (tests move ``now``)."""

    def __init__(
        self,
        deliveries: DeliveryStore,
        mailer: Mailer,
        sealer: Sealer,
        optouts: OptOuts,
        backoff: float,
    ) -> None:
        self.deliveries, self.mailer, self.backoff = deliveries, mailer, backoff
        self.sealer, self.optouts = sealer, optouts

    def run_once(self, now: datetime | None = None) -> dict[str, int]:
        """Send everything due at ``now``; counts per outcome (sent, pending, dead,
        skipped: the reporter stopped e-mails since it was queued)."""
        counts = {"sent": 0, "pending": 0, "dead": 0, "skipped": 0}
        while True:
            at = now or now_utc()
            delivery = self.deliveries.claim_email(at)
            if delivery is None:
                return counts
            try:
                contact = self.sealer.unseal(delivery["sealed"])
                if self.optouts.stopped(EMAIL, contact["email"]):  # since it was queued
                    self.deliveries.skip(delivery["_id"], STOPPED, at)
                    counts["skipped"] += 1
                    continue
                self.mailer.send(
                    contact["email"],
                    delivery["subject"],
                    delivery["text"],
                    delivery["event_id"],
                    delivery.get("stop_link"),
                )
            except ValueError as exc:  # the sealed identity no longer opens
                self.deliveries.dead([delivery["_id"]], str(exc), at)
                counts["dead"] += 1
                continue
            except SendError as exc:
                status = self.deliveries.failed(delivery, str(exc), at, exc.permanent, self.backoff)
                log.warning("e-mail %s not sent (%s): %s", delivery["_id"], status, exc)
                counts["dead" if status == DEAD else "pending"] += 1
                continue
            self.deliveries.sent(delivery["_id"], at)
            counts["sent"] += 1


class Notifier:
    """The two loops of ``lapor notifier``. ``make_consumer`` makes the sink's Kafka
    consumer, which aiokafka binds to the running event loop (so: inside it)."""

    def __init__(
        self,
        sink: NotificationSink,
        sender: EmailSender | None,
        poll: float,
        make_consumer: Callable[[], AIOKafkaConsumer],
    ) -> None:
        self.sink, self.sender, self.poll = sink, sender, poll
        self.make_consumer = make_consumer

    async def send_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(None, self.sender.run_once)
            except Exception as exc:  # noqa: BLE001 - the store away: try next round
                log.warning("e-mail round skipped: %s", exc)
            await asyncio.sleep(self.poll)

    async def run(self) -> None:
        self.sink.consumer = self.make_consumer()
        tasks = [self.sink.run()]
        if self.sender is not None:
            tasks.append(self.send_loop())
        await asyncio.gather(*tasks)
