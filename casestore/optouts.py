"""Reporters who asked for no more messages on a channel.

``BERHENTI`` by SMS stops the SMS, the e-mail's "berhenti" link stops the
e-mails; ``MULAI`` and the link's page undo it. Each opt-out is one document
under the blind index of the contact (``core/contacts.py``), so the store holds
no number or address for it. The notifier leaves a stopped channel out when it
plans an event's deliveries, and a message queued before the stop is dropped
where it would leave (the SMTP loop, the gateway's fetch) as ``skipped``.
"""

from __future__ import annotations

from datetime import datetime

from pymongo.database import Database

from core.contacts import ContactIndex

COLLECTION = "contact_optouts"


class OptOuts:
    def __init__(self, db: Database, index: ContactIndex) -> None:
        self.optouts = db[COLLECTION]
        self.index = index

    def stop_index(self, channel: str, index: str, at: datetime, via: str) -> bool:
        """Stop ``channel`` for the contact behind ``index``; False if it already was."""
        result = self.optouts.update_one(
            {"_id": index},
            {"$setOnInsert": {"channel": channel, "at": at, "via": via}},
            upsert=True,
        )
        return result.upserted_id is not None

    def resume_index(self, index: str) -> bool:
        """Messages on that channel again; False if they were not stopped."""
        return self.optouts.delete_one({"_id": index}).deleted_count == 1

    def stopped(self, channel: str, contact: str | None) -> bool:
        index = self.index.of(channel, contact)
        return index is not None and self.stopped_index(index)

    def stopped_index(self, index: str) -> bool:
        return self.optouts.count_documents({"_id": index}, limit=1) > 0
