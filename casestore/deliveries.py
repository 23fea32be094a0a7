"""Notification deliveries: one document per (event, channel), the notifier's queue.

``_id`` = ``<event_id>:<channel>``, inserted with ``$setOnInsert``: a notification
event delivered twice by Kafka (the relay is at-least-once, a consumer may be
re-fed a batch) finds its delivery already there, so the reporter gets one
message per event and channel.

    channel  status      meaning
    email    pending     due at ``next_attempt_at`` (the notifier's SMTP loop)
             sending     claimed by a notifier until ``lease_until`` (a crashed one's
                         claim runs out and another sends it)
    sms      queued      waiting for the SMS gateway's pull (``/api/v1/sms/outbox``);
                         a fetched message is leased, offered again if not acknowledged
    any      sent        delivered (the gateway acknowledged it, or SMTP took it)
             dead        never deliverable, ``reason`` says why (a permanent refusal,
                         or ``max_attempts`` tries): the dead-letter state
    none     skipped     the reporter left no contact (anonim, rahasia without one), or
                         stopped every channel it left (``casestore/optouts.py``)
    any      skipped     queued, then the reporter stopped the channel: not sent

No contact is stored in clear: an e-mail or SMS delivery keeps the reporter's
sealed identity, opened only when the message leaves (the notifier's SMTP loop,
the gateway's fetch), and it is removed when the message is sent or dead.
``lapor keys rotate`` re-seals the open ones (``casestore/identities.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database

from casestore.optouts import OptOuts
from core.contacts import EMAIL, SMS
from core.privacy import Sealer

COLLECTION = "deliveries"
NONE = "none"  # EMAIL and SMS: core.contacts
PENDING, SENDING, QUEUED, SENT, DEAD, SKIPPED = (
    "pending",
    "sending",
    "queued",
    "sent",
    "dead",
    "skipped",
)
# what a finished delivery no longer keeps (``to``: a number in clear, as SMS
# deliveries queued before they were sealed held it)
FINISHED_DROPS = {"sealed": "", "to": "", "lease_until": "", "stop_link": ""}
STOPPED = "the reporter stopped messages on this channel"
SEND_LEASE = timedelta(minutes=5)  # longest an SMTP conversation may hold a claim
# what the console's "Kabar ke pelapor" card says (web/templates/case.html)
CHANNEL_LABELS = {EMAIL: "E-mail", SMS: "SMS", NONE: "-"}
DELIVERY_LABELS = {
    PENDING: "menunggu dikirim",
    SENDING: "sedang dikirim",
    QUEUED: "menunggu gateway SMS",
    SENT: "terkirim",
    DEAD: "gagal",
    SKIPPED: "tidak dikirim",
}
REASON_LABELS = {
    STOPPED: "pelapor meminta berhenti lewat saluran ini",
    "no contact": "pelapor tidak meninggalkan kontak",
    "no e-mail channel or usable contact": "tidak ada kontak yang dapat dipakai",
}


def phone_number(raw: str | None) -> str | None:
    """Digits (and a leading +) of a reporter's phone, if it looks like one."""
    number = re.sub(r"[^\d+]", "", raw or "")
    return number if 8 <= len(number.lstrip("+")) <= 15 else None


def email_address(raw: str | None) -> str | None:
    value = (raw or "").strip()
    return value if re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", value) else None


