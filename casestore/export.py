"""Training labels from the case store (``lapor dataset export``).

A case is a label when a person stood behind its route: an admin override (the
override wins) or an admin's verification or follow-up of the routed case.
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

from lapor.privacy import mask_identifiers

HUMAN_CONFIRMED = ("terverifikasi", "ditindaklanjuti", "selesai")


def provenance(case: dict) -> dict | None:
    """Who stood behind this case's route and when (None: nobody yet)."""
    if case.get("overridden") and case.get("overrides"):
        last = case["overrides"][-1]
        return {
            "kind": "override",
            "by": last["by"],
            "at": last["at"].isoformat(),
            "reason": last["reason"],
        }
    for entry in case.get("history", []):
        if entry.get("by") != "sistem" and entry.get("status") in HUMAN_CONFIRMED:
            return {"kind": "verified", "by": entry["by"], "at": entry["at"].isoformat()}
    return None


def labelled_cases(db: Database, since: datetime | None = None) -> list[dict]:
    """Labelled cases, all or those labelled at or after ``since`` (``--since-serving``:
    what people decided after the serving version was trained)."""
    query = {"$or": [{"overridden": True}, {"status": {"$in": list(HUMAN_CONFIRMED)}}]}
    rows = []
    for case in db["cases"].find(query).sort("_id", 1):
        label = provenance(case)
        if label is None or (since is not None and datetime.fromisoformat(label["at"]) < since):
            continue
        decision = case["decision"]
        rows.append(
            {
                "id": case["_id"],
                "text": mask_identifiers(case["text"]),
                "agency": decision["agency"],
                "topic": decision["topic"],
                "model_agency": case["prediction"]["agency"],
                "model_topic": case["prediction"]["topic"],
                "provenance": label,
            }
        )
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
