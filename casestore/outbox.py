"""The case's notification outbox: what the reporter must hear of, written with the change.

A status change and its notification must not part: publishing to Kafka after
the store write loses the notification when the process dies between the two,
and publishing first announces a change that may never be stored. So every
change adds its notification to the case document *in the same update*
(:func:`add_notification`), and the worker's relay (``streams/relay.py``)
publishes pending entries to ``lapor.notifications`` and marks them sent
(at-least-once; the ``event_id`` makes the notifier's delivery idempotent).

Each change is a compare-and-set: :func:`unchanged` matches the case exactly as
it was read (status, decision version, length of the history), so a change
built from a stale read never lands (the store raises ``Stale``) and never
emits a notification for a state the case is no longer in.

``kind`` values (``core.events.NotificationKind``):

    status        a status change (the note: the reason given, masked)
    answer        a unit's answer to the citizen (tindak lanjut)
    info_request  the unit asks the reporter for more information
    redispatch    the case went to another unit ("dialihkan ke ...")
    escalation    the deadline passed; the case went one tier up
"""

from __future__ import annotations

import uuid
from datetime import datetime

from core.privacy import mask_identifiers

PENDING = "outbox_pending"  # count of unsent entries: the relay's index
NOTE_CHARS = 4_000  # core.events.Notification.note
KIND_LABELS = {  # the console's "Kabar ke pelapor" card
    "status": "Perubahan status",
    "answer": "Jawaban unit",
    "info_request": "Permintaan informasi",
    "redispatch": "Dialihkan",
    "escalation": "Eskalasi",
}


def add_notification(
    update: dict, case: dict, kind: str, status: str, note: str | None, at: datetime
) -> dict:
    """Add one outbox entry to the MongoDB ``update`` of ``case`` (``$push`` +
    ``$inc``) and return the update. The unit is the one the update gives the
    case (a re-dispatch), else the case's own."""
    unit = update.get("$set", {}).get("decision.unit_name") or (case.get("decision") or {}).get(
        "unit_name"
    )
    entry = {
        "event_id": f"{case['_id']}:{uuid.uuid4().hex}",
        "kind": kind,
        "status": status,
        "note": mask_identifiers(note.strip())[:NOTE_CHARS] if note and note.strip() else None,
        "unit": unit,
        "at": at,
        "sent_at": None,
    }
    pushes = update.setdefault("$push", {})
    if "outbox" in pushes:  # a second notification in the same update
        before = pushes["outbox"]
        pushes["outbox"] = {"$each": [*before.get("$each", [before]), entry]}
    else:
        pushes["outbox"] = entry
    incs = update.setdefault("$inc", {})
    incs[PENDING] = incs.get(PENDING, 0) + 1
    return update


def unchanged(case: dict) -> dict:
    """The filter that matches ``case`` only as it was read: same status, same
    decision version (a case stored before versions existed has none: 1), same
    number of history lines (every change adds one)."""
    version = case.get("decision_version", 1)
    history = case.get("history")
    match: dict = {
        "_id": case["_id"],
        "status": case["status"],
        # a document without a history (made by hand, never by the sink) has none still
        "history": {"$size": len(history)} if history is not None else {"$exists": False},
    }
    if version == 1:
        match["$or"] = [{"decision_version": 1}, {"decision_version": {"$exists": False}}]
    else:
        match["decision_version"] = version
    return match


def pending_entries(case: dict) -> list[dict]:
    """The case's entries not yet published, oldest first."""
    return [e for e in case.get("outbox") or [] if e.get("sent_at") is None]


def sent_update(event_id: str, at: datetime) -> tuple[dict, dict]:
    """(filter extra, update) marking one entry sent, once: a second relay
    that published it too finds it already marked and changes nothing."""
    match = {"outbox": {"$elemMatch": {"event_id": event_id, "sent_at": None}}}
    return match, {"$set": {"outbox.$.sent_at": at}, "$inc": {PENDING: -1}}


def notify_redispatch(update: dict, case: dict, at: datetime) -> None:
    """A re-dispatch the citizen sees (to another unit: the history's public line)
    is also sent to the reporter; a correction within the same unit is not."""
    public = update["$push"]["history"].get("public_note")
    if public:
        status = update["$set"].get("status", case["status"])
        add_notification(update, case, "redispatch", status, public, at)
