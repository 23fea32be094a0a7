"""Admin accounts: argon2 password hashes, roles and what each role may see.

Roles (SP4N-LAPOR! practice):
* ``national_admin``: everything;
* ``regional_coordinator``: the cases of their province ("63") or regency ("63.03");
  re-dispatches them to units inside that region only;
* ``agency_liaison``: the cases of their unit ("kabupaten_kota:63.03:pdam"), and
  the overdue cases escalated to it from the tier below; follows them up,
  answers, asks for information or declares them ``bukan_wewenang`` (with a
  reason) for the hub to re-dispatch, and never routes a case itself.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from casestore.passwords import weakness
from casestore.scopes import check_scope
from casestore.sessions import end_sessions
from casestore.throttle import LoginThrottle, ThrottlePolicy

ROLE_LABELS = {
    "national_admin": "Admin nasional",
    "regional_coordinator": "Koordinator wilayah",
    "agency_liaison": "Penghubung instansi",
}
_hasher = PasswordHasher()
WRONG = "nama pengguna atau kata sandi salah"
THROTTLED = "Terlalu banyak percobaan masuk yang gagal; tunggu sebentar, lalu coba lagi."


class UserError(ValueError):
    """Cannot create or authenticate a user; the message says why."""


class Throttled(UserError):
    """Too many failed logins from this address (for this name, or for any)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(THROTTLED)
        self.retry_after = retry_after


@dataclass(frozen=True)
class User:
    username: str
    role: str
    scope: str | None  # region code or unit id; None for national admins
    # sessions carry the version they were made under; account changes bump it
    session_version: int = field(default=0, compare=False)

    @property
    def is_national(self) -> bool:
        return self.role == "national_admin"

    @property
    def may_redispatch(self) -> bool:
        """Admins route; a unit's liaison never does (it declares bukan_wewenang)."""
        return self.role in ("national_admin", "regional_coordinator")

    def covers(self, decision: dict) -> bool:
        """Whether a decision's region is inside this admin's scope: where a
        regional coordinator may re-dispatch a case to (national admins: anywhere)."""
        if self.role == "national_admin":
            return True
        if self.role == "regional_coordinator":
            field = "regency_code" if "." in (self.scope or "") else "province_code"
            return decision.get(field) == self.scope
        return False

    def case_filter(self) -> dict:
        """The MongoDB filter every case query of this user is ANDed with."""
        if self.role == "national_admin":
            return {}
        if self.role == "regional_coordinator":
            field = (
                "decision.regency_code" if "." in (self.scope or "") else "decision.province_code"
            )
            return {field: self.scope}
        return {"$or": [{"decision.unit_id": self.scope}, {"escalated_to": self.scope}]}


class UserStore:
    def __init__(
        self,
        db: Database,
        throttle: ThrottlePolicy | None = None,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.users = db["users"]
        self.db = db
        self.throttle = LoginThrottle(db, throttle)
        self.hasher = hasher or _hasher
        # verified in place of a password hash for unknown names: made now, with
        # this hasher's own cost, so that no answer costs a hash more or less
        self._dummy = self.hasher.hash(secrets.token_urlsafe(32))

    def create(self, username: str, password: str, role: str, scope: str | None = None) -> User:
        scope = _check_role(role, scope)
        _check_password(password, username)
        try:
            self.users.insert_one(
                {
                    "_id": username,
                    "password_hash": self.hasher.hash(password),
                    "role": role,
                    "scope": scope,
                    "disabled": False,
                    "session_version": 0,
                    "created_at": datetime.now(UTC),
                }
            )
        except DuplicateKeyError:
            raise UserError(f"Pengguna {username!r} sudah ada.") from None
        return User(username, role, scope)

    def authenticate(
        self,
        username: str,
        password: str,
        address: str = "local",
        now: datetime | None = None,
    ) -> User:
        """The user, or UserError: WRONG for an unknown name, a wrong password and
        a locked account alike; Throttled (the same for any name) when this
        address must wait (``casestore/throttle.py``).

        The attempt is counted before its password is checked, so parallel
        guesses cannot overtake the throttle. Every answer that is not
        Throttled costs exactly one hash verification (on a dummy hash for an
        unknown name), so neither words nor timing tell which accounts exist.
        """
        now = now or datetime.now(UTC)
        wait = self.throttle.reserve(username, address, now)
        if wait:
            raise Throttled(wait)
        doc = self.users.find_one({"_id": username})
        try:
            self.hasher.verify(doc["password_hash"] if doc else self._dummy, password)
            right = doc is not None
        except (VerificationError, InvalidHashError):
            right = False
        if not right or doc.get("disabled"):
            raise UserError(WRONG)
        self.throttle.succeeded(username, address, now)
        return _user(doc)

    def get(self, username: str) -> User | None:
        doc = self.users.find_one({"_id": username})
        return _user(doc) if doc else None

    def for_session(self, username: str, version: int) -> User | None:
        """The user of a live session, unless the account changed since it began."""
        doc = self.users.find_one({"_id": username})
        if doc is None or doc.get("disabled") or doc.get("session_version", 0) != version:
            return None
        return _user(doc)

    # --- account changes: each one ends every session of the user -------------

    def lock(self, username: str) -> None:
        """Disable an account (a leaver, a suspected theft) until ``unlock``."""
        self._change(username, {"disabled": True})

    def unlock(self, username: str) -> None:
        self._change(username, {"disabled": False})

    def set_password(self, username: str, password: str) -> None:
        _check_password(password, username)
        self._change(username, {"password_hash": self.hasher.hash(password)})

    def set_role(self, username: str, role: str, scope: str | None = None) -> User:
        scope = _check_role(role, scope)
        self._change(username, {"role": role, "scope": scope})
        return User(username, role, scope)

    def end_sessions(self, username: str) -> int:
        """Log a user out everywhere (logout does this for its own user)."""
        return self._change(username, {})

    def _change(self, username: str, fields: dict) -> int:
        """Apply a change and end the user's sessions: the version first, so a
        session made while this runs is refused too, then the documents."""
        update: dict = {"$inc": {"session_version": 1}}
        if fields:
            update["$set"] = fields
        if self.users.update_one({"_id": username}, update).matched_count == 0:
            raise UserError(f"Pengguna {username!r} tidak ada.")
        return end_sessions(self.db, username)


def _check_role(role: str, scope: str | None) -> str | None:
    """The scope to store for a role: a known region or unit (``casestore/scopes.py``)."""
    try:
        return check_scope(role, scope)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _check_password(password: str, username: str) -> None:
    """Long enough, not too long, and hard to guess (``casestore/passwords.py``)."""
    why = weakness(password, username)
    if why:
        raise UserError(why)


def _user(doc: dict) -> User:
    return User(doc["_id"], doc["role"], doc.get("scope"), doc.get("session_version", 0))
