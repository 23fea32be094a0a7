"""Training labels from the case store (``lapor dataset export``).

A case is a label when a person stood behind its route: an admin's correction
(the override wins; the worker records each one from the overridden events in
``corrections``, the newest decision version wins) or an admin's verification or
follow-up of the routed case.
Reporter identities never leave the store, and NIK, phone numbers, e-mails and
URLs in the text are masked. The output is deterministic (sorted by case id,
no wall-clock fields), so the same store gives the same file and the same
version hash.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from pymongo.database import Database

from core.privacy import mask_identifiers

# a reopened case was answered by its unit first: its route was confirmed too
HUMAN_CONFIRMED = ("terverifikasi", "ditindaklanjuti", "selesai", "dibuka_kembali")


def newest_corrections(db: Database) -> dict[str, dict]:
    """The newest correction of each case (highest decision version; older events,
    without one, by time), as the worker recorded them from the overridden events
    (``streams/corrections.py``): a later re-dispatch wins over an earlier one."""
    newest: dict[str, dict] = {}
    for c in db["corrections"].find().sort([("decision_version", 1), ("at", 1), ("_id", 1)]):
        newest[c["complaint_id"]] = c
    return newest


def provenance(case: dict) -> dict | None:
    """Who stood behind this case's route and when, from the case alone (None:
    nobody yet): its last override, else the first verification or follow-up."""
    if case.get("overridden") and case.get("overrides"):
        last = case["overrides"][-1]
        return {
            "kind": "override",
            "by": last["by"],
            "at": last["at"].isoformat(),
            "reason": last["reason"],
        }
    return _verified(case)


def _verified(case: dict) -> dict | None:
    for entry in case.get("history", []):
        if entry.get("by") != "sistem" and entry.get("status") in HUMAN_CONFIRMED:
            return {"kind": "verified", "by": entry["by"], "at": entry["at"].isoformat()}
    return None


def labelled_cases(db: Database, since: datetime | None = None) -> list[dict]:
    """Labelled cases, all or those labelled at or after ``since`` (``--since-serving``:
    what people decided after the serving version was trained)."""
    corrections = newest_corrections(db)
    confirmed = {"status": {"$in": list(HUMAN_CONFIRMED)}}
    # corrections the worker recorded, else the case's own overrides list (cases
    # corrected before the worker recorded corrections, or without their event)
    query = {"$or": [{"_id": {"$in": list(corrections)}}, {"overridden": True}, confirmed]}
    cases = {case["_id"]: case for case in db["cases"].find(query)}
    rows = []
    for case_id in sorted(set(cases) | set(corrections)):
        case, correction = cases.get(case_id), corrections.get(case_id)
        if correction is not None:  # the override wins
            after = correction["after"]
            prediction = (case or {}).get("prediction") or {}
            row = {
                "agency": after.get("agency"),
                "topic": after.get("topic"),
                "model_agency": correction.get("model_agency") or prediction.get("agency"),
                "model_topic": correction.get("model_topic") or prediction.get("topic"),
                "text": (case or correction)["text"],
                "provenance": {
                    "kind": "override",
                    "by": correction["by"],
                    "at": correction["at"].isoformat(),
                    "reason": correction["reason"],
                },
            }
            if not (row["agency"] and row["topic"]):
                continue
        else:
            label = provenance(case)
            if label is None:
                continue
            decision = case["decision"]
            row = {
                "agency": decision["agency"],
                "topic": decision["topic"],
                "model_agency": case["prediction"]["agency"],
                "model_topic": case["prediction"]["topic"],
                "text": case["text"],
                "provenance": label,
            }
        if since is not None and datetime.fromisoformat(row["provenance"]["at"]) < since:
            continue
        rows.append({"id": case_id, **row, "text": mask_identifiers(row["text"])})
    return rows


def export_labels(
    db: Database, out: Path, extra: list[dict] | None = None, since: datetime | None = None
) -> dict:
    """Write the labels (after ``extra`` rows, e.g. the seed corpus) and summarise them."""
    rows = [*(extra or []), *labelled_cases(db, since)]
    body = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    kinds: dict[str, int] = {}
    for r in rows:
        kinds[r["provenance"]["kind"]] = kinds.get(r["provenance"]["kind"], 0) + 1
    return {
        "path": str(out),
        "rows": len(rows),
        "by_provenance": kinds,
        "version": hashlib.sha256(body.encode()).hexdigest()[:16],
    }
