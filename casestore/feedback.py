"""The citizen's side of a case, with the tracking id (+ secret token for rahasia).

The reporter may add information or reply while the case is open; once the unit
has answered (``ditindaklanjuti``) confirm it (-> ``selesai``) or dispute it with
a reason (-> ``dibuka_kembali``: back to the same unit with a fresh follow-up
deadline, the case's ``reopened`` count +1, counted against the unit); rate the
handling 1-5 with an optional comment, once, when the case is ``selesai``.
Without a reply an answered case closes itself (by "sistem") at ``auto_close_at``
(:data:`casestore.workflow.AUTO_CLOSE_DAYS` working days after the answer): the
worker's timer calls :func:`auto_close_due`.

Each change is ONE update dict built by one function here from the case as read,
applied by ``CaseStore.apply_change`` with a compare-and-set on the case as read.
The reporter's own actions notify nobody (the page answers at once); the
automatic closure adds its notification to the update (``casestore/outbox.py``).
What the citizen writes is masked like complaint text. Every refusal says why in
Indonesian.
"""

from __future__ import annotations

from datetime import datetime

from casestore.outbox import add_notification
from casestore.store import CaseStore, Stale
from casestore.workflow import (
    AUTO_CLOSE_DAYS,
    CLOSED_STATUSES,
    DIBUKA_KEMBALI,
    DITINDAKLANJUTI,
    SELESAI,
    STATUS_LABELS,
    SYSTEM,
    transition_update,
)
from core.privacy import mask_identifiers

CITIZEN = "pelapor"  # the history's "by" for what the reporter did
REPLY_MAX_CHARS = 5_000
REASON_MAX_CHARS = 2_000
COMMENT_MAX_CHARS = 1_000
SCORES = range(1, 6)
NO_REPLY_AFTER_CLOSE = CLOSED_STATUSES
AUTO_CLOSE_NOTE = (
    f"ditutup otomatis: tidak ada tanggapan pelapor dalam {AUTO_CLOSE_DAYS} hari kerja "
    "setelah tindak lanjut"
)


class Refused(ValueError):
    """A citizen's action the case does not allow now (``status`` 409) or a bad value
    (422); the message says why, in Indonesian."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def clean(text: str | None, what: str, limit: int, required: bool = True) -> str:
    """Trimmed, masked, within ``limit``; '' when optional and empty."""
    text = (text or "").strip()
    if not any(ch.isalnum() for ch in text):
        if required:
            raise Refused(f"{what} wajib diisi (huruf atau angka).", 422)
        return ""
    if len(text) > limit:
        raise Refused(f"{what} paling banyak {limit} karakter.", 422)
    return mask_identifiers(text)


def score_of(value: object) -> int:
    """1-5, from a form's string or the API's number."""
    text = str(value if value is not None else "").strip()
    if text not in {str(s) for s in SCORES}:
        raise Refused("Nilai harus bilangan bulat 1 sampai 5.", 422)
    return int(text)


def _state(case: dict, allowed: set[str] | frozenset[str], what: str) -> None:
    if case["status"] not in allowed:
        label = STATUS_LABELS.get(case["status"], case["status"])
        raise Refused(f"{what} tidak dapat dilakukan: status aduan {label}.")


def _public(update: dict, public_note: str) -> dict:
    update["$push"]["history"]["public_note"] = public_note
    return update


def reply_update(case: dict, text: str, now: datetime) -> dict:
    """Information or a reply from the reporter (``text`` cleaned): kept on the case,
    shown to the unit; no status change."""
    if case["status"] in NO_REPLY_AFTER_CLOSE:
        label = STATUS_LABELS.get(case["status"], case["status"])
        raise Refused(f"Aduan berstatus {label} sudah ditutup; tanggapan tidak dapat dikirim.")
    entry = {
        "status": case["status"],
        "at": now,
        "by": CITIZEN,
        "note": f"pelapor menambahkan informasi: {text}",
        "public_note": f"Anda menambahkan informasi: {text}",
    }
    return {"$push": {"history": entry, "replies": {"text": text, "at": now}}}


def confirm_update(case: dict, now: datetime) -> dict:
    """The reporter accepts the unit's answer: the case is done."""
    _state(case, {DITINDAKLANJUTI}, "Konfirmasi selesai")
    update = transition_update(case, SELESAI, CITIZEN, "pelapor menyatakan aduan selesai", now)
    update["$set"]["closed_by"] = CITIZEN
    return _public(update, "Anda menyatakan tindak lanjut sudah sesuai; aduan selesai.")


