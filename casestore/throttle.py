"""Login throttling that an attacker cannot turn against a real user.

Before (issue 15, item 5) five wrong passwords from anywhere locked an account
for 15 minutes, so anyone could lock anyone out, and only real accounts were
ever locked, which told an attacker which accounts exist. Now failures are
counted per (account, client address) and per address, never per account alone:

* **(account, address)**: the first ``free`` attempts go through; from then on
  each attempt must wait ``backoff * 2**k`` (capped at ``backoff_max``) after the
  previous one. A success forgets the pair; so does a day without attempts. The
  real user, logging in from their own address, never waits for an attacker.
* **address**: at most ``address_failures`` failed logins per address in a
  ``address_window`` (fixed windows), whichever accounts they name: one address
  cannot spread its guesses over many accounts.

Unknown account names are counted exactly like real ones, so the throttle's
answers say nothing about which accounts exist.

Each attempt is counted *before* its password is checked, atomically (a
compare-and-set on the pair, an ``$inc`` on the address), so parallel guesses
cannot overtake the limits; a success gives its count back. The state lives in
MongoDB (``login_throttle``), shared by every web process.

A distributed attacker (many addresses) against one account is slowed only per
address: a per-account limit is exactly what let anyone lock a real user out.
Password strength (``casestore/passwords.py``) is the defence there.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

COLLECTION = "login_throttle"
PAIR_MEMORY = timedelta(days=1)  # a pair with no attempt for this long starts afresh
RACES = 8  # compare-and-set rounds before an attempt gives up to a concurrent one


@dataclass(frozen=True)
class ThrottlePolicy:
    free: int = 5
    backoff: timedelta = timedelta(minutes=1)
    backoff_max: timedelta = timedelta(minutes=15)
    address_failures: int = 20
    address_window: timedelta = timedelta(minutes=15)

    def delay(self, attempts: int) -> timedelta:
        """How long the next attempt of a pair waits after ``attempts`` unforgiven ones."""
        if attempts < self.free:
            return timedelta(0)
        doublings = min(attempts - self.free, 30)  # 2**30 minutes exceeds any cap
        return min(self.backoff * 2**doublings, self.backoff_max)


class LoginThrottle:
    def __init__(self, db: Database, policy: ThrottlePolicy | None = None) -> None:
        self.state = db[COLLECTION]
        self.policy = policy or ThrottlePolicy()

    def ensure_indexes(self) -> None:
        self.state.create_index("expires_at", expireAfterSeconds=0)

    def reserve(self, account: str, address: str, now: datetime) -> int:
        """Count one attempt; 0 if its password may be checked, else the seconds to wait."""
        wait = self._reserve_address(address, now)
        return wait or self._reserve_pair(account, address, now)

    def succeeded(self, account: str, address: str, now: datetime) -> None:
        """A right password: forget the pair's failures and give the address its count back."""
        self.state.delete_one({"_id": self._pair_key(account, address)})
        self.state.update_one(
            {"_id": self._address_key(address, now), "n": {"$gt": 0}}, {"$inc": {"n": -1}}
        )

    # --- per address: a fixed window counter ----------------------------------

    def _address_key(self, address: str, now: datetime) -> str:
        window = int(now.timestamp() // self.policy.address_window.total_seconds())
        return json.dumps(["address", address, window])

    def _reserve_address(self, address: str, now: datetime) -> int:
        window = self.policy.address_window.total_seconds()
        ends = (now.timestamp() // window + 1) * window
        key = self._address_key(address, now)
        update = {
            "$inc": {"n": 1},
            "$setOnInsert": {"expires_at": datetime.fromtimestamp(ends, now.tzinfo)},
        }
        try:
            doc = self.state.find_one_and_update(
                {"_id": key}, update, upsert=True, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError:  # two first attempts at once: the other one inserted
            doc = self.state.find_one_and_update(
                {"_id": key}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
            )
        if doc["n"] <= self.policy.address_failures:
            return 0
        return max(1, math.ceil(ends - now.timestamp()))

    # --- per (account, address): a compare-and-set backoff --------------------

    @staticmethod
    def _pair_key(account: str, address: str) -> str:
        return json.dumps(["pair", account, address])  # unambiguous for any name

    def _reserve_pair(self, account: str, address: str, now: datetime) -> int:
        key = self._pair_key(account, address)
        for _ in range(RACES):
            doc = self.state.find_one({"_id": key})
            fresh = doc is None or doc["expires_at"] <= now
            if not fresh and doc["next_at"] > now:
                return max(1, math.ceil((doc["next_at"] - now).total_seconds()))
            attempts = 1 if fresh else doc["n"] + 1
            update = {
                "n": attempts,
                "next_at": now + self.policy.delay(attempts),
                "expires_at": now + PAIR_MEMORY,
            }
            if doc is None:
                try:
                    self.state.insert_one({"_id": key, **update})
                    return 0
                except DuplicateKeyError:
                    continue
            seen = {"_id": key, "n": doc["n"], "next_at": doc["next_at"]}
            if self.state.update_one(seen, {"$set": update}).modified_count:
                return 0
        # every round lost to concurrent attempts on this very pair: not a real user
        return max(1, math.ceil(self.policy.backoff.total_seconds()))
