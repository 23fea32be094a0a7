"""Intake: every channel ends here. Validate, give a tracking id, publish.

Intake never classifies and never writes the case store: Kafka is the system
of record for what arrived. The web API, the SMS webhook, admin manual entry
and ``lapor submit`` all call :class:`Intake`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kafka import KafkaProducer
from pydantic import ValidationError

from lapor.privacy import Sealer
from streams.events import ComplaintSubmitted, new_tracking_id

REPORTER_FIELDS = ("name", "phone", "email", "nik")


class IntakeError(ValueError):
    """A complaint that cannot be accepted; the message says what to fix."""


def make_producer(bootstrap: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap,
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


def readable(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def build_submission(
    record: Mapping[str, Any], sealer: Sealer, default_channel: str = "bulk"
) -> ComplaintSubmitted:
    """Validate one incoming complaint and seal its reporter's identity."""
    reporter = _reporter(record)
    try:
        return ComplaintSubmitted(
            complaint_id=str(record.get("id") or new_tracking_id()),
            channel=record.get("channel") or default_channel,
            text=record.get("text") if isinstance(record.get("text"), str) else "",
            region_hint=record.get("region_hint") or None,
            privacy=record.get("privacy") or "public",
            reporter_sealed=sealer.seal(reporter) if reporter else None,
        )
    except ValidationError as exc:
        raise IntakeError(readable(exc)) from None


class Intake:
    def __init__(self, producer: KafkaProducer, topic: str, sealer: Sealer) -> None:
        self.producer, self.topic, self.sealer = producer, topic, sealer

    def submit(self, record: Mapping[str, Any], default_channel: str = "bulk") -> str:
        """Publish one complaint (asynchronously); returns its tracking id."""
        event = build_submission(record, self.sealer, default_channel)
        self.publish(event)
        return event.complaint_id

    def publish(self, event: ComplaintSubmitted) -> None:
        self.producer.send(
            self.topic, key=event.complaint_id.encode(), value=event.model_dump_json().encode()
        )

    def flush(self, timeout: float = 30) -> None:
        self.producer.flush(timeout)
