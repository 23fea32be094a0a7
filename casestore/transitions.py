"""What people and timers do to stored cases: the workflow's writes.

A staff member asks the reporter, changes the status, re-dispatches; a citizen's
or the system's change (``apply_change``: answers, replies, confirmation,
dispute, rating, automatic closure); the escalation of overdue cases; the
notification outbox the relay drains. Every write is a compare-and-set on the
case as it was read (``casestore.outbox.unchanged``) and carries its
notification in the same update, so a change and what the reporter hears of it
never part. A mixin of :class:`casestore.store.CaseStore` (its ``cases``,
``scoped``, ``find_for`` and ``audit``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from casestore.merge import follow_change, follow_primary, follow_redispatch
from casestore.outbox import (
    PENDING,
    add_notification,
    notify_redispatch,
    pending_entries,
    sent_update,
    unchanged,
)
from casestore.users import User
from casestore.workflow import (
    BUKAN_WEWENANG,
    OPEN_STATUSES,
    TransitionError,
    dispatch_update,
    transition_update,
)
from core.units import unit_above


class Stale(Exception):
    """The case changed since it was read (another admin, another event)."""


class CaseTransitions:
    def ask(self, user: User, case_id: str, question: str, now: datetime | None = None) -> None:
        """A request to the reporter for more information (``question`` masked by
        the caller): recorded in the history, shown to the citizen and sent to the
        reporter (outbox); no status change. Stale when the case changed meanwhile."""
        now = now or datetime.now(UTC)
        case = self.find_for(user, case_id)
        if case is None:
            raise LookupError(case_id)
        public = f"unit meminta informasi tambahan: {question}"
        entry = {
            "status": case["status"],
            "at": now,
            "by": user.username,
            "note": f"minta informasi: {question}",
            "public_note": public,
        }
        update = add_notification(
            {"$push": {"history": entry}}, case, "info_request", case["status"], public, now
        )
        self._change(user, case, update)
        self.audit("info_request", case_id, user.username, question, {}, {}, now)

    def change_status(
        self, user: User, case_id: str, to: str, why: str, now: datetime | None = None
    ) -> dict:
        """A status change with its notification to the reporter, compare-and-set:
        Stale when the case changed since it was read."""
        now = now or datetime.now(UTC)
        case = self.find_for(user, case_id)
        if case is None:
            raise LookupError(case_id)
        if case.get("merged_into"):  # it follows its primary (casestore/merge.py)
            raise TransitionError(
                f"Aduan ini digabung ke {case['merged_into']}: ubah status pada aduan utama, "
                "atau pisahkan dulu."
            )
        update = transition_update(case, to, user.username, why, now)
        self._change(user, case, add_notification(update, case, "status", to, why, now))
        self.audit(
            "status", case_id, user.username, why, {"status": case["status"]}, {"status": to}, now
        )
        after = self.cases.find_one({"_id": case_id})
        follow_primary(self.cases, after, update["$push"]["history"])
        return after

    def _change(self, user: User, case: dict, update: dict) -> None:
        """Apply ``update`` only to the case exactly as read (``outbox.unchanged``)."""
        if not self.cases.update_one(self.scoped(user, unchanged(case)), update).modified_count:
            raise Stale(case["_id"])

    def redispatch(
        self,
        user: User,
        case: dict,
        decision: dict,
        reason: str,
        now: datetime | None = None,
    ) -> tuple[int, dict]:
        """Give the case ``decision`` as its next decision version (``dispatch_update``);
        returns (the new version, the decision's fields before) for the events.
        Compare-and-set on the version and status the console showed: Stale when
        someone changed the case meanwhile (two admins re-dispatching at once)."""
        if not reason.strip():
            raise ValueError("Alasan wajib diisi.")
        now = now or datetime.now(UTC)
        version = case.get("decision_version", 1) + 1
        before = {k: case["decision"].get(k) for k in decision}
        update = dispatch_update(case, decision, version, user.username, reason, now)
        update["$set"]["decided_by"] = user.username
        update["$push"]["overrides"] = {
            "at": now,
            "by": user.username,
            "reason": reason.strip(),
            "before": before,
            "after": decision,
            "version": version,
        }
        notify_redispatch(update, case, now)
        self._change(user, case, update)
        if case.get("merged"):  # its merged cases go along (casestore/merge.py)
            after = self.cases.find_one({"_id": case["_id"]})
            follow_redispatch(self.cases, after, decision, "status" in update["$set"])
        self.audit("override", case["_id"], user.username, reason, before, decision, now)
        return version, before

    def apply_change(self, case: dict, update: dict, match: dict | None = None) -> dict:
        """Apply one change built from ``case`` as read (an answer, a citizen's reply,
        confirmation, dispute or rating, an automatic closure: one update dict each,
        with its notification when the reporter must hear of it) with a
        compare-and-set on the case as read (``outbox.unchanged``), plus ``match``;
        Stale when nothing matched (someone changed the case meanwhile). The case after."""
        query = {**unchanged(case), **(match or {})}
        if not self.cases.update_one(query, update).matched_count:
            raise Stale(case["_id"])
        after = self.cases.find_one({"_id": case["_id"]})
        if after.get("merged"):  # merged cases follow (casestore/merge.py)
            follow_change(self.cases, case, after, update)
        return after

    def escalate_overdue(self, now: datetime | None = None) -> int:
        """Flag overdue open cases once, record it, and show them to the tier above."""
        now = now or datetime.now(UTC)
        overdue = self.cases.find(
            {
                "status": {"$in": sorted(OPEN_STATUSES)},
                "deadline_at": {"$lt": now},
                "escalated": {"$ne": True},
            }
        )
        n = 0
        for case in overdue:
            # a unit's "not our authority" waits for the hub, not for the tier above
            above = unit_above(case["decision"]) if case["status"] != BUKAN_WEWENANG else None
            note = f"lewat tenggat; dieskalasi ke {above or 'admin nasional'}"
            update = add_notification(
                {
                    "$set": {"escalated": True, "escalated_to": above, "escalated_at": now},
                    "$push": {
                        "history": {
                            "status": case["status"],
                            "at": now,
                            "by": "sistem",
                            "note": note,
                        }
                    },
                },
                case,
                "escalation",
                case["status"],
                "Batas waktu terlewati; aduan diteruskan ke "
                f"{'unit di atasnya' if above else 'admin nasional'} untuk dipantau.",
                now,
            )
            # compare-and-set: another worker got there first, or the case changed
            # since it was read (the next round judges it again)
            if not self.cases.update_one(unchanged(case), update).modified_count:
                continue
            self.audit("escalation", case["_id"], "sistem", note, {}, {"escalated_to": above}, now)
            n += 1
        return n

    def pending_notifications(self, limit: int = 100) -> list[dict]:
        """Cases with unsent outbox entries (``casestore/outbox.py``): each with its
        pending entries under ``outbox`` and what the relay puts in the event."""
        found = self.cases.find(
            {PENDING: {"$gt": 0}}, {"outbox": 1, "privacy": 1, "reporter_sealed": 1}
        ).limit(limit)
        return [{**case, "outbox": pending_entries(case)} for case in found]

    def mark_notification_sent(self, case_id: str, event_id: str, at: datetime) -> bool:
        """Mark one outbox entry published; False when it already was (another relay)."""
        match, update = sent_update(event_id, at)
        return bool(self.cases.update_one({"_id": case_id, **match}, update).modified_count)
