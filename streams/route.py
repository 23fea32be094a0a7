"""The route stage: submitted complaints become routed events.

    lapor.complaints.submitted --route--> lapor.complaints.routed
                     bad input --route--> lapor.complaints.dlq

A batch at a time (``streams/batches.py``): parse each complaint at the edge
(bad input is dead-lettered with its reason, the rest goes on), classify the
whole batch in one model call in a thread (so the consumer keeps heart-beating),
resolve region and rules, publish one routed event per complaint, and let the
batch be committed only once the broker has acknowledged every routed event and
dead letter of it. Values are read as raw bytes so that a malformed event
becomes a dead letter instead of killing the stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from pydantic import ValidationError

from core.events import ComplaintSubmitted, routed_event
from routing_rules.engine import Router
from streams.batches import BatchConsumer
from streams.decide import ModelHolder, decide
from streams.stages import StageClock

# (topic, key, value) -> the delivery to await before the batch is committed
Produce = Callable[[str, bytes, bytes], Awaitable[asyncio.Future]]
DeadLetter = Callable[[ConsumerRecord, str], Awaitable[None]]


def parse_submitted(raw: bytes) -> ComplaintSubmitted:
    """Raises ValueError with a reason a person can act on."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ValueError(f"payload is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        return ComplaintSubmitted.model_validate_json(text)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(reasons) from None


class RouteStage(BatchConsumer):
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        models: ModelHolder,
        router: Router,
        produce: Produce,
        dead_letter: DeadLetter,
        topic_routed: str,
        batch_size: int,
        within: float,
        clock: StageClock,
    ) -> None:
        super().__init__(consumer, batch_size, within)
        self.models, self.router, self.produce = models, router, produce
        self.dead_letter, self.topic_routed, self.clock = dead_letter, topic_routed, clock

    async def handle(self, records: list[ConsumerRecord]) -> list[str]:
        good: list[ComplaintSubmitted] = []
        with self.clock.stage("route: parse and validate", len(records)):
            for record in records:
                try:
                    good.append(parse_submitted(record.value))
                except ValueError as exc:
                    await self.dead_letter(record, str(exc))
        if not good:
            return []
        classify = "route: classify + resolve region + rules (thread)"
        with self.clock.stage(classify, len(good), cpu=False):
            # the three fields routing reads, not a dump of the whole event
            inputs = [
                {"text": c.text, "region_hint": c.region_hint, "channel": c.channel} for c in good
            ]
            results = await asyncio.get_running_loop().run_in_executor(
                None,
                self.clock.in_thread(classify, decide),
                self.models.current(),
                self.router,
                inputs,
            )
        pending = []
        with self.clock.stage("route: serialise + produce routed events", len(good)):
            for complaint, result in zip(good, results):
                out = routed_event(
                    complaint, result.prediction.to_dict(), result.decision.to_dict()
                )
                pending.append(
                    await self.produce(self.topic_routed, complaint.complaint_id.encode(), out)
                )
        # committed only once the broker has every routed event of the batch
        with self.clock.stage("route: wait for the broker's acks", len(good), cpu=False):
            await asyncio.gather(*pending)
        return []
