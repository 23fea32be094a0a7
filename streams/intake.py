"""Intake: every channel ends here. Validate, give a tracking id, publish.

Intake never classifies and never writes the case store: Kafka is the system
of record for what arrived. The web API, the SMS webhook, admin manual entry
and ``lapor submit`` all call :class:`Intake`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kafka import KafkaProducer
from pydantic import ValidationError
from pymongo.errors import PyMongoError

from core.events import ComplaintSubmitted, new_tracking_id
from core.kafka import bootstrap_servers, kafka_python_options
from core.privacy import Sealer, token_hash
from core.settings import Settings
from core.tracking import TrackingIds

REPORTER_FIELDS = ("name", "phone", "email", "nik")


class IntakeError(ValueError):
    """A complaint that cannot be accepted; the message says what to fix."""


class IdConflict(IntakeError):
    """The complaint's own id is already a case with other content (issue 15)."""


# id -> the stored case's content fingerprint, None when no case has that id yet
StoredContent = Callable[[str], str | None]


@dataclass(frozen=True)
class Receipt:
    """What the citizen gets back: the tracking id and the secret token, the key to
    act on the case (and, for a confidential complaint, to see it at all)."""

    tracking_id: str
    secret_token: str | None = None


def make_producer(bootstrap: str, settings: Settings | None = None) -> KafkaProducer:
    """The intake producer; ``settings`` brings TLS / SASL (``core/kafka.py``)."""
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers(bootstrap),
        **(kafka_python_options(settings) if settings else {}),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        retries=10,
    )


def _reporter(record: Mapping[str, Any]) -> dict[str, str]:
    nested = record.get("reporter") or {}
    if not isinstance(nested, Mapping):
        raise IntakeError("reporter must be an object with name, phone, email or nik")
    found = {}
    for key in REPORTER_FIELDS:
        value = nested.get(key) or record.get(f"reporter_{key}")
        if value:
            found[key] = str(value)
    return found


HINT_KEYS = ("code", "regency", "province")


def region_hint_text(hint: object) -> str | None:
    """A channel's region hint as the one string form routing reads: free text as
    it is; a structured hint (a mobile app sends ``{"province": ..., "regency": ...}``
    or ``{"code": "34.04"}``, a Kemendagri code) as the code, else "regency,
    province". Raises IntakeError for anything else."""
    if hint is None or isinstance(hint, str):
        return (hint or "").strip() or None
    if not isinstance(hint, Mapping):
        raise IntakeError("region_hint must be text or an object with code, regency, province")
    unknown = sorted(set(hint) - set(HINT_KEYS))
    if unknown or not all(isinstance(hint.get(k), str | None) for k in HINT_KEYS):
        raise IntakeError(
            f"region_hint object: only text values for {', '.join(HINT_KEYS)} (got {unknown})"
        )
    if hint.get("code"):
        return hint["code"].strip()
    parts = [hint.get("regency"), hint.get("province")]
    return ", ".join(p.strip() for p in parts if p and p.strip()) or None


