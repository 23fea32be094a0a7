"""Classify + route a batch of complaints: the one code path behind the worker
and ``lapor route`` (which runs it without Kafka)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from classifier.model import ComplaintModel, Prediction
from core.settings import Settings
from routing_rules.engine import Router, RoutingDecision
from streams.intake import region_hint_text


@dataclass
class Routed:
    prediction: Prediction
    decision: RoutingDecision


class ModelSource:
    """Where the serving model comes from: the MLflow registry's ``champion`` and
    nothing else, so every worker, ``lapor route``, the benchmarks and the monitor
    serve the same version and every case records it as ``complaint-router/N``.
    There is no file fallback: a registry without a champion means no model
    (``lapor train`` registers the first one and makes it champion)."""

    def __init__(self, mlflow_uri: str | None, state_dir: Path) -> None:
        from classifier.registry import configure

        self.client = configure(mlflow_uri, state_dir)

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelSource:
        return cls(settings.mlflow_uri, settings.state_dir)

    def current(self) -> ComplaintModel:
        """The model served right now (the caller ensures there is one)."""
        return self.load(self.version())

    def version(self) -> str | None:
        """The champion's registry version number, or None when there is none."""
        from classifier.registry import champion_version

        return champion_version(self.client)

    def load(self, version: str) -> ComplaintModel:
        from classifier.registry import load_version

        return load_version(version)


class ModelHolder:
    """The current model, re-checked between batches (at most every ``check_every``
    seconds), so a newly promoted champion reaches running workers without a restart."""

    def __init__(self, source: ModelSource, check_every: float = 5.0) -> None:
        self.source, self.check_every = source, check_every
        self._version = source.version()
        if self._version is None:
            raise LookupError("no champion in the model registry: run `lapor train` first")
        self.model: ComplaintModel = source.load(self._version)
        self._checked = time.monotonic()

    def current(self) -> ComplaintModel:
        now = time.monotonic()
        if now - self._checked >= self.check_every:
            self._checked = now
            version = self.source.version()
            if version and version != self._version:
                self.model, self._version = self.source.load(version), version
        return self.model


def decide(model: ComplaintModel, router: Router, complaints: list[dict]) -> list[Routed]:
    """complaints: dicts with ``text`` and optional ``region_hint``/``channel``."""
    predictions = model.predict([c["text"] for c in complaints])
    return [
        Routed(
            p,
            router.route(
                c["text"],
                p.agency,
                p.topic,
                region_hint=region_hint_text(c.get("region_hint")),
                channel=c.get("channel"),
                confident=p.confident,
            ),
        )
        for c, p in zip(complaints, predictions)
    ]


def route_output(complaint: dict, routed: Routed) -> dict:
    """The flat record ``lapor route`` prints, one per input line."""
    d, p = routed.decision, routed.prediction
    return {
        "id": complaint.get("id"),
        "agency": d.agency,
        "topic": d.topic,
        "confidence": p.confidence,
        "tier": d.tier,
        "province": d.province,
        "regency": d.regency,
        "unit_id": d.unit_id,
        "unit_name": d.unit_name,
        "status": d.status,
        "reasons": d.reasons,
        "top3": p.top3,
        "terms": p.terms,
        "concepts": p.concepts,
        "model_version": p.model_version,
    }
