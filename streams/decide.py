"""Classify + route a batch of complaints: the one code path behind the worker
and ``lapor route`` (which runs it without Kafka)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from classifier.model import ComplaintModel, Prediction, load_model
from routing_rules.engine import Router, RoutingDecision


@dataclass
class Routed:
    prediction: Prediction
    decision: RoutingDecision


class ModelHolder:
    """The current model, re-read when its file changes (checked between batches),
    so a retrained or promoted model reaches running workers without a restart."""

    def __init__(self, path: Path, check_every: float = 5.0) -> None:
        self.path, self.check_every = path, check_every
        self._mtime = os.stat(path).st_mtime_ns
        self.model: ComplaintModel = load_model(path)
        self._checked = time.monotonic()

    def current(self) -> ComplaintModel:
        now = time.monotonic()
        if now - self._checked >= self.check_every:
            self._checked = now
            mtime = os.stat(self.path).st_mtime_ns
            if mtime != self._mtime:
                self.model, self._mtime = load_model(self.path), mtime
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
                region_hint=c.get("region_hint"),
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
        "model_version": p.model_version,
    }
