"""Registered API clients (Open311 ``api_key``): civic apps and integrators.

A national admin registers a client by name (``lapor open311 add-client``) and
hands its key over once; only the key's SHA-256 is stored (a random 192-bit key
needs no slow hash: nothing to guess from it). Revoking a client stops its key at
once. Every request with a key is attributed to its client name.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

CLIENT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


class ApiClientError(ValueError):
    """A client that cannot be registered or found; the message says why."""


@dataclass(frozen=True)
class ApiClient:
    name: str
    created_by: str
    created_at: datetime


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiClientStore:
    def __init__(self, db: Database) -> None:
        self.clients: Collection = db["api_clients"]

    def ensure_indexes(self) -> None:
        self.clients.create_index("key_sha256", unique=True)

    def add(self, name: str, created_by: str) -> str:
        """Register ``name``; returns its key (shown once, never stored)."""
        if not CLIENT_NAME.match(name):
            raise ApiClientError(
                f"nama klien '{name}' tidak sah: 2-63 huruf kecil, angka, titik, _ atau -"
            )
        key = secrets.token_urlsafe(24)
        try:
            self.clients.insert_one(
                {
                    "_id": name,
                    "key_sha256": _digest(key),
                    "created_by": created_by,
                    "created_at": datetime.now(UTC),
                    "revoked_at": None,
                }
            )
        except DuplicateKeyError:
            raise ApiClientError(f"klien '{name}' sudah terdaftar") from None
        return key

    def revoke(self, name: str) -> None:
        result = self.clients.update_one(
            {"_id": name, "revoked_at": None}, {"$set": {"revoked_at": datetime.now(UTC)}}
        )
        if not result.matched_count:
            raise ApiClientError(f"klien '{name}' tidak ada atau sudah dicabut")

    def verify(self, key: str | None) -> ApiClient | None:
        """The active client holding ``key``, or None."""
        if not key or len(key) > 200:
            return None
        doc = self.clients.find_one({"key_sha256": _digest(key), "revoked_at": None})
        if doc is None:
            return None
        return ApiClient(doc["_id"], doc["created_by"], doc["created_at"])

    def active(self) -> list[ApiClient]:
        docs = self.clients.find({"revoked_at": None}).sort("_id", 1)
        return [ApiClient(d["_id"], d["created_by"], d["created_at"]) for d in docs]
