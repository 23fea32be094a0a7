"""Tracking ids that prove they were issued here (issue 14).

A tracking id answers from the moment it is given out, before the worker has
stored its case, without a database write on the intake hot path: the id
carries a short HMAC tag under a server key, so the lookup can tell an id this
system issued (status ``diterima``) from a made-up one (a 404 identical to an
unknown id).

    LPR-261206-ABCDEFGH-K7Q2MX
    \\_______________/ \\____/
    core.events.new_tracking_id   tag: HMAC-SHA256(key, id + token digest), 30 bits

A confidential (rahasia) complaint's tag also covers the digest of its secret
token: without the token the id does not verify, so it answers exactly like an
unknown id, as the stored case does. A forged tag (one in 2^30) would show only
"diterima": the tag guards against probing, not secrets.

The key: ``LAPOR_TRACKING_KEY`` (several separated by commas, the first issues,
all verify: rotation), else ``tracking.key`` in the state directory, created
once, owner-only. Every web process and ``lapor submit`` must share it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from core.events import new_tracking_id
from core.files import read_or_create_secret
from core.settings import Settings

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # as new_tracking_id: read out over the phone
TAG_CHARS = 6  # 30 bits
BASE_CHARS = len("LPR-261206-ABCDEFGH")
TAGGED_CHARS = BASE_CHARS + 1 + TAG_CHARS


class TrackingIds:
    """Issues tagged tracking ids and tells issued ones from made-up ones."""

    def __init__(self, keys: list[str]) -> None:
        if not keys or not all(keys):
            raise ValueError("a tracking-id key is needed")
        self.keys = [k.encode() for k in keys]

    @classmethod
    def from_settings(cls, settings: Settings) -> TrackingIds:
        """``LAPOR_TRACKING_KEY``, else the state directory's key file (made once)."""
        key = settings.tracking_key.get_secret_value() if settings.tracking_key else None
        text = key or read_or_create_secret(settings.tracking_key_file)
        return cls([k.strip() for k in text.replace("\n", ",").split(",") if k.strip()])

    def _tag(self, key: bytes, base: str, token_digest: str | None) -> str:
        message = f"lapor-tracking-id\x00{base}\x00{token_digest or ''}".encode()
        digest = hmac.new(key, message, hashlib.sha256).digest()
        number = int.from_bytes(digest[:4], "big") >> (32 - 5 * TAG_CHARS)
        return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(TAG_CHARS)))

    def tagged(self, base: str, token_digest: str | None = None) -> str:
        """``base`` (an ``LPR-YYMMDD-XXXXXXXX`` id) with its tag; ``token_digest``
        (``core.privacy.token_hash``) binds a rahasia complaint's id to its token."""
        return f"{base}-{self._tag(self.keys[0], base, token_digest)}"

    def issue(self, token_digest: str | None = None, now: datetime | None = None) -> str:
        return self.tagged(new_tracking_id(now), token_digest)

    def issued(self, tracking_id: str, token_digest: str | None = None) -> bool:
        """Whether this system gave out ``tracking_id`` (with this token, for rahasia).
        Constant-time per key; any other shape is simply not issued."""
        if len(tracking_id) != TAGGED_CHARS or not tracking_id.startswith("LPR-"):
            return False
        base, tag = tracking_id[:BASE_CHARS], tracking_id[BASE_CHARS + 1 :]
        found = False
        for key in self.keys:
            found |= secrets.compare_digest(self._tag(key, base, token_digest), tag)
        return found
