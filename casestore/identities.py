"""Reporters' sealed identities at rest: re-sealing every case's identity (and
every pending notification's) under the newest key (``lapor keys rotate``).
A mixin of :class:`casestore.store.CaseStore`."""

from __future__ import annotations

from pymongo import UpdateOne
from pymongo.collection import Collection

from casestore.deliveries import COLLECTION as DELIVERIES
from casestore.deliveries import PENDING, QUEUED, SENDING
from core.privacy import Sealer


class CaseIdentities:
    def reseal_identities(self, sealer: Sealer, batch: int = 500) -> dict[str, int]:
        """Re-seal every stored reporter identity with the sealer's current key: the
        cases', and the notification deliveries' still to be sent (a sent or dead
        delivery keeps none), so retiring the old key loses no pending message.

        Idempotent (a token already sealed with the current key is left alone)
        and safe beside live traffic: each update matches the token it read, so
        it never overwrites a write made since. ``unreadable`` counts tokens no
        key of the ring opens; they are left as they are.
        """
        counts = reseal_tokens(self.cases, "reporter_sealed", {}, sealer, batch)
        open_deliveries = {"status": {"$in": [PENDING, SENDING, QUEUED]}}
        more = reseal_tokens(self.db[DELIVERIES], "sealed", open_deliveries, sealer, batch)
        return {k: counts[k] + more[k] for k in counts}


def reseal_tokens(
    collection: Collection, field: str, match: dict, sealer: Sealer, batch: int = 500
) -> dict[str, int]:
    """Re-seal ``field`` of the documents matching ``match`` under the current key."""
    counts = {"resealed": 0, "current": 0, "unreadable": 0}
    updates: list[UpdateOne] = []

    def flush() -> None:
        if updates:
            counts["resealed"] += collection.bulk_write(updates, ordered=False).modified_count
            updates.clear()

    for doc in collection.find({**match, field: {"$ne": None}}, {field: 1}):
        token = doc[field]
        if sealer.is_current(token):
            counts["current"] += 1
            continue
        try:
            fresh = sealer.reseal(token)
        except ValueError:
            counts["unreadable"] += 1
            continue
        updates.append(UpdateOne({"_id": doc["_id"], field: token}, {"$set": {field: fresh}}))
        if len(updates) >= batch:
            flush()
    flush()
    return counts
