"""The case store: one MongoDB document per complaint, ``_id`` = complaint id.

Writes are idempotent so at-least-once delivery never duplicates a case: a
routed event is upserted with ``$setOnInsert``, so a redelivered or replayed
event finds its case already there and changes nothing (an admin's later
override is never clobbered by a replay). Bulk writes only: a single insert is
an order of magnitude slower on every MongoDB-protocol server we measured.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from pymongo import ASCENDING, DESCENDING, MongoClient, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database

from lapor.privacy import mask_identifiers

CASE_SCHEMA_VERSION = 1
# Routing status -> SP4N-LAPOR! case status: an automatically routed complaint
# is forwarded (disposed) to its unit; the rest wait for verification.
STATUS_FROM_ROUTING = {"routed": "terdisposisi", "menunggu_verifikasi": "menunggu_verifikasi"}

INDEXES = [
    [("status", ASCENDING), ("decision.unit_id", ASCENDING), ("deadline_at", ASCENDING)],
    [("decision.tier", ASCENDING), ("decision.province_code", ASCENDING)],
    [("decision.regency_code", ASCENDING)],
    [("created_at", DESCENDING)],
]


def connect(uri: str, db: str, timeout_ms: int = 5000) -> Database:
    client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, tz_aware=True)
    return client[db]


def case_from_routed(event: dict) -> dict:
    """A routed event (as a JSON-ready dict) -> the case document first stored."""
    complaint, decision = event["complaint"], event["decision"]
    status = STATUS_FROM_ROUTING[decision["status"]]
    routed_at = event["routed_at"]
    return {
        "_id": complaint["complaint_id"],
        "schema_version": CASE_SCHEMA_VERSION,
        "text": mask_identifiers(complaint["text"]),
        "channel": complaint["channel"],
        "privacy": complaint["privacy"],
        "region_hint": complaint.get("region_hint"),
        "reporter_sealed": complaint.get("reporter_sealed"),
        "submitted_at": complaint["submitted_at"],
        "created_at": routed_at,
        "prediction": event["prediction"],
        "decision": decision,
        "status": status,
        "history": [
            {
                "status": status,
                "at": routed_at,
                "by": "sistem",
                "note": "; ".join(decision.get("reasons", [])),
            }
        ],
        "overrides": [],
    }


class CaseStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.cases: Collection = db["cases"]

    def ensure_indexes(self) -> None:
        """Idempotent: creating an existing index is a no-op."""
        for keys in INDEXES:
            self.cases.create_index(keys)

    def upsert_routed(self, events: Iterable[dict]) -> int:
        """Store routed events as cases; returns how many cases were new."""
        ops = [
            UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True)
            for doc in map(case_from_routed, events)
        ]
        if not ops:
            return 0
        result = self.cases.bulk_write(ops, ordered=False)
        return result.upserted_count

    def count(self, query: dict | None = None) -> int:
        return self.cases.count_documents(query or {})

    def ping(self) -> datetime:
        self.db.command("ping")
        return datetime.now(UTC)
