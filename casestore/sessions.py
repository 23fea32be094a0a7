"""Console sessions kept on the server, so that they can be ended.

A signed cookie alone cannot be taken back: before this, a copied cookie kept
working for its whole 8 hours after logout and after the account was locked
(issue 15, item 3). Now the cookie carries only a random token; the session is a
document in MongoDB (``sessions``), shared by every web process, and it is
valid only while

* its document exists (logout, lock, password and role changes delete every
  session of the user: :func:`end_sessions`),
* it was used within the idle timeout and is younger than its lifetime, and
* its ``version`` still equals the user's ``session_version`` (bumped by the
  same changes: a login racing with a lock cannot leave a live session behind).

Only the SHA-256 of the token is stored: a read of the database (a backup, a
curious operator) yields no cookie that works. Time is passed in by the caller,
so tests move the server's clock instead of sleeping.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from pymongo import ReturnDocument
from pymongo.database import Database

COLLECTION = "sessions"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def end_sessions(db: Database, username: str) -> int:
    """End every session of a user, in every web process; the number ended."""
    return db[COLLECTION].delete_many({"user": username}).deleted_count


class SessionStore:
    def __init__(self, db: Database, idle: timedelta, lifetime: timedelta) -> None:
        self.sessions = db[COLLECTION]
        self.idle, self.lifetime = idle, lifetime

    def ensure_indexes(self) -> None:
        self.sessions.create_index("user")
        # servers that honour TTL indexes drop expired sessions themselves;
        # validity never depends on it (checked on every request)
        self.sessions.create_index("expires_at", expireAfterSeconds=0)

    def create(self, username: str, version: int, now: datetime) -> str:
        """A new session; the token to put in the cookie."""
        token = secrets.token_urlsafe(32)
        self.sessions.insert_one(
            {
                "_id": _digest(token),
                "user": username,
                "version": version,
                "created_at": now,
                "last_seen": now,
                "expires_at": now + self.lifetime,
            }
        )
        return token

    def resolve(self, token: str, now: datetime) -> dict | None:
        """The live session of a token, marked as used now; None if it is not live.

        One atomic find-and-update both checks the idle and absolute limits and
        records the use, so two processes cannot revive an expired session.
        """
        return self.sessions.find_one_and_update(
            {
                "_id": _digest(token),
                "last_seen": {"$gt": now - self.idle},
                "expires_at": {"$gt": now},
            },
            {"$set": {"last_seen": now}},
            return_document=ReturnDocument.AFTER,
        )

    def owner(self, token: str) -> str | None:
        """Whose session a token is (live or not): logout ends all of theirs."""
        doc = self.sessions.find_one({"_id": _digest(token)}, {"user": 1})
        return doc["user"] if doc else None
