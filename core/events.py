"""Event schemas on the Kafka topics: the one place they are defined.

Every event carries ``schema_version``. Producers validate before publishing,
consumers validate at the edge and send what fails to the dead-letter topic;
unknown fields are ignored so older consumers read newer producers' events.
Reporter identity never travels in clear: intake seals it (``reporter_sealed``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime
from typing import Annotated, Literal

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.privacy import mask_identifiers

SCHEMA_VERSION = 1
Channel = Literal[
    "web", "mobile", "sms", "whatsapp", "twitter", "social", "admin", "bulk", "open311", "email"
]
Privacy = Literal["public", "anonim", "rahasia"]
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


def new_tracking_id(now: datetime | None = None) -> str:
    """A tracking id a citizen can read out: LPR-YYMMDD-XXXXXXXX (40 bits of randomness)."""
    now = now or datetime.now(UTC)
    tail = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"LPR-{now:%y%m%d}-{tail}"


def utcnow() -> datetime:
    return datetime.now(UTC)


def content_fingerprint(text: str, channel: str, region_hint: str | None, privacy: str) -> str:
    """What makes two submissions under one id the same complaint (a replay, a
    no-op) or not (an id conflict, dead-lettered): text, channel, region hint and
    privacy as submitted. The reporter's identity is left out: it travels sealed,
    and a plain hash of a phone number or NIK is reversed by trying them all."""
    canonical = json.dumps([text, channel, region_hint, privacy], ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @field_validator("schema_version", check_fields=False)
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"unsupported schema_version {value} (this worker reads 1)")
        return value


class ComplaintSubmitted(Event):
    schema_version: int = SCHEMA_VERSION
    complaint_id: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    submitted_at: datetime = Field(default_factory=utcnow)
    channel: Channel = "web"
    text: str = Field(min_length=1, max_length=20_000)
    region_hint: str | None = Field(None, max_length=200)
    # where the reporter's device put the incident (WGS 84), when a channel sends it
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)
    privacy: Privacy = "public"
    # the topic a sending system's user picked (Open311 service_code): kept for the
    # admins beside the model's choice, never routed on by itself
    requested_topic: str | None = Field(None, max_length=64, pattern=r"^[a-z0-9_]+$")
    # GridFS ids of the complaint's photos, stored at intake (casestore/photos.py):
    # photos never travel through Kafka, only these references
    photo_ids: list[Annotated[str, Field(pattern=r"^[0-9a-f]{24}$")]] = Field([], max_length=3)
    reporter_sealed: str | None = None
    # sha256 of the secret token a confidential (rahasia) reporter follows the case with
    access_token_hash: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    # content_fingerprint() of the complaint as submitted: set by intake, kept by
    # the routed event (whose text is masked), compared by the sink on a reused id
    content_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")

    def fingerprint(self) -> str:
        """The fingerprint intake gave this complaint, or else its own (an event
        published by another producer), computed before any masking."""
        return self.content_sha256 or content_fingerprint(
            self.text, self.channel, self.region_hint, self.privacy
        )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty")
        return value


class PredictionPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    agency: str
    topic: str
    confidence: float
    topic_confidence: float
    top3: list[dict]
    terms: list[str]
    confident: bool
    model_version: str
    concepts: list[str] = []  # glossary concepts that fired (older events have none)


class DecisionPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    agency: str
    topic: str
    tier: str
    status: str
    unit_id: str | None
    unit_name: str | None
    province_code: str | None
    province: str | None
    regency_code: str | None
    regency: str | None
    region_source: str | None
    region_candidates: list[str] = []
    reasons: list[str] = []


ROUTER = "sistem"  # ``decided_by`` of the worker's own routing (the history's word for it)
MAX_DECISION_VERSION = 100_000


class ComplaintRouted(Event):
    """A routing decision for a complaint, on ``lapor.complaints.routed``: what the
    case sink stores and what units' own systems subscribe to.

    The worker publishes version 1 (``decided_by`` = ``sistem``). Each re-dispatch
    in the console publishes the same complaint again with the next
    ``decision_version``, the admin's username in ``decided_by`` and the reason:
    the new unit hears of the case the way it hears of any other. Consumers keep
    the newest version they have seen and ignore older ones (a replay never rolls
    a decision back); an event without these fields is version 1 by the worker."""

    schema_version: int = SCHEMA_VERSION
    complaint: ComplaintSubmitted
    prediction: PredictionPayload
    decision: DecisionPayload
    routed_at: datetime = Field(default_factory=utcnow)
    decision_version: int = Field(1, ge=1, le=MAX_DECISION_VERSION)
    decided_by: str = Field(ROUTER, min_length=1, max_length=200)
    reason: str | None = Field(None, max_length=2_000)


def routed_event(
    complaint: ComplaintSubmitted,
    prediction: dict,
    decision: dict,
    *,
    decision_version: int = 1,
    decided_by: str = ROUTER,
    reason: str | None = None,
    routed_at: datetime | None = None,
) -> bytes:
    """A :class:`ComplaintRouted` as JSON: the one constructor, for the worker's
    decision (version 1) and for every re-dispatch in the console.

    The text and the region hint travel masked (NIK, phone numbers, e-mails, URLs,
    names, ...): routed events are what units' systems may subscribe to; the
    original stays on the intake topic only. The fingerprint of the original is
    kept for the sink's id-conflict check. Not re-validated here: the producer
    built it from its own objects, and pydantic construction per event was a third
    of the route agent's time; every consumer validates it at its edge
    (``streams.validate``)."""
    hint = complaint.region_hint
    masked = complaint.model_copy(
        update={
            "text": mask_identifiers(complaint.text),
            "region_hint": mask_identifiers(hint) if hint else hint,
            "content_sha256": complaint.fingerprint(),
        }
    )
    event: dict = {
        "schema_version": SCHEMA_VERSION,
        "complaint": masked,
        "prediction": prediction,
        "decision": decision,
        "routed_at": routed_at or utcnow(),
    }
    if decision_version != 1:
        event.update(decision_version=decision_version, decided_by=decided_by, reason=reason)
    return pydantic_core.to_json(event)


class CaseOverridden(Event):
    """A person corrected a routing decision, on ``lapor.cases.overridden``: the
    correction the training export learns from (the worker records it in the
    ``corrections`` collection, ``streams/corrections.py``). Published with the
    re-dispatch's routed event of the same ``decision_version``; ``text`` is
    masked. Older events have no ``decision_version`` (None)."""

    schema_version: int = SCHEMA_VERSION
    complaint_id: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    decision_version: int | None = Field(None, ge=2, le=MAX_DECISION_VERSION)
    by: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2_000)
    before: dict[str, str | None]
    after: dict[str, str | None]
    text: str = Field(min_length=1, max_length=20_000)
    model_agency: str | None = Field(None, max_length=64)
    model_topic: str | None = Field(None, max_length=64)
    at: datetime = Field(default_factory=utcnow)


NotificationKind = Literal["status", "answer", "info_request", "redispatch", "escalation"]


class Notification(Event):
    """Something the reporter should hear of, on ``lapor.notifications``: a status
    change, a unit's answer, a request for information, a re-dispatch, an
    escalation (``kind``). The case store writes it into the case's outbox in the
    same update as the change; the worker's relay publishes it (``streams/relay.py``),
    at least once; ``event_id`` makes delivery idempotent (``streams/notifier.py``).

    ``note`` is what the citizen may read (masked); the reporter's contact travels
    sealed and is opened only inside the notifier. ``privacy`` lets the notifier
    keep a rahasia complaint's text out of the message."""

    schema_version: int = SCHEMA_VERSION
    event_id: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9._:#-]+$")
    case_id: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    kind: NotificationKind
    status: str = Field(min_length=1, max_length=64)
    note: str | None = Field(None, max_length=4_000)
    unit: str | None = Field(None, max_length=300)
    privacy: Privacy = "public"
    reporter_sealed: str | None = None
    at: datetime


class DeadLetter(BaseModel):
    model_config = ConfigDict(extra="ignore")
    schema_version: int = SCHEMA_VERSION
    reason: str
    source_topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    raw: str  # the payload as text (invalid UTF-8 replaced), at most RAW_PREVIEW chars
    raw_base64: str | None  # the exact bytes, when they fit in a dead letter
    raw_size: int
    raw_sha256: str
    truncated: bool = False  # the full payload stays at source_topic/partition/offset
    received_at: datetime = Field(default_factory=utcnow)
