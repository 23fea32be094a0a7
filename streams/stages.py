"""Where a worker's time goes, stage by stage, for ``lapor bench e2e``.

A sampling or tracing profiler either misses the threads that do the work
(cProfile sees only the event loop) or slows the run it measures. The agents
instead time each stage of each batch with ``perf_counter`` (a few calls per
batch of hundreds of events) and, when a path is set, write the totals there
as JSON about once a second and when the worker stops.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

FLUSH_EVERY = 1.0  # seconds
T = TypeVar("T")


def _empty_row() -> dict[str, float]:
    return {"seconds": 0.0, "cpu_seconds": 0.0, "batches": 0, "events": 0}


class StageClock:
    """Wall seconds and CPU seconds per stage. CPU is the stage's own thread
    time: measured around code that does not await (``cpu=True``), or inside
    the function a worker thread runs (``in_thread``)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.totals: dict[str, dict[str, float]] = {}
        self._flushed = 0.0

    def _row(self, name: str) -> dict[str, float]:
        return self.totals.setdefault(name, _empty_row())

    @contextmanager
    def stage(self, name: str, events: int = 0, cpu: bool = True) -> Iterator[None]:
        started, cpu_started = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            row = self._row(name)
            row["seconds"] += time.perf_counter() - started
            if cpu:
                row["cpu_seconds"] += time.thread_time() - cpu_started
            row["batches"] += 1
            row["events"] += events
            self.flush()

    def in_thread(self, name: str, fn: Callable[..., T]) -> Callable[..., T]:
        """``fn`` for an executor, adding the CPU time of the thread that runs it."""

        def timed(*args: object) -> T:
            cpu_started = time.thread_time()
            try:
                return fn(*args)
            finally:
                self._row(name)["cpu_seconds"] += time.thread_time() - cpu_started

        return timed

    def flush(self, force: bool = False) -> None:
        if self.path is None or (not force and time.monotonic() - self._flushed < FLUSH_EVERY):
            return
        self._flushed = time.monotonic()
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.totals))
        tmp.replace(self.path)


def read_stages(paths: list[Path]) -> dict[str, dict[str, float]]:
    """The totals of several workers' files, summed per stage."""
    merged: dict[str, dict[str, float]] = {}
    for path in paths:
        if not path.exists():
            continue
        for name, row in json.loads(path.read_text()).items():
            into = merged.setdefault(name, _empty_row())
            for key in into:
                into[key] += row[key]
    return merged
