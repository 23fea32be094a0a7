"""Reporters' sealed identities at rest: re-sealing every case's identity under
the newest key (``lapor keys rotate``). A mixin of :class:`casestore.store.CaseStore`."""

from __future__ import annotations

from pymongo import UpdateOne

from core.privacy import Sealer


class CaseIdentities:
    def reseal_identities(self, sealer: Sealer, batch: int = 500) -> dict[str, int]:
        """Re-seal every stored reporter identity with the sealer's current key.

        Idempotent (a token already sealed with the current key is left alone)
        and safe beside live traffic: each update matches the token it read, so
        it never overwrites a write made since. ``unreadable`` counts tokens no
        key of the ring opens; they are left as they are.
        """
        counts = {"resealed": 0, "current": 0, "unreadable": 0}
        updates: list[UpdateOne] = []

        def flush() -> None:
            if updates:
                counts["resealed"] += self.cases.bulk_write(updates, ordered=False).modified_count
                updates.clear()

        for case in self.cases.find({"reporter_sealed": {"$ne": None}}, {"reporter_sealed": 1}):
            token = case["reporter_sealed"]
            if sealer.is_current(token):
                counts["current"] += 1
                continue
            try:
                fresh = sealer.reseal(token)
            except ValueError:
                counts["unreadable"] += 1
                continue
            updates.append(
                UpdateOne(
                    {"_id": case["_id"], "reporter_sealed": token},
                    {"$set": {"reporter_sealed": fresh}},
                )
            )
            if len(updates) >= batch:
                flush()
        flush()
        return counts
