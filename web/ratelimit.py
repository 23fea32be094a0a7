"""The public intake's rate limit, shared by every web process.

A limit kept in each process's memory lets a client that is spread over N web
processes (any load-balanced deployment) send N times the limit. So the moving
window lives in a shared ``limits`` storage: by default the case store's
MongoDB, or any ``limits`` storage URI (``memory://`` for one process;
``redis://`` with the ``redis`` package installed) from ``LAPOR_RATE_LIMIT_STORAGE``.

If the shared storage cannot be reached, intake must not stop (complaints go to
Kafka, not to the store): the limit falls back to this process's memory until
the storage answers again (tried every ``RETRY_SECONDS``, so requests do not
each wait for it), and the outage is logged once.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)
NAMESPACE = "intake"
# how long a request waits for an unreachable shared storage before falling back
STORAGE_TIMEOUT_MS = 500
RETRY_SECONDS = 10.0


@dataclass
class _Health:
    """Whether the shared storage answers; one per storage, shared by its limits."""

    degraded: bool = False
    retry_at: float = 0.0


class IntakeLimiter:
    def __init__(
        self,
        storage_uri: str,
        per_minute: int,
        database: str = "limits",
        namespace: str = NAMESPACE,
    ) -> None:
        options: dict = {"wrap_exceptions": True}
        if storage_uri.startswith("mongodb"):
            options.update(
                database_name=database,
                serverSelectionTimeoutMS=STORAGE_TIMEOUT_MS,
                connectTimeoutMS=STORAGE_TIMEOUT_MS,
                socketTimeoutMS=STORAGE_TIMEOUT_MS,
            )
        storage = storage_from_string(storage_uri, **options)
        self.shared = MovingWindowRateLimiter(storage)
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self.item = RateLimitItemPerMinute(per_minute)
        self.namespace = namespace
        self.health = _Health()
        # connect now: an unreachable storage is reported at start-up, and the
        # client is made here rather than lazily at garbage collection
        if not storage.check():
            self._degrade("no answer at start-up")

    def hit(self, client: str) -> int:
        """Count one request; 0 if allowed, else the seconds until one is allowed."""
        if self.health.degraded and time.monotonic() < self.health.retry_at:
            return self._hit(self.local, client)
        try:
            wait = self._hit(self.shared, client)
        except StorageError as exc:
            self._degrade(exc)
            return self._hit(self.local, client)
        if self.health.degraded:
            log.warning("rate-limit storage reachable again; the limit is shared again")
            self.health.degraded = False
        return wait

    def close(self) -> None:
        """Close the shared storage's client while its server is still there. Left to
        the garbage collector, ``limits``' MongoDB storage closes it in ``__del__``;
        at interpreter exit that starts a monitor thread and waits for it forever
        (a web process that never exits, a test run that never ends)."""
        client = getattr(self.shared.storage, "storage", None)
        if callable(getattr(client, "close", None)):
            client.close()

    def _degrade(self, why: object) -> None:
        if not self.health.degraded:  # its address is not logged: it may hold a password
            log.warning("rate-limit storage unreachable (%s); limiting per process", why)
        self.health.degraded, self.health.retry_at = True, time.monotonic() + RETRY_SECONDS

    def sibling(
        self, amount: int, namespace: str, per: type[RateLimitItem] = RateLimitItemPerMinute
    ) -> IntakeLimiter:
        """Another limit on the same storage (one connection, one outage log):
        ``amount`` per minute, or per the ``limits`` item given."""
        other = copy.copy(self)
        other.item, other.namespace = per(amount), namespace
        return other

    def _hit(self, limiter: MovingWindowRateLimiter, client: str) -> int:
        if limiter.hit(self.item, self.namespace, client):
            return 0
        reset, _ = limiter.get_window_stats(self.item, self.namespace, client)
        return max(1, int(reset - time.time()))
