"""The routing worker: a faust app whose tasks read like the data flow.

    lapor.complaints.submitted --route--> lapor.complaints.routed --sink--> MongoDB cases
                     bad input --route--> lapor.complaints.dlq <--sink-- bad input
    lapor.cases.overridden --corrections--> MongoDB corrections (the training export)
    lapor.complaints.dlq --dead letters--> MongoDB dead_letters (what a tracking id answers)
    MongoDB cases.outbox --relay--> lapor.notifications (the notifier delivers them)

Each arrow is a batch stage with its own consumer group (``streams/batches.py``):
the route stage (``streams/route.py``) classifies a batch in one model call, the
case sink (``streams/sink.py``) stores a batch in one bulk write, the
corrections sink records overrides. faust runs them as tasks beside the timers
(escalation), owns the producer and the worker's life cycle (signals, graceful
shutdown). Blocking work (the model, pymongo) runs in a thread so the consumers
keep heart-beating.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import faust
from aiokafka import AIOKafkaConsumer
from pymongo.errors import PyMongoError

from casestore.dead_letters import DeadLetterStore
from casestore.feedback import auto_close_due
from casestore.photos import PhotoStore
from casestore.related import RelatedLinker
from casestore.store import CaseStore, connect
from core.events import DeadLetter
from core.kafka import aiokafka_options, bootstrap_servers, faust_broker, faust_options
from core.settings import Settings
from routing_rules.engine import Router
from streams import fetch_pause
from streams.corrections import CorrectionSink
from streams.dead_letters import DeadLetterRecorder
from streams.decide import ModelHolder, ModelSource
from streams.relay import OutboxRelay
from streams.route import RouteStage
from streams.sink import CaseSink
from streams.stages import StageClock

log = logging.getLogger("lapor.worker")


# A dead letter must itself fit in a Kafka message: a huge payload keeps a
# preview, its size and hash here; its bytes stay at the source offset.
RAW_PREVIEW = 64 * 1024
RAW_KEEP = 256 * 1024


def dead_letter(raw: bytes, reason: str, topic: str, message: object) -> DeadLetter:
    """``message``: where the payload was read (partition, offset, key attributes)."""
    key = getattr(message, "key", None)
    data = raw if isinstance(raw, bytes) else str(raw).encode()
    keep = len(data) <= RAW_KEEP
    return DeadLetter(
        reason=reason,
        source_topic=topic,
        partition=getattr(message, "partition", None),
        offset=getattr(message, "offset", None),
        key=key.decode("utf-8", "replace") if isinstance(key, bytes) else key,
        raw=data[:RAW_PREVIEW].decode("utf-8", "replace"),
        raw_base64=base64.b64encode(data).decode() if keep else None,
        raw_size=len(data),
        raw_sha256=hashlib.sha256(data).hexdigest(),
        truncated=not keep,
    )


def create_app(settings: Settings, bootstrap: str, mongodb_uri: str) -> faust.App:
    roles = {"all": {"route", "store"}, "route": {"route"}, "store": {"store"}}[
        settings.worker_role
    ]
    fetch_pause.install()
    app = faust.App(
        settings.worker_id,
        broker=faust_broker(bootstrap),
        **faust_options(settings),
        store="memory://",
        datadir=str(Path(settings.state_dir) / "worker"),
        web_enabled=False,
        topic_partitions=settings.partitions,
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        # faust's own consumer reads no data topic now (only its assignor's), but the
        # app starts its tasks after that consumer joined its group: with static
        # membership a restarted worker rejoins at once instead of after a session
        # timeout of the member it replaces
        consumer_group_instance_id=settings.worker_instance,
        # batch what the stages publish: one produce request per batch, not per event
        producer_linger_ms=20,
        producer_max_batch_size=512 * 1024,
    )

    models = (
        ModelHolder(
            ModelSource.from_settings(settings),
            check_every=settings.model_check_seconds,
        )
        if "route" in roles
        else None
    )
    router = Router()
    store = CaseStore(connect(mongodb_uri, settings.mongodb_db))
    loop_executor = None  # the default thread pool
    clock = StageClock(settings.profile_path)

    @app.on_before_shutdown.connect
    async def write_stage_times(app: faust.App, **kwargs: object) -> None:
        clock.flush(force=True)

    @app.task
    async def prepare_store() -> None:
        await asyncio.get_running_loop().run_in_executor(loop_executor, store.ensure_indexes)

    async def store_round(fn: Callable[[], int], skipped: str, done: str) -> None:
        """One round of an idempotent store job on a timer (any number of workers
        may run it): in a thread; a store outage skips the round, the next retries."""
        try:
            n = await asyncio.get_running_loop().run_in_executor(loop_executor, fn)
        except PyMongoError as exc:
            log.warning("%s skipped this round: %s", skipped, exc)
            return
        if n:
            log.warning(done, n)

    @app.timer(interval=settings.escalation_seconds)
    async def escalate_overdue() -> None:
        """Overdue cases become visible one tier up."""
        await store_round(store.escalate_overdue, "escalation", "escalated %d overdue case(s)")

    @app.timer(interval=settings.photo_cleanup_seconds)
    async def remove_orphan_photos() -> None:
        """Photos whose complaint never became a case, older than 72 hours
        (``casestore/photos.py``)."""
        photos = PhotoStore(store.db)
        await store_round(
            lambda: photos.remove_orphans(store.cases),
            "orphan photo cleanup",
            "removed %d orphan photo(s)",
        )

    @app.timer(interval=settings.auto_close_seconds)
    async def close_unanswered() -> None:
        """Answered cases without a reply from the citizen by their ``auto_close_at``
        close themselves (casestore/feedback.py)."""
        await store_round(
            lambda: auto_close_due(store, datetime.now(UTC)),
            "automatic closing",
            "closed %d answered case(s) without a reply",
        )

    @app.timer(interval=settings.identity_erase_seconds)
    async def erase_expired_identities() -> None:
        """Reporters' identities of cases closed longer than the retention period
        (casestore/identities.py)."""
        await store_round(
            lambda: store.erase_expired_identities(
                datetime.now(UTC), settings.identity_retention_days
            ),
            "identity retention",
            "erased the reporter identity of %d case(s) closed past retention",
        )

    async def publish_notification(key: bytes, value: bytes) -> None:
        await (await app.producer.send(settings.topic_notifications, key, value, None, None, None))

    relay = OutboxRelay(store, publish_notification)

    async def relay_outbox() -> None:
        """Cases' pending notifications -> lapor.notifications (``streams/relay.py``)."""
        try:
            n = await relay.run_once()
        except Exception as exc:  # noqa: BLE001 - store or broker away: the next round retries
            log.warning("notification relay stopped this round: %s", exc)
            return
        if n:
            log.info("relayed %d notification(s)", n)

    async def send_dead_letter(
        raw: bytes, reason: str, topic: str, message: object
    ) -> asyncio.Future:
        """Publish a dead letter; returns its delivery (await it before acknowledging)."""
        letter = dead_letter(raw, reason, topic, message)
        return await app.producer.send(
            settings.topic_dlq,
            letter.key.encode() if letter.key else None,
            letter.model_dump_json().encode(),
            None,
            None,
            None,
        )

    async def sink_dead_letter(record: object, reason: str) -> None:
        await (await send_dead_letter(record.value, reason, record.topic, record))

    async def produce(topic: str, key: bytes, value: bytes) -> asyncio.Future:
        # the transport's producer directly: faust's per-message Topic.send
        # machinery (codecs, callbacks) cost more than the event itself
        return await app.producer.send(topic, key, value, None, None, None)

    def consumer(topic: str, group: str, batch_size: int) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap_servers(bootstrap),
            **aiokafka_options(settings),
            group_id=f"{settings.worker_id}-{group}",
            group_instance_id=(
                f"{settings.worker_instance}-{group}" if settings.worker_instance else None
            ),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=batch_size,
        )

    async def route() -> None:
        """Submitted complaints -> routed events (``streams/route.py``)."""
        stage = RouteStage(
            consumer(settings.topic_submitted, "route", settings.batch_size),
            models,
            router,
            produce,
            sink_dead_letter,
            settings.topic_routed,
            settings.batch_size,
            settings.batch_within,
            clock,
        )
        await stage.run()

    async def case_sink() -> None:
        """Routed events -> cases (``streams/sink.py``); its own consumer group."""
        sink = CaseSink(
            consumer(settings.topic_routed, "sink", settings.store_batch_size),
            store,
            sink_dead_letter,
            settings.store_batch_size,
            settings.batch_within,
            clock,
            on_stored=queue_for_linking if settings.related_links else None,
        )
        await sink.run()

    async def correction_sink() -> None:
        """Overridden events -> training corrections (``streams/corrections.py``)."""
        sink = CorrectionSink(
            consumer(settings.topic_overridden, "corrections", settings.store_batch_size),
            store,
            sink_dead_letter,
            settings.store_batch_size,
            settings.batch_within,
            clock,
        )
        await sink.run()

    async def dead_letter_recorder() -> None:
        """Dead letters of complaints -> ``dead_letters`` by id (``streams/dead_letters.py``)."""
        recorder = DeadLetterRecorder(
            consumer(settings.topic_dlq, "deadletters", settings.store_batch_size),
            DeadLetterStore(store.db),
            skip_dead_letter,
            settings.store_batch_size,
            settings.batch_within,
            clock,
            sources={settings.topic_submitted, settings.topic_routed},
        )
        await recorder.run()

    async def skip_dead_letter(record: object, reason: str) -> None:
        log.warning("dead-letter topic: skipped a message (%s)", reason)

    # related complaints are linked beside storing, never in its way: the sink hands
    # the stored ids over after its commit; a full queue skips linking, not storing
    to_link: asyncio.Queue[list[str]] = asyncio.Queue(maxsize=100)

    def queue_for_linking(ids: list[str]) -> None:
        try:
            to_link.put_nowait(ids)
        except asyncio.QueueFull:
            log.warning("related-case linking skipped for %d cases (queue full)", len(ids))

    async def related_linker() -> None:
        linker = RelatedLinker(store.cases)
        loop = asyncio.get_running_loop()
        while True:
            ids = await to_link.get()
            try:
                await loop.run_in_executor(None, linker.link, ids)
            except PyMongoError as exc:
                log.warning("related-case linking of %d cases failed: %s", len(ids), exc)

    if "route" in roles:
        app.task(route)
    if "store" in roles:
        app.task(case_sink)
        app.task(correction_sink)
        app.task(dead_letter_recorder)
        app.timer(interval=settings.outbox_relay_seconds)(relay_outbox)
        if settings.related_links:
            app.task(related_linker)
    return app
