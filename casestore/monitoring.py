"""Labels from people's decisions, and the ``monitoring`` collection.

A case is a label when a person stood behind its route or against it:

* **override**: an admin re-dispatched it (``overrides``): the agency they chose
  is the truth; the automatic decision was the one before the first override;
* **verified**: a person verified it, or the unit followed it up or finished it
  (``history`` entries by a user, not ``sistem``) without a re-route: the
  automatic agency was right (the same rule as ``lapor dataset export``);
* **not_competent**: the unit answered ``bukan_wewenang`` (not its authority)
  and nobody re-routed it yet: the automatic agency was wrong, the right one is
  not known (no confusion pair).

``lapor monitor`` (``lapor/monitor.py``) turns them into figures per model version
and period and stores aggregates here, never complaint text; the console's
dashboard reads the latest run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pymongo import DESCENDING
from pymongo.database import Database

from casestore.export import provenance
from casestore.workflow import BUKAN_WEWENANG

# what monitoring reads of a case (no identity; the text only for its words)
CASE_FIELDS = {
    "created_at": 1,
    "channel": 1,
    "text": 1,
    "status": 1,
    "auto_routed": 1,
    "overridden": 1,
    "overrides": 1,
    "history": 1,
    "prediction.agency": 1,
    "prediction.confidence": 1,
    "prediction.model_version": 1,
    "decision.agency": 1,
    "decision.regency_code": 1,
}


@dataclass
class HumanLabel:
    kind: str  # override | verified | not_competent
    auto_agency: str  # the automatic decision's agency
    true_agency: str | None  # None: known wrong, right agency unknown
    at: datetime | None

    @property
    def correct(self) -> bool:
        return self.true_agency == self.auto_agency


def automatic_agency(case: dict) -> str:
    """The agency of the automatic decision, before any person changed it."""
    for entry in case.get("overrides") or []:
        before = entry.get("before") or {}
        if before.get("agency"):
            return before["agency"]
    return case["decision"]["agency"]


def human_label(case: dict) -> HumanLabel | None:
    auto = automatic_agency(case)
    known = provenance(case)
    if known is not None:
        at = known.get("at")
        return HumanLabel(
            known["kind"], auto, case["decision"]["agency"], datetime.fromisoformat(at)
        )
    if case.get("status") == BUKAN_WEWENANG:
        for entry in reversed(case.get("history") or []):
            if entry.get("status") == BUKAN_WEWENANG and entry.get("by") != "sistem":
                return HumanLabel("not_competent", auto, None, entry.get("at"))
    return None


class MonitoringStore:
    """``monitoring``: one document per (model version, period kind, period) with
    its figures, and one per run (``kind: run``) with the flags the console shows."""

    def __init__(self, db: Database) -> None:
        self.collection = db["monitoring"]

    def save_periods(self, docs: list[dict]) -> None:
        for doc in docs:  # a recomputed period replaces the figures it had
            self.collection.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    def save_run(self, run: dict) -> None:
        self.collection.replace_one({"_id": run["_id"]}, run, upsert=True)

    def latest_run(self) -> dict | None:
        return self.collection.find_one({"kind": "run"}, sort=[("at", DESCENDING)])

    def periods(self, model_version: str | None = None, period_kind: str = "week") -> list[dict]:
        query: dict = {"kind": "period", "period_kind": period_kind}
        if model_version:
            query["model_version"] = model_version
        return list(self.collection.find(query).sort("start", 1))
