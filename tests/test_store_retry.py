"""The sink's wait for the case store (streams/sink.py ``store_with_retry``): an
outage is said when it starts, reminded while it lasts, and refused credentials
are named as the operator's to fix; the batch is stored once the store takes it."""

from __future__ import annotations

import asyncio
import logging

from pymongo.errors import AutoReconnect, OperationFailure

from casestore.store import Stored
from streams import sink


def failing(errors: list[Exception]):  # noqa: ANN201
    calls: list[int] = []

    def write(events: list[dict]) -> Stored:
        calls.append(len(events))
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return Stored(new=len(events))

    return write, calls


def test_refused_credentials_are_named_and_the_batch_waits(caplog, monkeypatch):
    monkeypatch.setattr(sink, "STILL_WAITING_EVERY", 0.0)  # a reminder every round
    refused = OperationFailure("Authentication failed.", code=18)
    write, calls = failing([refused] * 3)
    with caplog.at_level(logging.WARNING, logger="lapor.worker"):
        stored = asyncio.run(sink.store_with_retry(write, [{}, {}], max_delay=0.01))
    assert stored.new == 2 and len(calls) == 4
    lines = [r.getMessage() for r in caplog.records]
    refusals = [m for m in lines if "refuses the worker (authentication failed" in m]
    assert len(refusals) == 3 and "LAPOR_MONGODB_URI" in refusals[0]
    assert "waiting for" in refusals[-1] and "reachable again" in lines[-1]


def test_an_outage_is_said_once_then_reminded_not_per_try(caplog):
    write, calls = failing([AutoReconnect("connection refused")] * 5)
    with caplog.at_level(logging.WARNING, logger="lapor.worker"):
        asyncio.run(sink.store_with_retry(write, [{}], max_delay=0.01))
    lines = [r.getMessage() for r in caplog.records]
    assert len(calls) == 6
    assert sum("case store unavailable" in m for m in lines) == 1
    assert not any("still unavailable" in m for m in lines)  # within a minute: no reminder
    assert sum("reachable again" in m for m in lines) == 1
