"""An idle consumer must not spin: the embedded broker answers empty fetches at
once, and without the pause aiokafka sent thousands of fetches a second."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.consumer.fetcher import Fetcher

from lapor import stack
from streams import fetch_pause

pytestmark = pytest.mark.integration


def _fetches_while_idle(bootstrap: str, topic: str, seconds: float) -> int:
    installed = Fetcher._proc_fetch_request
    calls = 0

    async def counting(self, *args, **kwargs):
        nonlocal calls
        calls += 1
        return await installed(self, *args, **kwargs)

    async def run() -> None:
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            await consumer.getmany(timeout_ms=1000)  # assigned and positioned
            nonlocal calls
            calls = 0
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                await consumer.getmany(timeout_ms=200)
        finally:
            await consumer.stop()

    Fetcher._proc_fetch_request = counting
    try:
        asyncio.run(run())
    finally:
        Fetcher._proc_fetch_request = installed
    return calls


def test_idle_consumer_fetches_at_most_once_per_pause(stack_settings):
    bootstrap = stack.endpoints(stack_settings).kafka_bootstrap
    topic = f"idle.{uuid.uuid4().hex[:8]}"
    stack.create_topics(bootstrap, [topic], 4)
    try:
        fetch_pause.install(pause=0.05)
        paused = _fetches_while_idle(bootstrap, topic, 2.0)
        assert paused <= 2.0 / 0.05 * 1.5, paused
        if not os.environ.get("LAPOR_KAFKA_BOOTSTRAP"):
            # the control: on the embedded broker, no pause means a busy loop
            fetch_pause.install(pause=0.0)
            spinning = _fetches_while_idle(bootstrap, topic, 2.0)
            assert spinning > 10 * paused, (spinning, paused)
    finally:
        fetch_pause.install()
        stack.delete_topics(bootstrap, [topic])
