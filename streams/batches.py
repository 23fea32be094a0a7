"""A plain Kafka batch consumer: take a batch, handle it, commit it.

Every stage of the worker that reads a topic (the route stage, the case sink,
the corrections sink) is one of these rather than a faust agent. None of them
does stream processing (no tables, windows or joins): each needs a batch, one
expensive call for the whole batch (the model, a bulk write), and a commit once
that call's effects are durable. faust's per-event machinery (its event
objects, acknowledgement tracking, channels) cost more than the work it carried:
~170 µs an event on this machine, measured on the sink alone, more than
validating and storing the event (README, "End to end").

At-least-once: offsets are committed after ``handle`` returns, so a crash or a
rebalance re-delivers at most the batches in flight, and every handler is
idempotent on redelivery (a complaint id routes to one case).
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

log = logging.getLogger("lapor.worker")


class BatchConsumer(ABC):
    """Subclasses implement :meth:`handle`; ``after`` (optional) receives what
    ``handle`` returned, once the batch is committed (work beside the stage)."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        batch_size: int,
        within: float,
        after: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.consumer, self.batch_size, self.within = consumer, batch_size, within
        self.after = after

    @abstractmethod
    async def handle(self, records: list[ConsumerRecord]) -> list[str]:
        """Do the stage's work for one batch; returns what ``after`` receives."""

    async def run(self) -> None:
        await self.consumer.start()
        try:
            while True:
                records = await self.next_batch()
                if records:
                    done = await self.handle(records)
                    await self.commit(records)
                    if self.after and done:
                        self.after(done)
        finally:
            await self.consumer.stop()

    async def next_batch(self) -> list[ConsumerRecord]:
        """Up to ``batch_size`` records, waiting at most ``within`` after the first:
        the batch's one call has a fixed cost, so a fuller batch is cheaper per event."""
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

    async def commit(self, records: list[ConsumerRecord], attempts: int = 5) -> None:
        """Commit what was handled. A commit that fails only means the batch may be
        delivered again (to this or another worker), which changes nothing."""
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
                log.info("commit skipped after a rebalance (%s); will be re-read", exc)
                return
            except KafkaError as exc:
                if attempt == attempts - 1:
                    log.warning("commit failed (%s); the batch may be re-read", exc)
                    return
                await asyncio.sleep(delay)
                delay *= 2
