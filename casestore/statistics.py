"""The console dashboard's figures (volume, automatic-routing share, override
rate per agency, deadline compliance, overdue), scoped to the user. A mixin of
:class:`casestore.store.CaseStore`; the agency performance figures live in
``casestore/performance.py``."""

from __future__ import annotations

from datetime import UTC, datetime

from casestore.users import User
from casestore.workflow import OPEN_STATUSES


class CaseStatistics:
    def dashboard(self, user: User, now: datetime | None = None) -> dict:
        """Volume, automatic-routing share, override rate per agency, SLA, overdue."""
        now = now or datetime.now(UTC)
        scope = self.scoped(user)
        total = self.cases.count_documents(scope)
        auto = self.cases.count_documents(self.scoped(user, {"auto_routed": True}))
        open_q = {"status": {"$in": sorted(OPEN_STATUSES)}}
        overdue = self.cases.count_documents(
            self.scoped(user, {**open_q, "deadline_at": {"$lt": now}})
        )
        # compliance counts only what can be judged: cases answered (in time or
        # not) and open cases already past their deadline; not open ones in time
        answered = self.cases.count_documents(self.scoped(user, {"answered_at": {"$ne": None}}))
        in_time = self.cases.count_documents(self.scoped(user, {"answered_in_time": True}))
        late_open = self.cases.count_documents(
            self.scoped(
                user, {**open_q, "deadline_at": {"$lt": now}, "answered_at": {"$in": [None]}}
            )
        )
        judged = answered + late_open
        per_agency = list(
            self.cases.aggregate(
                [
                    {"$match": scope},
                    {
                        "$group": {  # by the final routing, not the model's guess
                            "_id": "$decision.agency",
                            "cases": {"$sum": 1},
                            "overridden": {"$sum": {"$cond": ["$overridden", 1, 0]}},
                        }
                    },
                    {"$sort": {"cases": -1}},
                ]
            )
        )
        per_tier = list(
            self.cases.aggregate(
                [
                    {"$match": scope},
                    {"$group": {"_id": "$decision.tier", "cases": {"$sum": 1}}},
                    {"$sort": {"cases": -1}},
                ]
            )
        )
        per_unit = list(
            self.cases.aggregate(
                [
                    {"$match": scope},
                    {
                        "$group": {
                            "_id": "$decision.unit_id",
                            "name": {"$first": "$decision.unit_name"},
                            "cases": {"$sum": 1},
                        }
                    },
                    {"$sort": {"cases": -1}},
                    {"$limit": 15},
                ]
            )
        )
        per_status = list(
            self.cases.aggregate(
                [
                    {"$match": scope},
                    {"$group": {"_id": "$status", "cases": {"$sum": 1}}},
                    {"$sort": {"cases": -1}},
                ]
            )
        )
        for row in per_agency:
            row["override_rate"] = round(row["overridden"] / row["cases"], 3) if row["cases"] else 0
        return {
            "total": total,
            "auto_routed_share": round(auto / total, 3) if total else 0.0,
            "overdue": overdue,
            "sla_compliance": round(in_time / judged, 3) if judged else None,
            "sla_judged": judged,
            "per_agency": per_agency,
            "per_tier": per_tier,
            "per_unit": per_unit,
            "per_status": per_status,
        }
