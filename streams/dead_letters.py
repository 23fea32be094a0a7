"""The dead-letter consumer: complaints that could not be processed, by id.

    lapor.complaints.dlq --dead letters--> MongoDB dead_letters (casestore/dead_letters.py)

So that a tracking id the system issued answers ``tidak_dapat_diproses`` with a
reason instead of ``diterima`` for ever when the worker dead-lettered it. Only
letters of complaints (from the submitted and routed topics, keyed by the
complaint id) are recorded, without their payload; the topic keeps the rest.
The same batching, retry and commit as the case sink (``streams/sink.py``). A
message here that is no dead letter is logged and skipped: dead-lettering a
dead letter would feed this consumer its own output.
"""

from __future__ import annotations

import logging

from aiokafka import ConsumerRecord
from pydantic import ValidationError

from core.events import DeadLetter
from streams.sink import CaseSink, store_with_retry
from streams.validate import decoded

log = logging.getLogger("lapor.worker")


class DeadLetterRecorder(CaseSink):
    """``CaseSink`` with another edge and another write; ``store`` is the
    ``DeadLetterStore`` and ``sources`` the topics whose letters are complaints."""

    def __init__(self, *args: object, sources: set[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.sources = frozenset(sources)

    async def handle(self, records: list[ConsumerRecord]) -> list[str]:
        letters = []
        for record in records:
            try:
                letter = DeadLetter.model_validate_json(decoded(record.value))
            except (ValidationError, ValueError) as exc:
                log.warning("not a dead letter at %s/%s: %s", record.partition, record.offset, exc)
                continue
            if letter.key and letter.source_topic in self.sources:
                letters.append(letter.model_dump())
        if letters:
            with self.clock.stage("dead letters: record", len(letters), cpu=False):
                await store_with_retry(self.store.record, letters)
        return []
