"""The SMS 1708 gateway's webhook: who may call it, and what an SMS asks for.

**Authentication.** Each gateway shares a secret with the hub
(``LAPOR_SMS_SECRET``: ``name:secret`` entries separated by commas, or one bare
secret, named ``sms``). A request carries

    X-Lapor-Timestamp: <Unix seconds>
    X-Lapor-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

The signature covers the timestamp, so an old request cannot be sent again
with a new one; a timestamp more than ``LAPOR_SMS_MAX_SKEW_SECONDS`` away from
the server's clock is refused. Within that window a replay (or the gateway's
own retry) is the *same* complaint: its tracking id, and a rahasia complaint's
secret token, are derived from the signature, so intake's idempotency (the same
id with the same content is a no-op) keeps one case and the reply repeats the
same id and token. The secret that verifies the signature names the gateway:
its rate limit is per gateway, not per address.

**Privacy keywords.** An SMS that starts with ``RAHASIA`` or ``ANONIM`` (any case,
then a space or punctuation) is filed with that privacy, without the keyword.

**Channel keywords.** An SMS that is only ``BERHENTI`` (or ``STOP``, ``UNREG``)
stops the SMS about complaints to its number, ``MULAI`` (or ``START``) starts
them again (``casestore/optouts.py``); neither is a complaint. Every SMS the hub
sends says so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

SIGNATURE_HEADER = "x-lapor-signature"
TIMESTAMP_HEADER = "x-lapor-timestamp"
SIGNATURE_PREFIX = "sha256="
DEFAULT_GATEWAY = "sms"
MIN_SECRET_CHARS = 32
GATEWAY_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # as core.events.new_tracking_id
PRIVACY_KEYWORD = re.compile(r"^\s*(rahasia|anonim)(?:[\s.,:;!-]+|$)", re.IGNORECASE)
CHANNEL_KEYWORD = re.compile(
    r"^\s*(berhenti|stop|unreg|mulai|start)(?:\s+(?:lapor!?|sms|1708))?[\s.!]*$", re.IGNORECASE
)
STOP, START = "berhenti", "mulai"


class SignatureError(ValueError):
    """The request is not from a known gateway; the message is for the gateway's operator."""


@dataclass(frozen=True)
class Gateway:
    name: str
    secret: bytes


@dataclass(frozen=True)
class SignedRequest:
    """A verified request: which gateway sent it, and its signature (a request id)."""

    gateway: Gateway
    timestamp: int
    signature: bytes


def parse_gateways(value: str | None) -> list[Gateway]:
    """``name:secret,name:secret`` or one bare secret; two entries with one name are
    that gateway's old and new secret (rotation). Raises ValueError on a weak entry."""
    gateways = []
    for entry in (value or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, secret = entry.partition(":")
        if not sep:
            name, secret = DEFAULT_GATEWAY, entry
        if not GATEWAY_NAME.fullmatch(name):
            raise ValueError(f"SMS gateway name {name[:40]!r}: letters, digits, '.', '_' or '-'")
        if len(secret) < MIN_SECRET_CHARS:
            raise ValueError(
                f"SMS gateway {name}: its secret needs at least {MIN_SECRET_CHARS} characters "
                "(e.g. `openssl rand -hex 32`)"
            )
        gateways.append(Gateway(name, secret.encode()))
    return gateways


def signature(secret: bytes, timestamp: int | str, body: bytes) -> str:
    """The header value a gateway sends: ``sha256=<hex>``."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + mac


def verify(
    gateways: list[Gateway],
    body: bytes,
    timestamp: str | None,
    given: str | None,
    now: datetime,
    max_skew: float,
) -> SignedRequest:
    """The gateway whose secret signed ``body`` at ``timestamp``, or SignatureError.
    Every secret is tried with a constant-time comparison (a few gateways at most)."""
    if not timestamp or not given:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER}")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureError(f"{TIMESTAMP_HEADER} must be Unix seconds")
    if abs(now.timestamp() - int(timestamp)) > max_skew:
        raise SignatureError(f"{TIMESTAMP_HEADER} is more than {max_skew:.0f} s from server time")
    given_bytes = given.strip().encode("ascii", "replace")
    found = None
    for gateway in gateways:
        expected = signature(gateway.secret, timestamp, body).encode()
        if hmac.compare_digest(expected, given_bytes) and found is None:
            found = gateway
    if found is None:
        raise SignatureError("signature does not match")
    return SignedRequest(found, int(timestamp), given_bytes)


def _derived(request: SignedRequest, label: bytes) -> bytes:
    return hmac.new(request.gateway.secret, label + b"\x00" + request.signature, "sha256").digest()


def tracking_id(request: SignedRequest) -> str:
    """``LPR-YYMMDD-XXXXXXXX`` like any tracking id (40 bits), but the same for the
    same signed request: a retry or a replay lands on the complaint it repeats."""
    digest = _derived(request, b"lapor-sms-tracking-id")
    tail = "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:8])
    day = datetime.fromtimestamp(request.timestamp, UTC)
    return f"LPR-{day:%y%m%d}-{tail}"


def secret_token(request: SignedRequest) -> str:
    """A rahasia complaint's token, the same for the same signed request (a retried
    request must not hand the citizen a token that opens nothing)."""
    digest = _derived(request, b"lapor-sms-secret-token")[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def channel_keyword(message: str) -> str | None:
    """``STOP`` or ``START`` when the whole message asks for that, else None."""
    match = CHANNEL_KEYWORD.match(message)
    if match is None:
        return None
    return STOP if match.group(1).lower() in ("berhenti", "stop", "unreg") else START


def privacy_keyword(message: str) -> tuple[str, str]:
    """(privacy, text without the keyword): ``RAHASIA ...`` / ``ANONIM ...`` at the
    start, any case; otherwise ("public", message)."""
    match = PRIVACY_KEYWORD.match(message)
    if match is None:
        return "public", message
    return match.group(1).lower(), message[match.end() :]
