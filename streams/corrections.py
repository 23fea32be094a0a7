"""The corrections consumer: overridden events become training labels.

    lapor.cases.overridden --corrections--> MongoDB corrections --> lapor dataset export

A person's correction of a route (``core.events.CaseOverridden``) is what the
training export learns from (``casestore/export.py``); this task of the worker
records each one, once per (case, decision version), so a replayed or
redelivered event changes nothing. The same batching, retry and commit as the
case sink (``streams/sink.py``); an event that is not a correction is
dead-lettered with its reason and the rest of the batch is recorded.
"""

from __future__ import annotations

from aiokafka import ConsumerRecord
from pydantic import ValidationError

from core.events import CaseOverridden
from streams.sink import CaseSink, store_with_retry
from streams.validate import RoutedEventError, check_keys, decoded, readable


def validate_overridden(raw: bytes | str) -> dict:
    """The overridden event as a dict, or RoutedEventError with the reason."""
    try:
        event = CaseOverridden.model_validate_json(decoded(raw))
    except ValidationError as exc:
        raise RoutedEventError(readable(exc)) from None
    data = event.model_dump()
    check_keys(data)
    return data


class CorrectionSink(CaseSink):
    """``CaseSink`` with another edge and another write (``store`` is the CaseStore)."""

    async def handle(self, records: list[ConsumerRecord]) -> list[str]:
        events = []
        for record in records:
            try:
                events.append(validate_overridden(record.value))
            except Exception as exc:  # noqa: BLE001 - whatever it is, this event only
                await self.dead_letter(record, str(exc))
        if events:
            with self.clock.stage("corrections: record", len(events), cpu=False):
                await store_with_retry(self.store.record_corrections, events)
        return []  # no new cases: nothing for the related-case linker
