"""The case sink: routed events become cases, one bulk write per batch.

    lapor.complaints.routed --sink--> MongoDB cases (bad events --> lapor.complaints.dlq)

Any event the sink cannot turn into a case goes to the dead-letter topic with its
reason, whatever went wrong, and the batch's other cases are stored: at the edge
(``streams/validate.py``: as strict as intake, since any client of the broker can
publish here), while building the case, or when the store refuses the document.
A poison event never stops the sink (issue 15).

A plain Kafka consumer loop rather than a faust agent: a sink does no stream
processing, it needs batches and a commit after each write, and faust's
per-event machinery cost more (~170 µs an event, measured on this machine)
than validating and storing the event. Offsets are committed only after the
bulk write succeeded, so a crash re-delivers at most the batch in flight and
the idempotent insert makes that harmless: at-least-once, never a duplicate.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from pymongo.errors import PyMongoError

from casestore.store import CaseStore, Stored
from streams.stages import StageClock
from streams.validate import RoutedEventError, validate_routed

log = logging.getLogger("lapor.worker")

DeadLetterSink = Callable[[ConsumerRecord, str], Awaitable[None]]


async def store_with_retry(
    write: Callable[[list[dict]], Stored], events: list[dict], max_delay: float = 10.0
) -> Stored:
    """Retry with capped exponential backoff until the store takes the batch
    (``write``: ``CaseStore.upsert_routed``, idempotent).

    An outage is logged once when it starts and once when it ends, not per
    message; the batch is not committed (so not lost) while we wait.
    """
    delay, failing = 0.2, False
    loop = asyncio.get_running_loop()
    while True:
        try:
            stored = await loop.run_in_executor(None, write, events)
            if failing:
                log.warning("case store reachable again; stored the waiting batch")
            return stored
        except PyMongoError as exc:
            if not failing:
                log.error("case store unavailable (%s); retrying with backoff", exc)
                failing = True
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, max_delay)


def reason(exc: Exception) -> str:
    """A dead letter's reason: the validator's own words, else the exception's."""
    if isinstance(exc, RoutedEventError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class CaseSink:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        store: CaseStore,
        dead_letter: DeadLetterSink,
        batch_size: int,
        within: float,
        clock: StageClock,
        on_stored: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.consumer, self.store, self.dead_letter = consumer, store, dead_letter
        self.batch_size, self.within, self.clock = batch_size, within, clock
        self.on_stored = on_stored  # after the commit: work beside storing (related cases)

    async def run(self) -> None:
        await self.consumer.start()
        try:
            while True:
                records = await self.next_batch()
                if records:
                    stored = await self.handle(records)
                    await self.commit(records)
                    if self.on_stored and stored:
                        self.on_stored(stored)
        finally:
            await self.consumer.stop()

    async def next_batch(self) -> list[ConsumerRecord]:
        """Up to ``batch_size`` records, waiting at most ``within`` after the first:
        a store call has a fixed cost, so a fuller batch is cheaper per case."""
        records: list[ConsumerRecord] = []
        first = None
        while len(records) < self.batch_size:
            wait = self.within if first is None else first + self.within - time.monotonic()
            if wait <= 0:
                break
            got = await self.consumer.getmany(
                timeout_ms=int(wait * 1000), max_records=self.batch_size - len(records)
            )
            for partition_records in got.values():
                records.extend(partition_records)
            if records and first is None:
                first = time.monotonic()
            elif first is None:
                return records
        return records

    async def handle(self, records: list[ConsumerRecord]) -> list[str]:
        """Store the batch; returns the ids of the cases now in the store."""
        events, sources = [], []
        with self.clock.stage("store: parse and validate", len(records)):
            for record in records:
                try:
                    events.append(validate_routed(record.value))
                except Exception as exc:  # noqa: BLE001 - whatever it is, this event only
                    await self.dead_letter(record, reason(exc))
                    continue
                sources.append(record)
        if events:
            insert = "store: build cases + bulk insert (thread)"
            with self.clock.stage(insert, len(events), cpu=False):
                write = self.clock.in_thread(insert, self.store.upsert_routed)
                stored = await store_with_retry(write, events)
            for i, why in sorted(stored.rejected.items()):
                case_id = events[i]["complaint"]["complaint_id"]
                log.warning("routed event %s dead-lettered: %s", case_id, why)
                await self.dead_letter(sources[i], why)
            return [
                e["complaint"]["complaint_id"]
                for i, e in enumerate(events)
                if i not in stored.rejected
            ]
        return []

    async def commit(self, records: list[ConsumerRecord], attempts: int = 5) -> None:
        """Commit what was stored. A commit that fails only means the batch may be
        delivered again (to this or another worker), which stores nothing twice."""
        offsets: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
        delay = 0.2
        for attempt in range(attempts):
            try:
                await self.consumer.commit(offsets)
                return
            except CommitFailedError as exc:  # partitions moved to another worker
                log.info("sink commit skipped after a rebalance (%s); will be re-read", exc)
                return
            except KafkaError as exc:
                if attempt == attempts - 1:
                    log.warning("sink commit failed (%s); the batch may be re-read", exc)
                    return
                await asyncio.sleep(delay)
                delay *= 2
