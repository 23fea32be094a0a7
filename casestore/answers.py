"""The unit's answer (tindak lanjut) and the agencies' response templates.

An answer is what the citizen reads on the tracking page: written by the unit's
liaison (or an admin whose scope holds the case), masked like complaint text
(``core.privacy``), kept on the case (``answers``) with a history line the
citizen sees. The first answer of a stage moves the case to ``ditindaklanjuti``
through :func:`casestore.workflow.transition_update` (answered_at, whether in
time, and the date the case closes itself without a reply); an answer while the
case is already ``ditindaklanjuti`` is added without a status change.

Templates speed the common answers: per agency (the same for every unit of that
agency), written by national admins for the whole country or by a regional
coordinator for its own region; a case is offered those of its agency and
region. They are a starting text: the liaison edits it before sending.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pymongo import ASCENDING
from pymongo.database import Database

from casestore.users import User
from casestore.workflow import (
    DIBUKA_KEMBALI,
    DITINDAKLANJUTI,
    STATUS_LABELS,
    TERDISPOSISI,
    TransitionError,
    transition_update,
)
from core.privacy import mask_identifiers

ANSWER_MAX_CHARS = 5_000
TEMPLATE_TITLE_MAX_CHARS = 120
# the unit answers a case it works on: forwarded to it, reopened by the citizen,
# or already answered (a further answer)
ANSWERABLE = frozenset({TERDISPOSISI, DIBUKA_KEMBALI, DITINDAKLANJUTI})


class AnswerError(ValueError):
    """An answer or template the rules refuse; the message (Indonesian) says why."""


def clean_answer(text: str) -> str:
    """The answer as stored and shown: trimmed, masked, within the limit."""
    text = (text or "").strip()
    if not any(ch.isalnum() for ch in text):
        raise AnswerError("Isi tindak lanjut wajib diisi.")
    if len(text) > ANSWER_MAX_CHARS:
        raise AnswerError(f"Tindak lanjut paling banyak {ANSWER_MAX_CHARS} karakter.")
    return mask_identifiers(text)


def answer_update(
    case: dict, by: str, text: str, now: datetime, template_id: str | None = None
) -> dict:
    """The MongoDB update of one answer (``text`` already cleaned): the first of a
    stage is the status change to ``ditindaklanjuti``; the answer is kept on the
    case and shown to the citizen. Raises AnswerError when the case is not the
    unit's to answer now."""
    if case["status"] not in ANSWERABLE:
        label = STATUS_LABELS.get(case["status"], case["status"])
        raise AnswerError(
            f"Aduan berstatus {label} belum atau tidak lagi di tangan unit; "
            "tindak lanjut tidak dapat dikirim."
        )
    entry = {"status": DITINDAKLANJUTI, "at": now, "by": by, "note": f"tindak lanjut: {text}"}
    if case["status"] == DITINDAKLANJUTI:
        update: dict = {"$push": {"history": entry}}
    else:
        try:
            update = transition_update(case, DITINDAKLANJUTI, by, entry["note"], now)
        except TransitionError as exc:  # the rules changed under us: say so, plainly
            raise AnswerError(str(exc)) from None
        entry = update["$push"]["history"]
    entry["public_note"] = f"jawaban unit: {text}"
    answer = {"text": text, "at": now, "by": by, "template_id": template_id}
    update["$push"]["answers"] = answer
    return update


class AnswerTemplates:
    """The ``answer_templates`` collection: {agency, scope (None = national), title,
    body, updated_by, updated_at}."""

    def __init__(self, db: Database) -> None:
        self.templates = db["answer_templates"]

    def ensure_indexes(self) -> None:
        self.templates.create_index([("agency", ASCENDING), ("title", ASCENDING)])

    def for_case(self, case: dict) -> list[dict]:
        """The templates a case's answer form offers: its agency's, national or of
        its region."""
        decision = case.get("decision") or {}
        if not decision.get("agency"):
            return []
        scopes = [None, decision.get("province_code"), decision.get("regency_code")]
        query = {"agency": decision["agency"], "scope": {"$in": [s for s in scopes if s] + [None]}}
        return list(self.templates.find(query).sort([("title", ASCENDING), ("_id", ASCENDING)]))

    def editable_by(self, user: User) -> list[dict]:
        """What this admin may edit: everything (national) or its region's."""
        if not user.may_redispatch:
            return []
        query = {} if user.is_national else {"scope": user.scope}
        return list(self.templates.find(query).sort([("agency", ASCENDING), ("title", ASCENDING)]))

    def get(self, template_id: str) -> dict | None:
        return self.templates.find_one({"_id": template_id}) if template_id else None

    def save(
        self,
        user: User,
        agency: str,
        title: str,
        body: str,
        template_id: str | None = None,
        now: datetime | None = None,
    ) -> dict:
        """Create or edit a template; the scope is the admin's own (national: None)."""
        if not user.may_redispatch:
            raise PermissionError("Hanya admin yang dapat mengubah templat jawaban.")
        title, body = (title or "").strip(), (body or "").strip()
        if not title or len(title) > TEMPLATE_TITLE_MAX_CHARS:
            raise AnswerError(
                f"Judul templat wajib diisi (paling banyak {TEMPLATE_TITLE_MAX_CHARS} karakter)."
            )
        if not any(ch.isalnum() for ch in body) or len(body) > ANSWER_MAX_CHARS:
            raise AnswerError(
                f"Isi templat wajib diisi (paling banyak {ANSWER_MAX_CHARS} karakter)."
            )
        doc = {
            "agency": agency,
            "scope": None if user.is_national else user.scope,
            "title": title,
            "body": body,
            "updated_by": user.username,
            "updated_at": now or datetime.now(UTC),
        }
        if template_id:
            self._own(user, template_id)
            self.templates.update_one({"_id": template_id}, {"$set": doc})
            return {"_id": template_id, **doc}
        doc["_id"] = uuid.uuid4().hex[:12]
        self.templates.insert_one(doc)
        return doc

    def delete(self, user: User, template_id: str) -> None:
        self._own(user, template_id)
        self.templates.delete_one({"_id": template_id})

    def _own(self, user: User, template_id: str) -> dict:
        """The template, if this admin may change it; LookupError otherwise (the
        same answer as for an unknown id)."""
        found = self.get(template_id)
        if found is None or not user.may_redispatch:
            raise LookupError(template_id)
        if not user.is_national and found.get("scope") != user.scope:
            raise LookupError(template_id)
        return found
