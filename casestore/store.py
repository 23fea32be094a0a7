"""The case store: one MongoDB document per complaint, ``_id`` = complaint id.

Writes are idempotent so at-least-once delivery never duplicates a case: a
routed event is upserted with ``$setOnInsert``, so a redelivered or replayed
event finds its case already there and changes nothing (an admin's later
override is never clobbered by a replay). Bulk writes only: a single insert is
an order of magnitude slower on every MongoDB-protocol server we measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bson.errors import InvalidDocument
from pymongo import ASCENDING, DESCENDING, MongoClient, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

from casestore.merge import follow_change, follow_primary
from casestore.outbox import PENDING, add_notification, pending_entries, sent_update, unchanged
from casestore.users import User
from casestore.workflow import (
    BUKAN_WEWENANG,
    MENUNGGU_VERIFIKASI,
    OPEN_STATUSES,
    REDISPATCHABLE,
    TERDISPOSISI,
    TransitionError,
    deadline_for,
    dispatch_update,
    transition_update,
)
from core.privacy import Sealer, mask_identifiers
from core.units import unit_above

CASE_SCHEMA_VERSION = 1
CORRECTION_FIELDS = (
    "complaint_id",
    "by",
    "reason",
    "before",
    "after",
    "model_agency",
    "model_topic",
    "at",
)
DUPLICATE_KEY = 11000
ID_CONFLICT = "id_conflict"  # the dead letter's reason when a used id comes with new content
# write errors that say "try again" (a stepping-down primary, a shutdown, a
# conflict), not "this document cannot be stored": the batch is retried
RETRYABLE_WRITE_CODES = frozenset(
    {6, 7, 50, 64, 89, 91, 112, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436}
)
# Routing status -> SP4N-LAPOR! case status: an automatically routed complaint
# is forwarded (disposed) to its unit; the rest wait for verification.
STATUS_FROM_ROUTING = {"routed": "terdisposisi", "menunggu_verifikasi": "menunggu_verifikasi"}

# Each serves a console query: a unit's queue (status, unit, deadline), a
# regional coordinator's province or regency scope (optionally by tier), the
# newest-first lists. Each also costs every insert (100-200 us a document on
# the embedded server, measured), so no more than the queries need.
INDEXES = [
    [("status", ASCENDING), ("decision.unit_id", ASCENDING), ("deadline_at", ASCENDING)],
    [("decision.province_code", ASCENDING), ("decision.tier", ASCENDING)],
    [("decision.regency_code", ASCENDING)],
    [("created_at", DESCENDING)],
    # the related-case linker's block: a topic in a regency, newest first
    [
        ("decision.topic", ASCENDING),
        ("decision.regency_code", ASCENDING),
        ("created_at", DESCENDING),
    ],
]


# Every write (cases, audit, accounts, sessions) is acknowledged only once a
# majority of a replica set has it: a case or an audit record acknowledged by a
# primary that then fails over must not vanish. A write the network cut is
# retried once (retryable writes). On a standalone server (the embedded store
# runs `--standalone`) "majority" is that one server: accepted, the same as 1.
# WRITE_TIMEOUT_MS bounds the wait for the majority; a timed-out batch is
# retried by the sink and its idempotent insert stores nothing twice.
WRITE_CONCERN = "majority"
WRITE_TIMEOUT_MS = 10_000


def connect(uri: str, db: str, timeout_ms: int = 5000) -> Database:
    client: MongoClient = MongoClient(
        uri,
        serverSelectionTimeoutMS=timeout_ms,
        tz_aware=True,
        w=WRITE_CONCERN,
        wTimeoutMS=WRITE_TIMEOUT_MS,
        retryWrites=True,
    )
    return client[db]


def case_from_routed(event: dict) -> dict:
    """A routed event (as a JSON-ready dict) -> the case document first stored.

    The text and the region hint are masked again here: whatever published the
    event, what units see holds no identifier the masker knows."""
    complaint, decision = event["complaint"], event["decision"]
    status = STATUS_FROM_ROUTING[decision["status"]]
    routed_at = event["routed_at"]
    hint = complaint.get("region_hint")
    version = event.get("decision_version") or 1
    by = event.get("decided_by") or "sistem"
    note = "; ".join(decision.get("reasons", []))
    return {
        "_id": complaint["complaint_id"],
        "schema_version": CASE_SCHEMA_VERSION,
        "text": mask_identifiers(complaint["text"]),
        "channel": complaint["channel"],
        "privacy": complaint["privacy"],
        "region_hint": mask_identifiers(hint) if hint else hint,
        "reporter_sealed": complaint.get("reporter_sealed"),
        "submitted_at": complaint["submitted_at"],
        "created_at": routed_at,
        "prediction": event["prediction"],
        "decision": decision,
        "decision_version": version,
        "decided_by": by,
        "status": status,
        "status_since": routed_at,
        "deadline_at": deadline_for(status, routed_at),
        "escalated": False,
        "escalated_to": None,
        "overridden": version > 1,
        "auto_routed": status == TERDISPOSISI and version == 1,
        "access_token_hash": complaint.get("access_token_hash"),
        "content_sha256": complaint.get("content_sha256"),
        "lat": complaint.get("lat"),
        "long": complaint.get("long"),
        "requested_topic": complaint.get("requested_topic"),
        "photo_ids": complaint.get("photo_ids") or [],
        "history": [
            {
                "status": status,
                "at": routed_at,
                "by": by,
                "note": note if version == 1 else f"{note}; {event.get('reason') or ''}",
                "version": version,
            }
        ],
        "overrides": [],
    }


@dataclass
class Stored:
    """What ``upsert_routed`` did: cases new in the store, and the events that can
    never be stored (index in the batch -> why), for the dead-letter topic."""

    new: int = 0
    rejected: dict[int, str] = field(default_factory=dict)
    redispatched: int = 0  # stored cases a newer decision version was applied to


class CaseStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.cases: Collection = db["cases"]

    def ensure_indexes(self) -> None:
        """Idempotent: creating an existing index is a no-op."""
        for keys in INDEXES:
            self.cases.create_index(keys)
        # the outbox relay's pending cases (casestore/outbox.py); sparse, so the
        # cases that never had a notification (most, on arrival) cost it nothing
        self.cases.create_index([(PENDING, ASCENDING)], sparse=True)

    def upsert_routed(self, events: Sequence[dict]) -> Stored:
        """Store routed events as cases, each on its own: an event that cannot be
        made a case, or that the store refuses, is reported in ``rejected`` and the
        others are stored (issue 15: one bad event stopped every worker).

        An unordered bulk insert where a duplicate key means "already stored":
        the first write wins, redeliveries change nothing, and it is an order of
        magnitude faster than per-document upserts on the servers we measured.
        A transient failure raises (PyMongoError): the caller retries the batch.
        """
        stored_at = datetime.now(UTC)
        result = Stored()
        docs, positions = [], []
        for i, event in enumerate(events):
            try:
                docs.append({**case_from_routed(event), "stored_at": stored_at})
            except Exception as exc:  # noqa: BLE001 - any event that is no case is reported
                result.rejected[i] = f"cannot be made a case: {type(exc).__name__}: {exc}"
                continue
            positions.append(i)
        if not docs:
            return result
        duplicates: list[int] = []  # positions in docs of ids already stored
        try:
            result.new = len(self.cases.insert_many(docs, ordered=False).inserted_ids)
        except BulkWriteError as exc:
            details = exc.details
            if details.get("writeConcernErrors"):
                raise
            for error in details.get("writeErrors", []):
                code = error.get("code")
                if code == DUPLICATE_KEY:
                    duplicates.append(error["index"])
                    continue
                if code in RETRYABLE_WRITE_CODES:
                    raise
                result.rejected[positions[error["index"]]] = _refused(error.get("errmsg"), code)
            result.new = details.get("nInserted", 0)
        except InvalidDocument:  # a document the driver cannot encode: find which, one by one
            result.new = self._insert_each(docs, positions, result.rejected, duplicates)
        self._reject_conflicts(
            [docs[d] for d in duplicates], [positions[d] for d in duplicates], result.rejected
        )
        newer = [
            events[positions[d]]
            for d in duplicates
            if positions[d] not in result.rejected
            and (events[positions[d]].get("decision_version") or 1) > 1
        ]
        result.redispatched = sum(self.apply_decision(event) for event in newer)
        return result

    def apply_decision(self, event: dict, attempts: int = 5) -> bool:
        """A re-dispatch's routed event on a stored case: applied only when its
        ``decision_version`` is newer than the case's, so a replayed or stale event
        never rolls a newer decision back, and one already applied (the console
        writes its own re-dispatch first) changes nothing. Each write matches the
        version and status it read (compare-and-set); a lost race reads again."""
        case_id, version = event["complaint"]["complaint_id"], event["decision_version"]
        for _ in range(attempts):
            case = self.cases.find_one(
                {"_id": case_id}, {"decision": 1, "decision_version": 1, "status": 1, "history": 1}
            )
            if case is None or case.get("decision_version", 1) >= version:
                return False
            if case["status"] not in REDISPATCHABLE:
                return False  # closed meanwhile: the console refuses this too
            update = dispatch_update(
                case,
                event["decision"],
                version,
                event.get("decided_by") or "sistem",
                event.get("reason") or "",
                event["routed_at"],
            )
            update["$set"]["decided_by"] = event.get("decided_by") or "sistem"
            _notify_redispatch(update, case, event["routed_at"])
            if self.cases.update_one(unchanged(case), update).modified_count:
                return True
        return False

    def _reject_conflicts(self, docs: list[dict], positions: list[int], rejected: dict) -> None:
        """A duplicate id is a replay when the stored case has the same content
        fingerprint (nothing to do) and an id conflict when it has another: that
        event is dead-lettered, never merged and never silently dropped (issue 15).
        A case stored before fingerprints existed cannot tell, and counts as a replay."""
        if not docs:
            return
        stored = self.content_of([d["_id"] for d in docs])
        for doc, i in zip(docs, positions):
            before, now = stored.get(doc["_id"]), doc.get("content_sha256")
            if before and now and before != now:
                rejected[i] = (
                    f"{ID_CONFLICT}: id {doc['_id']} is already a case with other content "
                    "(same id, same content is a replay; give the new complaint a new id)"
                )

    def _insert_each(
        self, docs: list[dict], positions: list[int], rejected: dict, duplicates: list[int]
    ) -> int:
        new = 0
        for n, (doc, i) in enumerate(zip(docs, positions)):
            try:
                self.cases.insert_one(doc)
                new += 1
            except DuplicateKeyError:
                duplicates.append(n)
            except InvalidDocument as exc:
                rejected[i] = _refused(str(exc), None)
            except WriteError as exc:
                if exc.code in RETRYABLE_WRITE_CODES:
                    raise
                rejected[i] = _refused(str(exc), exc.code)
        return new

    def record_corrections(self, events: Sequence[dict]) -> int:
        """Overridden events (``CaseOverridden`` as dicts) -> the ``corrections``
        collection the training export reads, one document per (case, decision
        version): a replayed event finds its document there and changes nothing.
        Returns how many were new."""
        ops = []
        for event in events:
            version = event.get("decision_version")
            key = f"v{version}" if version else f"t{event['at'].isoformat()}"
            doc = {
                **{k: event.get(k) for k in CORRECTION_FIELDS},
                "decision_version": version or 0,  # older events: before any version
                "text": mask_identifiers(event["text"]),
            }
            ops.append(
                UpdateOne(
                    {"_id": f"{event['complaint_id']}#{key}"}, {"$setOnInsert": doc}, upsert=True
                )
            )
        return upsert_new(self.db["corrections"], ops)

    def content_of(self, ids: Sequence[str]) -> dict[str, str | None]:
        """Stored content fingerprints of these ids (absent ids are left out): what
        intake compares a reused id with before publishing it."""
        found = self.cases.find({"_id": {"$in": list(ids)}}, {"content_sha256": 1})
        return {case["_id"]: case.get("content_sha256") for case in found}

    def reseal_identities(self, sealer: Sealer, batch: int = 500) -> dict[str, int]:
        """Re-seal every stored reporter identity with the sealer's current key.

        Idempotent (a token already sealed with the current key is left alone)
        and safe beside live traffic: each update matches the token it read, so
        it never overwrites a write made since. ``unreadable`` counts tokens no
        key of the ring opens; they are left as they are.
        """
        counts = {"resealed": 0, "current": 0, "unreadable": 0}
        updates: list[UpdateOne] = []

        def flush() -> None:
            if updates:
                counts["resealed"] += self.cases.bulk_write(updates, ordered=False).modified_count
                updates.clear()

        for case in self.cases.find({"reporter_sealed": {"$ne": None}}, {"reporter_sealed": 1}):
            token = case["reporter_sealed"]
            if sealer.is_current(token):
                counts["current"] += 1
                continue
            try:
                fresh = sealer.reseal(token)
            except ValueError:
                counts["unreadable"] += 1
                continue
            updates.append(
                UpdateOne(
                    {"_id": case["_id"], "reporter_sealed": token},
                    {"$set": {"reporter_sealed": fresh}},
                )
            )
            if len(updates) >= batch:
                flush()
        flush()
        return counts

    def scoped(self, user: User, query: dict | None = None) -> dict:
        parts = [p for p in (user.case_filter(), query or {}) if p]
        return {"$and": parts} if len(parts) > 1 else (parts[0] if parts else {})

    def find_for(self, user: User, case_id: str) -> dict | None:
        """A case only if this user may see it: a guessed URL finds nothing."""
        return self.cases.find_one(self.scoped(user, {"_id": case_id}))

    def list_for(
        self, user: User, query: dict | None = None, limit: int = 50, skip: int = 0
    ) -> list[dict]:
        # newest first; the id breaks ties so that pages neither repeat nor skip a case
        cursor = self.cases.find(self.scoped(user, query)).sort(
            [("created_at", DESCENDING), ("_id", ASCENDING)]
        )
        return list(cursor.skip(skip).limit(limit))

    def count_for(self, user: User, query: dict | None = None) -> int:
        return self.cases.count_documents(self.scoped(user, query))

    def triage_query(self, now: datetime | None = None, queue: str = "") -> dict:
        """The triage queue, or one of its parts (``TRIAGE_QUEUES``)."""
        now = now or datetime.now(UTC)
        parts = {
            "verifikasi": {"status": MENUNGGU_VERIFIKASI},
            "dialihkan": {"status": BUKAN_WEWENANG},
            "lewat": {"status": {"$in": sorted(OPEN_STATUSES)}, "deadline_at": {"$lt": now}},
        }
        own = {"merged_into": None}  # a merged case waits on its primary (casestore/merge.py)
        if queue in parts:
            return {**parts[queue], **own}
        return {"$or": list(parts.values()), **own}

    def ask(self, user: User, case_id: str, question: str, now: datetime | None = None) -> None:
        """A request to the reporter for more information (``question`` masked by
        the caller): recorded in the history, shown to the citizen and sent to the
        reporter (outbox); no status change. Stale when the case changed meanwhile."""
        now = now or datetime.now(UTC)
        case = self.find_for(user, case_id)
        if case is None:
            raise LookupError(case_id)
        public = f"unit meminta informasi tambahan: {question}"
        entry = {
            "status": case["status"],
            "at": now,
            "by": user.username,
            "note": f"minta informasi: {question}",
            "public_note": public,
        }
        update = add_notification(
            {"$push": {"history": entry}}, case, "info_request", case["status"], public, now
        )
        self._change(user, case, update)
        self.audit("info_request", case_id, user.username, question, {}, {}, now)

    def change_status(
        self, user: User, case_id: str, to: str, why: str, now: datetime | None = None
    ) -> dict:
        """A status change with its notification to the reporter, compare-and-set:
        Stale when the case changed since it was read."""
        now = now or datetime.now(UTC)
        case = self.find_for(user, case_id)
        if case is None:
            raise LookupError(case_id)
        if case.get("merged_into"):  # it follows its primary (casestore/merge.py)
            raise TransitionError(
                f"Aduan ini digabung ke {case['merged_into']}: ubah status pada aduan utama, "
                "atau pisahkan dulu."
            )
        update = transition_update(case, to, user.username, why, now)
        self._change(user, case, add_notification(update, case, "status", to, why, now))
        self.audit(
            "status", case_id, user.username, why, {"status": case["status"]}, {"status": to}, now
        )
        after = self.cases.find_one({"_id": case_id})
        follow_primary(self.cases, after, update["$push"]["history"])
        return after

    def _change(self, user: User, case: dict, update: dict) -> None:
        """Apply ``update`` only to the case exactly as read (``outbox.unchanged``)."""
        if not self.cases.update_one(self.scoped(user, unchanged(case)), update).modified_count:
            raise Stale(case["_id"])

    def redispatch(
        self,
        user: User,
        case: dict,
        decision: dict,
        reason: str,
        now: datetime | None = None,
    ) -> tuple[int, dict]:
        """Give the case ``decision`` as its next decision version (``dispatch_update``);
        returns (the new version, the decision's fields before) for the events.
        Compare-and-set on the version and status the console showed: Stale when
        someone changed the case meanwhile (two admins re-dispatching at once)."""
        if not reason.strip():
            raise ValueError("Alasan wajib diisi.")
        now = now or datetime.now(UTC)
        version = case.get("decision_version", 1) + 1
        before = {k: case["decision"].get(k) for k in decision}
        update = dispatch_update(case, decision, version, user.username, reason, now)
        update["$set"]["decided_by"] = user.username
        update["$push"]["overrides"] = {
            "at": now,
            "by": user.username,
            "reason": reason.strip(),
            "before": before,
            "after": decision,
            "version": version,
        }
        _notify_redispatch(update, case, now)
        self._change(user, case, update)
        self.audit("override", case["_id"], user.username, reason, before, decision, now)
        return version, before

    def apply_change(self, case: dict, update: dict, match: dict | None = None) -> dict:
        """Apply one change built from ``case`` as read (an answer, a citizen's reply,
        confirmation, dispute or rating, an automatic closure: one update dict each,
        with its notification when the reporter must hear of it) with a
        compare-and-set on the case as read (``outbox.unchanged``), plus ``match``;
        Stale when nothing matched (someone changed the case meanwhile). The case after."""
        query = {**unchanged(case), **(match or {})}
        if not self.cases.update_one(query, update).matched_count:
            raise Stale(case["_id"])
        after = self.cases.find_one({"_id": case["_id"]})
        if after.get("merged"):  # merged cases follow (casestore/merge.py)
            follow_change(self.cases, case, after, update)
        return after

    def escalate_overdue(self, now: datetime | None = None) -> int:
        """Flag overdue open cases once, record it, and show them to the tier above."""
        now = now or datetime.now(UTC)
        overdue = self.cases.find(
            {
                "status": {"$in": sorted(OPEN_STATUSES)},
                "deadline_at": {"$lt": now},
                "escalated": {"$ne": True},
            }
        )
        n = 0
        for case in overdue:
            # a unit's "not our authority" waits for the hub, not for the tier above
            above = unit_above(case["decision"]) if case["status"] != BUKAN_WEWENANG else None
            note = f"lewat tenggat; dieskalasi ke {above or 'admin nasional'}"
            update = add_notification(
                {
                    "$set": {"escalated": True, "escalated_to": above, "escalated_at": now},
                    "$push": {
                        "history": {
                            "status": case["status"],
                            "at": now,
                            "by": "sistem",
                            "note": note,
                        }
                    },
                },
                case,
                "escalation",
                case["status"],
                "Batas waktu terlewati; aduan diteruskan ke "
                f"{'unit di atasnya' if above else 'admin nasional'} untuk dipantau.",
                now,
            )
            # compare-and-set: another worker got there first, or the case changed
            # since it was read (the next round judges it again)
            if not self.cases.update_one(unchanged(case), update).modified_count:
                continue
            self.audit("escalation", case["_id"], "sistem", note, {}, {"escalated_to": above}, now)
            n += 1
        return n

    def pending_notifications(self, limit: int = 100) -> list[dict]:
        """Cases with unsent outbox entries (``casestore/outbox.py``): each with its
        pending entries under ``outbox`` and what the relay puts in the event."""
        found = self.cases.find(
            {PENDING: {"$gt": 0}}, {"outbox": 1, "privacy": 1, "reporter_sealed": 1}
        ).limit(limit)
        return [{**case, "outbox": pending_entries(case)} for case in found]

    def mark_notification_sent(self, case_id: str, event_id: str, at: datetime) -> bool:
        """Mark one outbox entry published; False when it already was (another relay)."""
        match, update = sent_update(event_id, at)
        return bool(self.cases.update_one({"_id": case_id, **match}, update).modified_count)

    def audit(
        self,
        kind: str,
        case_id: str,
        by: str,
        reason: str,
        before: dict,
        after: dict,
        now: datetime | None = None,
    ) -> None:
        self.db["audit"].insert_one(
            {
                "kind": kind,
                "case_id": case_id,
                "by": by,
                "reason": reason,
                "before": before,
                "after": after,
                "at": now or datetime.now(UTC),
            }
        )

    def audit_for(self, case_id: str) -> list[dict]:
        return list(self.db["audit"].find({"case_id": case_id}).sort("at", ASCENDING))

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

    def count(self, query: dict | None = None) -> int:
        return self.cases.count_documents(query or {})


def upsert_new(collection: Collection, ops: list[UpdateOne]) -> int:
    """Run ``$setOnInsert`` upserts; how many documents were new. Two writers
    upserting one id at once is a duplicate key for the loser: already recorded."""
    if not ops:
        return 0
    try:
        return collection.bulk_write(ops, ordered=False).upserted_count
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if exc.details.get("writeConcernErrors") or any(
            e.get("code") != DUPLICATE_KEY for e in errors
        ):
            raise
        return exc.details.get("nUpserted", 0)


class Stale(Exception):
    """The case changed since it was read (another admin, another event)."""


def _notify_redispatch(update: dict, case: dict, at: datetime) -> None:
    """A re-dispatch the citizen sees (to another unit: the history's public line)
    is also sent to the reporter; a correction within the same unit is not."""
    public = update["$push"]["history"].get("public_note")
    if public:
        status = update["$set"].get("status", case["status"])
        add_notification(update, case, "redispatch", status, public, at)


def _refused(message: str | None, code: int | None) -> str:
    return f"the case store refused the case: {message}" + (f" (code {code})" if code else "")
