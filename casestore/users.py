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
        """Raises UserError (same message for unknown user and wrong password)."""
        now = now or datetime.now(UTC)
        doc = self.users.find_one({"_id": username})
        if doc is None:
            _hasher.hash(password)  # same cost either way: no user enumeration by timing
            raise UserError("nama pengguna atau kata sandi salah")
        locked = doc.get("locked_until")
        if locked and locked > now:
            raise UserError("akun dikunci sementara karena terlalu banyak percobaan gagal")
        try:
            _hasher.verify(doc["password_hash"], password)
        except (VerificationError, InvalidHashError):
            failed = doc.get("failed_logins", 0) + 1
            update = {"failed_logins": failed}
            if failed >= MAX_FAILED_LOGINS:
                update = {"failed_logins": 0, "locked_until": now + LOCKOUT}
            self.users.update_one({"_id": username}, {"$set": update})
            raise UserError("nama pengguna atau kata sandi salah") from None
        self.users.update_one(
            {"_id": username}, {"$set": {"failed_logins": 0, "locked_until": None}}
        )
        return User(doc["_id"], doc["role"], doc.get("scope"))

    def get(self, username: str) -> User | None:
        doc = self.users.find_one({"_id": username})
        return User(doc["_id"], doc["role"], doc.get("scope")) if doc else None
