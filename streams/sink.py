"""The case sink: routed events become cases, one bulk write per batch.

    lapor.complaints.routed --sink--> MongoDB cases (bad events --> lapor.complaints.dlq)

Any event the sink cannot turn into a case goes to the dead-letter topic with its
reason, whatever went wrong, and the batch's other cases are stored: at the edge
(``streams/validate.py``: as strict as intake, since any client of the broker can
publish here), while building the case, or when the store refuses the document.
A poison event never stops the sink (issue 15).

A plain batch consumer (``streams/batches.py``): offsets are committed only after
the bulk write succeeded, so a crash re-delivers at most the batch in flight and
the idempotent insert makes that harmless: at-least-once, never a duplicate.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from pymongo.errors import PyMongoError

from casestore.store import CaseStore, Stored
from streams.batches import BatchConsumer
from streams.stages import StageClock
from streams.validate import RoutedEventError, validate_routed

log = logging.getLogger("lapor.worker")

DeadLetterSink = Callable[[ConsumerRecord, str], Awaitable[None]]


# MongoDB error codes that no retry mends: only an operator can (credentials, roles)
NEEDS_OPERATOR = {13: "not authorised", 18: "authentication failed"}
STILL_WAITING_EVERY = 60.0  # seconds between "still waiting" lines during an outage


async def store_with_retry(
    write: Callable[[list[dict]], Stored], events: list[dict], max_delay: float = 10.0
) -> Stored:
    """Retry with capped exponential backoff until the store takes the batch
    (``write``: ``CaseStore.upsert_routed``, idempotent).

    An outage is logged when it starts, every ``STILL_WAITING_EVERY`` seconds while
    it lasts (with how long), and when it ends, not per message; the batch is not
    committed (so not lost) while we wait. Refused credentials or roles are waited
    out the same way (nothing is dropped) but said as what they are: a fix for
    the operator, not an outage that passes by itself.
    """
    delay, since, said = 0.2, None, 0.0
    loop = asyncio.get_running_loop()
    while True:
        try:
            stored = await loop.run_in_executor(None, write, events)
            if since is not None:
                waited = loop.time() - since
                log.warning("case store reachable again after %.0f s; stored the batch", waited)
            return stored
        except PyMongoError as exc:
            now = loop.time()
            if since is None or now - said >= STILL_WAITING_EVERY:
                log.error("%s", outage_message(exc, 0.0 if since is None else now - since))
                since, said = since if since is not None else now, now
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, max_delay)


def outage_message(exc: PyMongoError, waited: float) -> str:
    """The log line of an outage: its start (``waited`` 0), then reminders."""
    code = getattr(exc, "code", None)
    if code in NEEDS_OPERATOR:
        what = (
            f"case store refuses the worker ({NEEDS_OPERATOR[code]}: {exc}); check the "
            "user and roles in LAPOR_MONGODB_URI; the batch waits, nothing is lost"
        )
        return what if not waited else f"{what} (waiting for {waited:.0f} s)"
    if not waited:
        return f"case store unavailable ({exc}); retrying with backoff"
    return f"case store still unavailable after {waited:.0f} s ({exc}); retrying"


def reason(exc: Exception) -> str:
    """A dead letter's reason: the validator's own words, else the exception's."""
    if isinstance(exc, RoutedEventError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class CaseSink(BatchConsumer):
    """Routed events -> cases. ``on_stored`` receives the stored ids after the
    commit: work beside storing (the related-case linker), never in its way."""

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
        super().__init__(consumer, batch_size, within, after=on_stored)
        self.store, self.dead_letter, self.clock = store, dead_letter, clock

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