def dispute_update(case: dict, reason: str, now: datetime) -> dict:
    """The reporter disputes the answer (``reason`` cleaned): back to the same unit."""
    _state(case, {DITINDAKLANJUTI}, "Sanggahan")
    update = transition_update(case, DIBUKA_KEMBALI, CITIZEN, f"pelapor menyanggah: {reason}", now)
    return _public(update, f"Anda menyanggah tindak lanjut: {reason}. Aduan dibuka kembali.")


def auto_close_update(case: dict, now: datetime) -> dict:
    """No reply from the reporter in time: the system closes the case."""
    _state(case, {DITINDAKLANJUTI}, "Penutupan otomatis")
    update = transition_update(case, SELESAI, SYSTEM, AUTO_CLOSE_NOTE, now)
    update["$set"]["closed_by"] = SYSTEM
    note = f"Aduan {AUTO_CLOSE_NOTE}. Beri nilai penanganannya di halaman lacak."
    return add_notification(
        _public(update, f"Aduan {AUTO_CLOSE_NOTE}."), case, "status", SELESAI, note, now
    )


def rating_update(case: dict, score: int, comment: str, now: datetime) -> dict:
    """The reporter's rating of the handling (``comment`` cleaned), once, when closed."""
    if case.get("rating"):
        raise Refused("Aduan ini sudah dinilai; penilaian hanya sekali.")
    _state(case, {SELESAI}, "Penilaian")
    return {"$set": {"rating": {"score": score, "comment": comment or None, "at": now}}}


# the rating is written once: its compare-and-set also matches "not rated yet"
NOT_RATED = {"rating": None}


def apply(store: CaseStore, case: dict, kind: str, update: dict, now: datetime) -> dict:
    """Apply a citizen's change (compare-and-set) and audit it; the case after."""
    try:
        after = store.apply_change(case, update, NOT_RATED if kind == "rating" else None)
    except Stale:
        raise Refused(
            "Aduan ini baru saja berubah (atau sudah dinilai); muat ulang lalu coba lagi."
        ) from None
    store.audit(
        f"citizen_{kind}",
        case["_id"],
        CITIZEN,
        kind,
        {"status": case["status"]},
        {"status": after["status"]},
        now,
    )
    return after


def auto_close_due(store: CaseStore, now: datetime, limit: int = 1000) -> int:
    """Close every answered case whose ``auto_close_at`` has passed; idempotent (the
    compare-and-set lets one worker of many close each case)."""
    due = store.cases.find(
        {"status": DITINDAKLANJUTI, "auto_close_at": {"$lt": now}},
        # what the compare-and-set (outbox.unchanged) and the notification read
        {
            "status": 1,
            "answered_at": 1,
            "deadline_at": 1,
            "history": 1,
            "decision": 1,
            "decision_version": 1,
        },
    ).limit(limit)
    closed = 0
    for case in due:
        try:
            store.apply_change(case, auto_close_update(case, now))
        except Stale:  # another worker, or the reporter, got there first
            continue
        store.audit(
            "auto_close",
            case["_id"],
            SYSTEM,
            AUTO_CLOSE_NOTE,
            {"status": DITINDAKLANJUTI},
            {"status": SELESAI},
            now,
        )
        closed += 1
    return closed


ACTIONS = ("reply", "confirm", "dispute", "rating")


def act(store: CaseStore, case: dict, action: str, fields: dict, now: datetime) -> dict:
    """One citizen action from the API or the tracking page, with the same checks:
    ``fields`` holds ``text`` (reply), ``reason`` (dispute), ``score`` and
    ``comment`` (rating). The case after; Refused with the reason otherwise."""
    if action == "reply":
        update = reply_update(case, clean(fields.get("text"), "Tanggapan", REPLY_MAX_CHARS), now)
    elif action == "confirm":
        update = confirm_update(case, now)
    elif action == "dispute":
        reason = clean(fields.get("reason"), "Alasan sanggahan", REASON_MAX_CHARS)
        update = dispute_update(case, reason, now)
    elif action == "rating":
        score = score_of(fields.get("score"))
        comment = clean(fields.get("comment"), "Komentar", COMMENT_MAX_CHARS, required=False)
        update = rating_update(case, score, comment, now)
    else:
        raise Refused("Tindakan tidak dikenal.", 404)
    return apply(store, case, action, update, now)
