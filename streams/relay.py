"""The outbox relay: cases' pending notifications onto ``lapor.notifications``.

    MongoDB cases.outbox --relay--> lapor.notifications --> streams/notifier.py

The case store writes each notification into the case's outbox in the same
update as the change it tells of (``casestore/outbox.py``); this relay, a timer
of the worker, publishes the pending entries and marks each sent once the
broker has acknowledged it. At-least-once: a relay that dies between the
broker's acknowledgement and the mark, or two relays that read the same entry,
publish it twice with the same ``event_id``, and the notifier delivers it once.

The event carries the case's sealed reporter contact as it is *now* (a key
rotation re-seals cases, not old events) and its privacy; the contact is opened
only by the notifier.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from casestore.store import CaseStore
from core.events import Notification

log = logging.getLogger("lapor.worker")

# (key, value) -> once the broker has it
Publish = Callable[[bytes, bytes], Awaitable[None]]


def notification(case: dict, entry: dict) -> Notification:
    """The event for one outbox entry of ``case``."""
    return Notification(
        event_id=entry["event_id"],
        case_id=case["_id"],
        kind=entry["kind"],
        status=entry["status"],
        note=entry.get("note"),
        unit=entry.get("unit"),
        privacy=case.get("privacy") or "public",
        reporter_sealed=case.get("reporter_sealed"),
        at=entry["at"],
    )


class OutboxRelay:
    def __init__(self, store: CaseStore, publish: Publish, batch: int = 100) -> None:
        self.store, self.publish, self.batch = store, publish, batch

    async def run_once(self) -> int:
        """Publish what is pending now; returns how many entries were marked sent."""
        loop = asyncio.get_running_loop()
        cases = await loop.run_in_executor(None, self.store.pending_notifications, self.batch)
        sent = 0
        for case in cases:
            for entry in case["outbox"]:
                try:
                    event = notification(case, entry)
                except ValueError as exc:
                    # an entry no event can carry never will: logged once and marked,
                    # or it would be tried (and logged) every round for ever
                    log.error("notification %s cannot be published: %s", entry["event_id"], exc)
                else:
                    await self.publish(case["_id"].encode(), event.model_dump_json().encode())
                marked = await loop.run_in_executor(
                    None,
                    self.store.mark_notification_sent,
                    case["_id"],
                    entry["event_id"],
                    datetime.now(UTC),
                )
                sent += marked
        return sent
