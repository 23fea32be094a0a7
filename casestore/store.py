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

from casestore.audit import CaseAudit
from casestore.identities import CaseIdentities
from casestore.outbox import PENDING, notify_redispatch, unchanged
from casestore.statistics import CaseStatistics
from casestore.transitions import CaseTransitions, Stale  # noqa: F401 - Stale: re-exported
from casestore.users import User
from casestore.workflow import (
    BUKAN_WEWENANG,
    MENUNGGU_VERIFIKASI,
    OPEN_STATUSES,
    REDISPATCHABLE,
    TERDISPOSISI,
    deadline_for,
    dispatch_update,
)
from core.privacy import mask_identifiers

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


class CaseStore(CaseTransitions, CaseAudit, CaseStatistics, CaseIdentities):
    """The cases collection: routed events in (``upsert_routed``, ``apply_decision``),
    corrections, scoping to a user; by job, in their own modules: the workflow's
    writes (``casestore/transitions.py``), the audit trail (``casestore/audit.py``),
    the dashboard (``casestore/statistics.py``), sealed identities
    (``casestore/identities.py``)."""

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
            notify_redispatch(update, case, event["routed_at"])
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


def _refused(message: str | None, code: int | None) -> str:
    return f"the case store refused the case: {message}" + (f" (code {code})" if code else "")
