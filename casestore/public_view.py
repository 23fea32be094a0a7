"""What the public may read about cases (Open311 GET requests).

Confidential (``rahasia``) cases are never listed; the text is the stored,
masked text; the reporter's identity and the routing internals never leave.
The reporter's own view (``citizen_history``) is read with the tracking id (and
the secret token for a confidential case).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from pymongo import DESCENDING
from pymongo.collection import Collection

from casestore.dead_letters import DeadLetterStore, public_reason
from casestore.workflow import (
    DIARSIPKAN,
    DITOLAK,
    MENUNGGU_VERIFIKASI,
    SELESAI,
    TERDISPOSISI,
)
from core.privacy import mask_identifiers

# what an issued tracking id answers before (or instead of) a stored case
RECEIVED = "diterima"
UNPROCESSABLE = "tidak_dapat_diproses"
INTAKE_LABELS = {RECEIVED: "Diterima, sedang diproses", UNPROCESSABLE: "Tidak dapat diproses"}
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
    "privacy": 1,
    "photo_ids": 1,
}
# whose photos the public may see: a photo can show the reporter's face or house,
# so an anonim reporter's photos stay with the units like a rahasia one's
PUBLIC_PHOTOS = "public"


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


def citizen_history(case: dict) -> list[dict]:
    """The history as the reporter may read it: each status with its time and, for
    what a person wrote (a unit's follow-up, a verification), the note masked
    again; the system's routing reasons are internal and become plain words."""
    unit = (case.get("decision") or {}).get("unit_name")
    lines = []
    for entry in case.get("history", []):
        status = entry.get("status", "")
        if entry.get("public_note"):  # a line written for the citizen (answer, reply, ...)
            note = mask_identifiers(entry["public_note"])
        elif entry.get("by") == "sistem":
            note = (
                f"Aduan diteruskan ke {unit}."
                if status == TERDISPOSISI and unit
                else (
                    "Aduan diterima dan menunggu verifikasi petugas."
                    if status == MENUNGGU_VERIFIKASI
                    else ""
                )
            )
        else:
            note = mask_identifiers(entry.get("note") or "")
        lines.append({"status": status, "at": entry.get("at"), "note": note})
    return lines


def case_for_reporter(cases: Collection, tracking_id: str, token_digest: str | None) -> dict | None:
    """The case a tracking id names, or None. A confidential case needs the digest
    of its secret token and otherwise answers exactly like an unknown id."""
    case = cases.find_one({"_id": tracking_id}) if tracking_id else None
    if case is not None and case.get("privacy") == "rahasia":
        expected = case.get("access_token_hash") or ""
        if not token_digest or not secrets.compare_digest(token_digest, expected):
            return None
    return case


def case_for_actor(cases: Collection, tracking_id: str, token_digest: str | None) -> dict | None:
    """The case its reporter may act on (reply, confirm, dispute, rate), or None:
    the tracking id *and* the digest of the token its receipt gave, for every case
    filed with one, since a public case's tracking id is public (Open311 lists
    it); a case filed without a token (a bulk import, e-mail, an older case) by its
    id alone. A wrong or missing token answers exactly like an unknown id."""
    case = cases.find_one({"_id": tracking_id}) if tracking_id else None
    expected = (case or {}).get("access_token_hash")
    if expected and not (token_digest and secrets.compare_digest(token_digest, expected)):
        return None
    return case


def reporter_lookup(
    cases: Collection,
    dead_letters: DeadLetterStore,
    tracking_id: str,
    token_digest: str | None,
    issued: bool,
) -> dict | None:
    """What a tracking id answers its reporter (the JSON API and ``/lacak``):

    1. the stored case (a rahasia one only with its token's digest);
    2. nothing (a 404) unless the id was ``issued`` here (``core.tracking``, which
       for rahasia also checks the token): a made-up id answers like an unknown one;
    3. ``tidak_dapat_diproses`` with the reason in Indonesian when the worker
       dead-lettered it;
    4. else ``diterima``: issued, on its way to becoming a case.

    Steps 3 and 4 give a case-shaped dict (``_id``, ``status``, ``reason``, an
    empty history)."""
    case = case_for_reporter(cases, tracking_id, token_digest)
    if case is not None:
        return case
    if not tracking_id or not issued or cases.count_documents({"_id": tracking_id}, limit=1):
        return None
    letter = dead_letters.find(tracking_id)
    if letter is not None:
        reason = public_reason(letter.get("reason") or "")
        return {"_id": tracking_id, "status": UNPROCESSABLE, "reason": reason, "history": []}
    return {"_id": tracking_id, "status": RECEIVED, "reason": None, "history": []}


def public_photo(cases: Collection, case_id: str, number: int) -> str | None:
    """The id of a public complaint's ``number``-th photo (1-based), or None: an
    unknown case, an anonim or rahasia one, or no such photo answer alike."""
    case = cases.find_one({"_id": case_id, "privacy": PUBLIC_PHOTOS}, {"photo_ids": 1})
    photos = (case or {}).get("photo_ids") or []
    return photos[number - 1] if 1 <= number <= len(photos) else None