def readable(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def build_submission(
    record: Mapping[str, Any],
    sealer: Sealer,
    default_channel: str = "bulk",
    secret_token: str | None = None,
) -> ComplaintSubmitted:
    """Validate one incoming complaint and seal its reporter's identity."""
    reporter = _reporter(record)
    try:
        event = ComplaintSubmitted(
            complaint_id=str(record.get("id") or new_tracking_id()),
            channel=record.get("channel") or default_channel,
            text=record.get("text") if isinstance(record.get("text"), str) else "",
            region_hint=region_hint_text(record.get("region_hint")),
            lat=record.get("lat"),
            long=record.get("long"),
            requested_topic=record.get("requested_topic"),
            photo_ids=record.get("photo_ids") or [],
            privacy=record.get("privacy") or "public",
            reporter_sealed=sealer.seal(reporter) if reporter else None,
            access_token_hash=token_hash(secret_token) if secret_token else None,
        )
    except ValidationError as exc:
        raise IntakeError(readable(exc)) from None
    return event.model_copy(update={"content_sha256": event.fingerprint()})


class Intake:
    """``tracking``: issues the tracking ids of complaints that bring none, tagged so
    that they answer before their case is stored (``core/tracking.py``); without
    it (tests, tools) an untagged id answers only once stored."""

    def __init__(
        self,
        producer: KafkaProducer,
        topic: str,
        sealer: Sealer,
        tracking: TrackingIds | None = None,
    ) -> None:
        self.producer, self.topic, self.sealer = producer, topic, sealer
        self.tracking = tracking

    def reserve(
        self,
        record: Mapping[str, Any],
        secret_token: str | None = None,
        reporter_token: bool = True,
    ) -> tuple[dict, str | None]:
        """The record with the id it will be published under, and its secret token:
        a tagged tracking id when it brings none. A channel that stores something
        under the id before publishing (photos) reserves first and passes the token
        on to :meth:`submit`.

        Every complaint filed by its reporter gets a token (``reporter_token``): the
        key to act on the case (reply, confirm, dispute, rate), since a public
        complaint's tracking id is public (Open311 lists it); a rahasia complaint's
        token is also needed to see it, and its tracking tag covers the token. A
        channel that cannot hand a token back (a bulk import, the e-mail channel's
        replayed messages) files without one for a public complaint: its case is
        acted on by id, as before."""
        token = secret_token
        rahasia = record.get("privacy") == "rahasia"
        if token is None and (rahasia or reporter_token):
            token = secrets.token_urlsafe(16)
        record = dict(record)
        if not record.get("id") and self.tracking is not None:
            record["id"] = self.tracking.issue(token_hash(token) if rahasia else None)
        return record, token

    def submit(
        self,
        record: Mapping[str, Any],
        default_channel: str = "bulk",
        wait: float = 0,
        stored: StoredContent | None = None,
        secret_token: str | None = None,
        reporter_token: bool = True,
    ) -> Receipt:
        """Publish one complaint; with ``wait`` > 0, block until the broker has it
        (acks=all), so the citizen's receipt means the complaint is safe.

        A record that brings its own id may reuse one: the same content again is a
        replay (the sink stores nothing twice), other content is an id conflict.
        With ``stored`` (the case store's view) a conflict with a stored case is
        also raised here (``IdConflict``), after publishing: the sink dead-letters
        it with reason ``id_conflict``, so it is recorded, never lost. A conflict
        with a complaint still in flight is found by the sink alone.

        The complaint gets a random secret token (:meth:`reserve`), or
        ``secret_token`` when the channel derives one (a retried SMS must get the
        token of its first try)."""
        own_id = bool(record.get("id"))
        record, token = self.reserve(record, secret_token, reporter_token)
        event = build_submission(record, self.sealer, default_channel, token)
        before = stored(event.complaint_id) if stored and own_id else None
        future = self.producer.send(
            self.topic, key=event.complaint_id.encode(), value=event.model_dump_json().encode()
        )
        if wait:
            future.get(timeout=wait)
        if before and before != event.content_sha256:
            raise IdConflict(
                f"id {event.complaint_id} is already a case with other content (id_conflict)"
            )
        return Receipt(event.complaint_id, token)

    def flush(self, timeout: float = 30) -> None:
        self.producer.flush(timeout)


def stored_lookup(content_of: Callable[[list[str]], dict]) -> StoredContent:
    """``CaseStore.content_of`` as the one-id lookup ``Intake.submit`` asks. Intake
    does not need the store: when it is down, a conflict is still dead-lettered by
    the worker, only not reported to the sender."""

    def stored(complaint_id: str) -> str | None:
        try:
            return content_of([complaint_id]).get(complaint_id)
        except PyMongoError:
            return None

    return stored
