"""The audit trail: who did what to which case, when and why (the ``audit``
collection), written beside every change a person or the system makes. A mixin
of :class:`casestore.store.CaseStore`."""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo import ASCENDING


class CaseAudit:
    def audit(
        self,
        kind: str,
        case_id: str,
        by: str,
        reason: str,
        before: dict,
        after: dict,
        now: datetime | None = None,
    ) -> None:
        self.db["audit"].insert_one(
            {
                "kind": kind,
                "case_id": case_id,
                "by": by,
                "reason": reason,
                "before": before,
                "after": after,
                "at": now or datetime.now(UTC),
            }
        )

    def audit_for(self, case_id: str) -> list[dict]:
        return list(self.db["audit"].find({"case_id": case_id}).sort("at", ASCENDING))
