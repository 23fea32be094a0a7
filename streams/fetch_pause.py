"""Keep a consumer from spinning on a broker that answers empty fetches at once.

A Kafka broker holds a fetch that finds no data for up to ``fetch.max.wait.ms``
(faust asks for 1.5 s), so an idle consumer sends a couple of requests a
second. The embedded broker (noida-db) answers at once instead, so aiokafka's
fetcher loops: ~3,000 empty fetches a second, a whole core on the worker and
half a core on the broker, while idle and (for caught-up partitions) under load.

``install()`` wraps aiokafka's per-node fetch so that an *empty* answer that
came back sooner than ``pause`` waits out the rest of it before the next fetch
to that node. On a broker that honours the wait, an empty answer arrives after
the wait and nothing changes; a fetch that brings records is never delayed.
The cost on a fast-answering broker is at most ``pause`` of extra latency for
the first record after an idle spell.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka.consumer.fetcher import Fetcher

DEFAULT_PAUSE = 0.02  # seconds: 50 empty fetches/s per node at most

_state = {"pause": DEFAULT_PAUSE, "installed": False}


def install(pause: float = DEFAULT_PAUSE) -> None:
    """Idempotent; process-wide (every aiokafka consumer of this process)."""
    _state["pause"] = pause
    if _state["installed"]:
        return
    original = Fetcher._proc_fetch_request

    async def _proc_fetch_request(self, assignment, node_id, request):  # noqa: ANN001, ANN202
        started = time.monotonic()
        got_records = await original(self, assignment, node_id, request)
        if not got_records:
            rest = _state["pause"] - (time.monotonic() - started)
            if rest > 0:
                try:
                    await asyncio.sleep(rest)
                except asyncio.CancelledError:
                    # closing or unassigned: aiokafka's own fetch returns quietly then
                    return False
        return got_records

    Fetcher._proc_fetch_request = _proc_fetch_request
    _state["installed"] = True
