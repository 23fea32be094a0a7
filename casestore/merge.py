"""Merging related complaints: one incident, one answer, every citizen told.

An admin merges cases linked as related (``casestore/related.py``), or any other
case it can see given by its number (a duplicate the linker did not find), into a
*primary*: each merged case gets ``merged_into`` = the primary's id and from then
on follows it: the primary's status now, and every later status change of the
primary (with its note: the unit's answer) is written to the merged cases too, so
each citizen reads the answer on their own tracking page. A merged case carries
no deadline of its own (the primary's is the one that runs), leaves the triage
queues, and its status cannot be changed by itself. "Pisahkan" (split) ends the
merge: the case keeps the status it has and runs on its own again.

Safe by construction: only admins who may route (national admins, regional
coordinators) merge, only cases they can see (a number outside their scope is
refused like an unknown one), one level deep (a primary is never merged into
another, a merged case is never a primary). Every merge and split is audited on
each case.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pymongo.collection import Collection

from casestore.outbox import add_notification
from casestore.users import User
from casestore.workflow import deadline_for

if TYPE_CHECKING:
    from casestore.store import CaseStore

FOLLOW_NOTE = (
    "Aduan Anda digabung dengan aduan lain tentang kejadian yang sama; tindak lanjut "
    "dan jawaban atas aduan itu berlaku juga untuk aduan ini."
)
SPLIT_NOTE = "Aduan Anda kembali ditangani tersendiri (tidak lagi digabung)."


class MergeError(ValueError):
    """A merge or split that cannot be done; the message (Indonesian) says why."""


def _unmerged(store: CaseStore, user: User, case_id: str, what: str) -> dict:
    case = store.find_for(user, case_id)
    if case is None:
        raise LookupError(case_id)
    if case.get("merged_into"):
        raise MergeError(f"Aduan {what} {case_id} sudah digabung ke {case['merged_into']}.")
    return case


def merge(
    store: CaseStore,
    user: User,
    primary_id: str,
    others: Sequence[str],
    reason: str,
    now: datetime | None = None,
) -> list[str]:
    """Merge ``others`` into ``primary_id``; returns the ids merged."""
    if not user.may_redispatch:
        raise PermissionError("Hanya admin yang dapat menggabungkan aduan.")
    if not reason.strip():
        raise MergeError("Alasan penggabungan wajib diisi.")
    now = now or datetime.now(UTC)
    primary = _unmerged(store, user, primary_id, "utama")
    chosen = [i for i in dict.fromkeys(others) if i != primary_id]
    if not chosen:
        raise MergeError("Pilih aduan terkait atau tulis nomor aduan yang akan digabung.")
    for case_id in chosen:
        try:
            _unmerged(store, user, case_id, "lain")
        except LookupError:
            raise MergeError(f"Aduan {case_id} tidak ditemukan di cakupan Anda.") from None
        if store.cases.count_documents({"merged_into": case_id}, limit=1):
            raise MergeError(f"Aduan {case_id} adalah aduan utama gabungan lain.")
    entry = {
        "status": primary["status"],
        "at": now,
        "by": user.username,
        "note": f"digabung ke aduan {primary_id}: {reason.strip()}",
        "public_note": FOLLOW_NOTE,
    }
    for case_id in chosen:
        before = store.cases.find_one({"_id": case_id}, {"status": 1, "deadline_at": 1})
        store.cases.update_one(
            store.scoped(user, {"_id": case_id, "merged_into": None}),
            {
                "$set": {
                    "merged_into": primary_id,
                    "status": primary["status"],
                    "status_since": now,
                    "deadline_at": None,
                    "escalated": False,
                },
                "$push": {"history": {**entry, "status": primary["status"]}},
            },
        )
        store.audit(
            "merge",
            case_id,
            user.username,
            reason.strip(),
            {"status": before["status"]},
            {"merged_into": primary_id, "status": primary["status"]},
            now,
        )
    store.cases.update_one({"_id": primary_id}, {"$addToSet": {"merged": {"$each": chosen}}})
    store.audit("merge", primary_id, user.username, reason.strip(), {}, {"merged": chosen}, now)
    return chosen


def split(
    store: CaseStore, user: User, case_id: str, reason: str, now: datetime | None = None
) -> str:
    """End a merge ("Pisahkan"); returns the primary it followed."""
    if not user.may_redispatch:
        raise PermissionError("Hanya admin yang dapat memisahkan aduan.")
    if not reason.strip():
        raise MergeError("Alasan pemisahan wajib diisi.")
    now = now or datetime.now(UTC)
    case = store.find_for(user, case_id)
    if case is None:
        raise LookupError(case_id)
    primary_id = case.get("merged_into")
    if not primary_id:
        raise MergeError(f"Aduan {case_id} tidak sedang digabung.")
    store.cases.update_one(
        store.scoped(user, {"_id": case_id, "merged_into": primary_id}),
        {
            "$unset": {"merged_into": ""},
            "$set": {"status_since": now, "deadline_at": deadline_for(case["status"], now)},
            "$push": {
                "history": {
                    "status": case["status"],
                    "at": now,
                    "by": user.username,
                    "note": f"dipisahkan dari aduan {primary_id}: {reason.strip()}",
                    "public_note": SPLIT_NOTE,
                }
            },
        },
    )
    store.cases.update_one({"_id": primary_id}, {"$pull": {"merged": case_id}})
    for which in (case_id, primary_id):
        store.audit(
            "split", which, user.username, reason.strip(), {"merged_into": primary_id}, {}, now
        )
    return primary_id


def follow_primary(cases: Collection, primary: dict, entry: dict, also: dict | None = None) -> int:
    """Write the primary's new status and its history ``entry`` (the unit's note,
    its answer) to every case merged into it, each with its own notification for
    its reporter (``casestore/outbox.py``), and the fields ``also`` sets; returns how many."""
    if not primary.get("merged"):
        return 0
    note = f"mengikuti aduan {primary['_id']}: {entry.get('note') or ''}"
    changed = 0
    for merged in cases.find({"merged_into": primary["_id"]}, {"decision": 1}):
        update = {
            "$set": {
                **(also or {}),
                "status": primary["status"],
                "status_since": primary["status_since"],
            },
            "$push": {"history": {**entry, "note": note}},
        }
        told = entry.get("public_note") or f"status: {primary['status']}"
        at = entry.get("at") or datetime.now(UTC)
        add_notification(update, merged, "status", primary["status"], told, at)
        changed += cases.update_one({"_id": merged["_id"]}, update).modified_count
    return changed


def follow_change(cases: Collection, before: dict, after: dict, update: dict) -> int:
    """A change of the primary through ``CaseStore.apply_change``: the unit's answer
    is written to the merged cases with its note (each citizen reads it); anything
    else (a citizen's reply, confirmation, rating, an automatic closure) only moves
    their status, never copying what another citizen wrote."""
    pushed = update.get("$push", {})
    if "answers" in pushed and "history" in pushed:
        return follow_primary(cases, after, pushed["history"])
    if after["status"] == before["status"]:
        return 0
    entry = {
        "status": after["status"],
        "at": after.get("status_since"),
        "by": "penggabungan",
        "note": "status mengikuti aduan utama",
        "public_note": "status mengikuti aduan yang digabung dengan aduan Anda",
    }
    return follow_primary(cases, after, entry)


def follow_redispatch(cases: Collection, after: dict, decision: dict, moved: bool) -> int:
    """A re-dispatched primary takes its merged cases along: they get its routing
    decision (so the new unit's scope, not the old one's, holds them) and, when the
    primary was ``moved`` (dialihkan: ``dispatch_update`` set a new status), its
    status and the "dialihkan" line for their citizens. A corrected topic on the
    same unit changes their decision only."""
    if not after.get("merged"):
        return 0
    routed = {f"decision.{k}": v for k, v in decision.items()}
    if not moved:
        return cases.update_many({"merged_into": after["_id"]}, {"$set": routed}).modified_count
    return follow_primary(cases, after, after["history"][-1], routed)
