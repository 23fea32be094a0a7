"""What the public may read about cases (Open311 GET requests).

Confidential (``rahasia``) cases are never listed; the text is the stored,
masked text; the reporter's identity and the routing internals never leave.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import DESCENDING
from pymongo.collection import Collection

from casestore.workflow import DIARSIPKAN, DITOLAK, SELESAI

CLOSED_STATUSES = frozenset({SELESAI, DITOLAK, DIARSIPKAN})
PUBLIC_FIELDS = {
    "text": 1,
    "status": 1,
    "status_since": 1,
    "submitted_at": 1,
    "deadline_at": 1,
    "region_hint": 1,
    "lat": 1,
    "long": 1,
    "decision.topic": 1,
    "decision.unit_name": 1,
}


def public_cases(
    cases: Collection,
    ids: Sequence[str] | None = None,
    topic: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    closed: bool | None = None,
    limit: int = 1000,
) -> list[dict]:
    """Newest first. ``ids`` alone decides when given (as Open311 says)."""
    query: dict = {"privacy": {"$ne": "rahasia"}}
    if ids is not None:
        query["_id"] = {"$in": list(ids)}
    else:
        if topic:
            query["decision.topic"] = topic
        if since or until:
            query["submitted_at"] = {
                **({"$gte": since} if since else {}),
                **({"$lte": until} if until else {}),
            }
        if closed is not None:
            query["status"] = {"$in" if closed else "$nin": sorted(CLOSED_STATUSES)}
    found = cases.find(query, PUBLIC_FIELDS).sort("submitted_at", DESCENDING).limit(limit)
    return list(found)
