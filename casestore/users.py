"""Admin accounts: argon2 password hashes, roles and what each role may see.

Roles (SP4N-LAPOR! practice):
* ``national_admin``: everything;
* ``regional_coordinator``: the cases of their province ("63") or regency ("63.03");
* ``agency_liaison``: the cases of their unit ("kabupaten_kota:63.03:pdam"), and
  the overdue cases escalated to it from the tier below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

ROLES = ("national_admin", "regional_coordinator", "agency_liaison")
ROLE_LABELS = {
    "national_admin": "Admin nasional",
    "regional_coordinator": "Koordinator wilayah",
    "agency_liaison": "Penghubung instansi",
}
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()
WRONG = "nama pengguna atau kata sandi salah"
LOCKED = "akun dikunci sementara karena terlalu banyak percobaan gagal"


class UserError(ValueError):
    """Cannot create or authenticate a user; the message says why."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    scope: str | None  # region code or unit id; None for national admins

    @property
    def is_national(self) -> bool:
        return self.role == "national_admin"

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
    def __init__(self, db: Database) -> None:
        self.users = db["users"]

    def create(self, username: str, password: str, role: str, scope: str | None = None) -> User:
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}")
        if role != "national_admin" and not scope:
            raise UserError(f"a {role} needs --scope (region code or unit id)")
        if len(password) < 10:
            raise UserError("the password must have at least 10 characters")
        try:
            self.users.insert_one(
                {
                    "_id": username,
                    "password_hash": _hasher.hash(password),
                    "role": role,
                    "scope": scope if role != "national_admin" else None,
                    "failed_logins": 0,
                    "locked_until": None,
                    "created_at": datetime.now(UTC),
                }
            )
        except DuplicateKeyError:
            raise UserError(f"user {username!r} exists already") from None
        return User(username, role, scope if role != "national_admin" else None)

    def authenticate(self, username: str, password: str, now: datetime | None = None) -> User:
        """Raises UserError (same message for unknown user and wrong password).

        Each attempt is counted atomically *before* the password is checked, so
        parallel guesses cannot slip past the lockout: at most
        ``MAX_FAILED_LOGINS`` passwords are ever checked between lockouts, however
        many requests arrive at once (a read-then-write counter let every
        concurrent request see the same count).
        """
        now = now or datetime.now(UTC)
        doc = self.users.find_one_and_update(
            {"_id": username, "$or": [{"locked_until": None}, {"locked_until": {"$lte": now}}]},
            {"$inc": {"failed_logins": 1}, "$set": {"locked_until": None}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            if self.users.find_one({"_id": username}, {"_id": 1}) is not None:
                raise UserError(LOCKED)
            _hasher.hash(password)  # same cost either way: no user enumeration by timing
            raise UserError(WRONG)
        attempt = doc["failed_logins"]
        if attempt > MAX_FAILED_LOGINS:
            self._lock(username, now)
            raise UserError(LOCKED)
        try:
            _hasher.verify(doc["password_hash"], password)
        except (VerificationError, InvalidHashError):
            if attempt >= MAX_FAILED_LOGINS:
                self._lock(username, now)
            raise UserError(WRONG) from None
        self.users.update_one({"_id": username}, {"$set": {"failed_logins": 0}})
        return User(doc["_id"], doc["role"], doc.get("scope"))

    def _lock(self, username: str, now: datetime) -> None:
        """Lock once (a concurrent attempt may already have): the count restarts after it."""
        self.users.update_one(
            {"_id": username, "locked_until": None},
            {"$set": {"failed_logins": 0, "locked_until": now + LOCKOUT}},
        )

    def get(self, username: str) -> User | None:
        doc = self.users.find_one({"_id": username})
        return User(doc["_id"], doc["role"], doc.get("scope")) if doc else None