def backoff(base: float, attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed try: base, 2 base, 4 base, ... (capped at a day)."""
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 86_400))


class DeliveryStore:
    def __init__(self, db: Database, max_attempts: int = 8) -> None:
        self.deliveries = db[COLLECTION]
        self.max_attempts = max_attempts

    def ensure_indexes(self) -> None:
        self.deliveries.create_index(
            [("channel", ASCENDING), ("status", ASCENDING), ("next_attempt_at", ASCENDING)]
        )
        self.deliveries.create_index("case_id")  # the console's case page

    def by_event(self, case_id: str) -> dict[str, list[dict]]:
        """A case's deliveries (no sealed identity, no text) per event id, for the
        console: whether the reporter heard of each change, on which channel."""
        found: dict[str, list[dict]] = {}
        for delivery in self.deliveries.find(
            {"case_id": case_id},
            {"event_id": 1, "channel": 1, "status": 1, "reason": 1, "attempts": 1, "sent_at": 1},
        ).sort("channel", ASCENDING):
            found.setdefault(delivery["event_id"], []).append(delivery)
        return found

    def enqueue(self, event_id: str, channel: str, doc: dict, now: datetime) -> bool:
        """Add a delivery once; False when this event already has one on ``channel``."""
        fields = {
            "event_id": event_id,
            "channel": channel,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
            **doc,
        }
        result = self.deliveries.update_one(
            {"_id": f"{event_id}:{channel}"}, {"$setOnInsert": fields}, upsert=True
        )
        return result.upserted_id is not None

    def for_event(self, event_id: str) -> list[dict]:
        return list(self.deliveries.find({"event_id": event_id}))

    # --- e-mail: the notifier's loop ------------------------------------------

    def claim_email(self, now: datetime) -> dict | None:
        """One due e-mail, claimed (``sending``) until the lease runs out."""
        return self.deliveries.find_one_and_update(
            {
                "channel": EMAIL,
                "$or": [
                    {"status": PENDING, "next_attempt_at": {"$lte": now}},
                    {"status": SENDING, "lease_until": {"$lt": now}},
                ],
            },
            {"$set": {"status": SENDING, "lease_until": now + SEND_LEASE}, "$inc": {"attempts": 1}},
            sort=[("next_attempt_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    def sent(self, delivery_id: str, now: datetime) -> None:
        self.deliveries.update_one(
            {"_id": delivery_id},
            {"$set": {"status": SENT, "sent_at": now}, "$unset": FINISHED_DROPS},
        )

    def failed(
        self, delivery: dict, error: str, now: datetime, permanent: bool, base: float
    ) -> str:
        """After a failed try: ``dead`` (permanent, or the last try) or ``pending``
        again after the backoff. Returns the new status."""
        attempts = delivery.get("attempts", 1)
        if permanent or attempts >= self.max_attempts:
            why = error if permanent else f"gave up after {attempts} tries: {error}"
            self.dead([delivery["_id"]], why, now)
            return DEAD
        self.deliveries.update_one(
            {"_id": delivery["_id"]},
            {
                "$set": {
                    "status": PENDING,
                    "next_attempt_at": now + backoff(base, attempts),
                    "last_error": error,
                },
                "$unset": {"lease_until": ""},
            },
        )
        return PENDING

    def dead(
        self, ids: Sequence[str], reason: str, now: datetime, channel: str | None = None
    ) -> int:
        """Dead-letter these deliveries with ``reason`` (only ``channel``'s, if given)."""
        return self._finish(ids, DEAD, reason, now, channel)

    def skip(self, delivery_id: str, reason: str, now: datetime) -> int:
        """Not sent, on purpose (the reporter stopped this channel since it was queued)."""
        return self._finish([delivery_id], SKIPPED, reason, now, None)

    def _finish(
        self, ids: Sequence[str], status: str, reason: str, now: datetime, channel: str | None
    ) -> int:
        match: dict = {"_id": {"$in": list(ids)}, "status": {"$nin": [SENT, DEAD, SKIPPED]}}
        if channel:
            match["channel"] = channel
        result = self.deliveries.update_many(
            match,
            {
                "$set": {"status": status, "reason": reason[:2_000], f"{status}_at": now},
                "$unset": FINISHED_DROPS,
            },
        )
        return result.modified_count

    # --- SMS: the gateway's pull ----------------------------------------------

    def fetch_sms(self, gateway: str, now: datetime, limit: int, lease: float) -> list[dict]:
        """Up to ``limit`` queued SMS not leased now, each leased to ``gateway`` for
        ``lease`` seconds, doubling with each fetch (a gateway that never confirms
        is not flooded); one fetched ``max_attempts`` times is dead instead."""
        found = []
        while len(found) < limit:
            claimed = self.deliveries.find_one_and_update(
                {
                    "channel": SMS,
                    "status": QUEUED,
                    "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}],
                },
                {"$set": {"lease_until": now, "gateway": gateway}, "$inc": {"attempts": 1}},
                sort=[("created_at", ASCENDING)],
                return_document=ReturnDocument.AFTER,
            )
            if claimed is None:
                break
            if claimed["attempts"] > self.max_attempts:
                self.dead(
                    [claimed["_id"]],
                    f"the SMS gateway did not confirm it after {self.max_attempts} fetches",
                    now,
                )
                continue
            until = now + backoff(lease, claimed["attempts"])
            self.deliveries.update_one({"_id": claimed["_id"]}, {"$set": {"lease_until": until}})
            found.append(claimed)
        return found

    def take_sms(
        self,
        gateway: str,
        now: datetime,
        limit: int,
        lease: float,
        sealer: Sealer,
        optouts: OptOuts,
    ) -> list[dict]:
        """What :meth:`fetch_sms` leases, addressed: ``{id, to, text}`` with the number
        opened from the sealed identity only now, for the gateway that sends it. One
        whose identity no key opens any more is dead-lettered with the reason; one
        to a number that sent BERHENTI since it was queued is skipped."""
        messages = []
        for delivery in self.fetch_sms(gateway, now, limit, lease):
            to = delivery.get("to")  # queued before numbers were sealed
            if delivery.get("sealed"):
                try:
                    to = phone_number(sealer.unseal(delivery["sealed"]).get("phone"))
                except ValueError as exc:
                    self.dead([delivery["_id"]], str(exc), now, SMS)
                    continue
            if not to:
                self.dead([delivery["_id"]], "no usable phone number", now, SMS)
                continue
            if optouts.stopped(SMS, to):
                self.skip(delivery["_id"], STOPPED, now)
                continue
            messages.append({"id": delivery["_id"], "to": to, "text": delivery["text"]})
        return messages

    def ack_sms(self, sent: Sequence[str], now: datetime) -> int:
        """The gateway sent these; an id acknowledged again changes nothing."""
        result = self.deliveries.update_many(
            {"_id": {"$in": list(sent)}, "channel": SMS, "status": QUEUED},
            {"$set": {"status": SENT, "sent_at": now}, "$unset": FINISHED_DROPS},
        )
        return result.modified_count
