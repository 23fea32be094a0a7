"""Reporters' sealed identities at rest: re-sealing every case's identity (and
every pending notification's) under the newest key (``lapor keys rotate``), and
erasing them when they are no longer needed. A mixin of
:class:`casestore.store.CaseStore`.

**Retention** (UU 27/2022 on personal data protection: kept no longer than its
purpose needs). The identity is there to tell the reporter what happens to the
case and, for a public case, to let the unit reach them. Once the case is
closed (selesai, ditolak, diarsipkan) for ``LAPOR_IDENTITY_RETENTION_DAYS``
(365), the worker's hourly timer erases it: the sealed token goes, the case
keeps ``identity_erased`` (when, by whom, why) and an audit record. A data
subject's request erases one case's identity at once (``lapor privacy erase``),
open or not: the case goes on without contact, and its notifications still to
be sent are dropped. The masked text, the decision and the figures stay: they
name nobody.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo import UpdateOne
from pymongo.collection import Collection

from casestore.deliveries import COLLECTION as DELIVERIES
from casestore.deliveries import FINISHED_DROPS, PENDING, QUEUED, SENDING, SKIPPED
from casestore.workflow import CLOSED_STATUSES, SYSTEM
from core.privacy import Sealer

CLOSED = sorted(CLOSED_STATUSES)
OPEN_DELIVERIES = {"status": {"$in": [PENDING, SENDING, QUEUED]}}  # they hold a sealed one
ERASED = "identity erased"  # the reason an open delivery of such a case is dropped


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
        more = reseal_tokens(self.db[DELIVERIES], "sealed", OPEN_DELIVERIES, sealer, batch)
        return {k: counts[k] + more[k] for k in counts}

    def erase_expired_identities(self, now: datetime, retention_days: int) -> int:
        """Erase the identity of every case closed more than ``retention_days`` ago
        (its first closing: archiving a closed case does not restart the time).
        Idempotent, safe for any number of workers; returns how many were erased."""
        cutoff = now - timedelta(days=retention_days)
        due = self.cases.find(
            {
                "status": {"$in": CLOSED},
                "reporter_sealed": {"$ne": None},
                "history": {"$elemMatch": {"status": {"$in": CLOSED}, "at": {"$lt": cutoff}}},
            },
            {"_id": 1, "status": 1},
        )
        why = f"masa simpan {retention_days} hari setelah aduan ditutup"
        return sum(
            self._erase(case["_id"], {"status": case["status"]}, SYSTEM, why, now) for case in due
        )

    def erase_identity(self, case_id: str, by: str, reason: str, now: datetime) -> bool:
        """Erase one case's identity now (a data subject's request); False when it
        has none (already erased, or the reporter left none)."""
        if not reason.strip():
            raise ValueError("Alasan penghapusan wajib diisi.")
        return self._erase(case_id, {}, by, reason.strip(), now)

    def _erase(self, case_id: str, match: dict, by: str, reason: str, now: datetime) -> bool:
        erased = self.cases.update_one(
            {"_id": case_id, "reporter_sealed": {"$ne": None}, **match},
            {
                "$set": {
                    "reporter_sealed": None,
                    "identity_erased": {"at": now, "by": by, "reason": reason},
                }
            },
        )
        if not erased.modified_count:
            return False
        self.db[DELIVERIES].update_many(
            {"case_id": case_id, **OPEN_DELIVERIES},
            {
                "$set": {"status": SKIPPED, "reason": ERASED, "skipped_at": now},
                "$unset": FINISHED_DROPS,
            },
        )
        self.audit("identity_erased", case_id, by, reason, {}, {}, now)
        return True


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
