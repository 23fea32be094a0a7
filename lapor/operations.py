"""Operations on a running stack, shared by the command line, the benchmarks, the
tests and the notebooks: train and register a model, publish complaints, run
and wait for the worker, read the case store, the demo login, the mail gateway.
The CLI (``lapor.cli``) is a thin layer over these; they raise
:class:`OperationError` (or ``stack.StackError``) with a message a person can act
on, which the CLI prints as an error."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from core.files import PRIVATE_UMASK, open_private, write_private
from core.settings import Settings
from lapor import stack

err = Console(stderr=True)


class OperationError(RuntimeError):
    """An operation cannot go on; the message says why (printed by the CLI)."""


def database(settings: Settings):  # noqa: ANN201
    """The case store's database on the configured or embedded server."""
    from casestore.store import connect

    return connect(stack.endpoints(settings).mongodb_uri, settings.mongodb_db)


def cases(settings: Settings):  # noqa: ANN201
    from casestore.store import CaseStore

    return CaseStore(database(settings))


def users(settings: Settings):  # noqa: ANN201
    from casestore.users import UserStore

    return UserStore(database(settings))


def api_clients(settings: Settings):  # noqa: ANN201
    from casestore.api_clients import ApiClientStore

    clients = ApiClientStore(database(settings))
    clients.ensure_indexes()
    return clients


def read_input(path: Path) -> list[dict]:
    """Records of a JSONL or CSV file (``classifier.corpus.read_records``)."""
    from classifier.corpus import read_records

    if not path.exists():
        raise OperationError(f"{path} does not exist")
    try:
        return list(read_records(path))
    except ValueError as exc:
        raise OperationError(str(exc)) from None


# --- model -------------------------------------------------------------------


def model_source(settings: Settings):  # noqa: ANN201
    from streams.decide import ModelSource

    return ModelSource.from_settings(settings)


def ensure_model(settings: Settings, source=None) -> str:  # noqa: ANN001
    """The serving version; trains from the seed corpus first (and says so) if none."""
    source = source or model_source(settings)
    version = source.version()
    if version is None:
        err.print("no trained model yet: training one from the seed corpus first ...")
        train_and_register(settings)
        version = source.version()
    return version


def serving_model(settings: Settings):  # noqa: ANN201
    """The model the workers serve right now: the registry's champion."""
    source = model_source(settings)
    return source.load(ensure_model(settings, source))


def train_and_register(settings: Settings, extra: Path | None = None) -> dict:
    """``lapor train``: the seed corpus (plus an export's corrections), through the
    registry's one orchestration (``classifier.registry.retrain``); the first model
    becomes champion, later ones wait for ``lapor model promote``."""
    from classifier.corpus import load_seed_corpus, read_records
    from classifier.registry import configure, retrain

    records = load_seed_corpus()
    if extra is not None:
        records += [r for r in read_records(extra) if r.get("text")]
    client = configure(settings.mlflow_uri, settings.state_dir)
    model, run = retrain(
        client, records, "seed+export" if extra else "seed", gate=False, by="first-model"
    )
    result = {
        "registered_version": run["registered_version"],
        "model_version": model.version,
        **model.trained_on,
        **{k: v for k, v in model.metrics.items() if k not in ("per_topic_f1", "confusions")},
    }
    if run["gate"] is not None:
        result["promoted"] = run["gate"]
    if "next" in run:
        result["next"] = run["next"]
    return result


def laporgub_check(model, path: Path, plot: Path | None) -> dict:  # noqa: ANN001
    from classifier import realcheck

    if not path.exists():
        raise OperationError(f"{path} does not exist (LaporGub is in shared/data; see its README)")
    data = realcheck.laporgub_test_split(path, realcheck.load_category_agencies())
    result = realcheck.agency_check(model, data, realcheck.load_adjudicated())
    if plot:
        result["plot"] = str(realcheck.plot_reliability(result, plot))
    return result


# --- pipeline ----------------------------------------------------------------


def stored_content(settings: Settings, ids: list[str]) -> dict[str, str | None]:
    """The stored fingerprints of ids a file reuses. Intake does not need the store:
    when it is unreachable, conflicts are still found (and dead-lettered) by the
    worker, only not reported here."""
    from pymongo.errors import PyMongoError

    if not ids:
        return {}
    try:
        return cases(settings).content_of(ids)
    except PyMongoError as exc:
        err.print(
            f"[yellow]case store unreachable ({type(exc).__name__}):[/yellow] id"
            " conflicts go to the dead-letter topic without being reported here"
        )
        return {}


def submit_records(settings: Settings, records: list[dict], progress: bool = True) -> list[str]:
    """Publish records; returns the tracking ids of the accepted ones. A record
    whose own id is already a case with other content is published (the sink
    dead-letters it as ``id_conflict``) and reported here as a conflict."""
    from core.privacy import Sealer
    from core.tracking import TrackingIds
    from streams.intake import IdConflict, Intake, IntakeError, make_producer

    endpoints = stack.endpoints(settings)
    sealer = Sealer.from_settings(settings.reporter_key, settings.reporter_key_file)
    intake = Intake(
        make_producer(endpoints.kafka_bootstrap, settings),
        settings.topic_submitted,
        sealer,
        TrackingIds.from_settings(settings),
    )
    own_ids = [str(r["id"]) for r in records if isinstance(r, dict) and r.get("id")]
    stored = stored_content(settings, own_ids)
    ids, rejected, conflicts = [], [], 0
    with Progress(console=err, disable=not progress, transient=True) as bar:
        task = bar.add_task("submitting", total=len(records))
        for number, record in enumerate(records, 1):
            try:
                # a bulk import hands no token back: its public cases are acted on by id
                receipt = intake.submit(record, stored=stored.get, reporter_token=False)
                ids.append(receipt.tracking_id)
            except IdConflict as exc:
                conflicts += 1
                rejected.append((number, f"{exc}; dead-lettered, not stored"))
            except IntakeError as exc:
                rejected.append((number, str(exc)))
            bar.advance(task)
    intake.flush()
    intake.producer.close()
    for number, message in rejected[:20]:
        err.print(f"[yellow]line {number} rejected:[/yellow] {message}")
    if rejected:
        err.print(
            f"{len(rejected)} of {len(records)} lines rejected, {conflicts} of them id"
            " conflicts (nothing else was lost)"
        )
    return ids


def start_worker(
    settings: Settings,
    log_path: Path,
    instance: str | None = "worker-1",
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """The worker as a child process (the demo, the benchmarks, the tests), with a
    stable group instance id so that a restart takes its partitions back at once;
    ``env`` adds to this process's environment (a role, a profile path)."""
    import os

    child_env = {**os.environ, **(env or {})}
    if instance:
        child_env["LAPOR_WORKER_INSTANCE"] = instance
    with open_private(log_path) as log:
        return subprocess.Popen(
            [sys.executable, "-m", "lapor.cli", "worker"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=child_env,
            umask=PRIVATE_UMASK,
        )


def stop_workers(*procs: subprocess.Popen, timeout: float = 30) -> None:
    """Ask every worker to stop (they leave the group, commit, close), then wait;
    kill the ones that do not stop within ``timeout``."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for_cases(settings: Settings, ids: list[str], timeout: float) -> int:
    store = cases(settings)
    deadline, done = time.monotonic() + timeout, 0
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("routing", total=len(ids))
        while time.monotonic() < deadline:
            done = sum(
                store.count({"_id": {"$in": ids[i : i + 1000]}}) for i in range(0, len(ids), 1000)
            )
            bar.update(task, completed=done)
            if done >= len(ids):
                break
            time.sleep(0.5)
    return done


# --- accounts, channels, keys --------------------------------------------------


def demo_login(settings: Settings) -> tuple[str, str]:
    """A national admin for the demo; its random password is kept in the state dir."""
    import secrets

    from casestore.users import UserError

    path = settings.state_dir / "demo-login.txt"
    if path.exists():
        username, password = path.read_text().split()
        return username, password
    username, password = "demo-admin", secrets.token_urlsafe(18)
    try:
        users(settings).create(username, password, "national_admin")
    except UserError:
        username = f"demo-admin-{secrets.token_hex(2)}"
        users(settings).create(username, password, "national_admin")
    write_private(path, f"{username} {password}\n")  # 0600 from the first byte
    return username, password


def mail_intake(settings: Settings):  # noqa: ANN201
    """The e-mail channel's intake on the configured stack: publish, photos, relay."""
    from casestore.photos import PhotoStore
    from core.privacy import Sealer
    from streams.intake import Intake, make_producer, stored_lookup
    from streams.mail_intake import MailIntake

    endpoints = stack.endpoints(settings)
    sealer = Sealer.from_settings(settings.reporter_key, settings.reporter_key_file)
    intake = Intake(
        make_producer(endpoints.kafka_bootstrap, settings), settings.topic_submitted, sealer
    )
    relay = (
        (settings.mail_relay_host, settings.mail_relay_port) if settings.mail_relay_host else None
    )
    store = cases(settings)
    photos = PhotoStore(store.db)
    photos.ensure_indexes()
    return MailIntake(
        intake, relay, settings.mail_from, stored_lookup(store.content_of), photos=photos
    )


def mail_gateway_handler(settings: Settings):  # noqa: ANN201
    """The e-mail channel's SMTP handler on the configured stack (tests run it too)."""
    from streams.mail_gateway import MailGateway

    return MailGateway(mail_intake(settings))


def mail_poller(settings: Settings, ssl_context=None):  # noqa: ANN001, ANN201
    """The e-mail channel's IMAP poller (``lapor mail-imap``; tests run it too).
    ``ssl_context``: the server's certificate check (default: the system's CAs)."""
    from streams.mail_imap import ImapMailbox, MailPoller

    if not settings.mail_imap_host or not settings.mail_imap_user:
        raise OperationError(
            "LAPOR_MAIL_IMAP_HOST and LAPOR_MAIL_IMAP_USER (and _PASSWORD) are needed"
        )
    password = settings.mail_imap_password.get_secret_value() if settings.mail_imap_password else ""
    mailbox = ImapMailbox(
        host=settings.mail_imap_host,
        port=settings.mail_imap_port,
        user=settings.mail_imap_user,
        password=password,
        security=settings.mail_imap_security,
        folder=settings.mail_imap_folder,
        done_folder=settings.mail_imap_done_folder,
        ssl_context=ssl_context,
    )
    return MailPoller(mail_intake(settings), mailbox)


def notifier(settings: Settings):  # noqa: ANN201
    """``lapor notifier`` on the configured stack (tests run it in-process): the
    consumer of ``lapor.notifications`` (group ``<worker id>-notifier``) and, when
    ``LAPOR_NOTIFY_SMTP_HOST`` is set, the e-mail sender."""
    from aiokafka import AIOKafkaConsumer

    from casestore.deliveries import DeliveryStore
    from casestore.optouts import OptOuts
    from core.contacts import ContactIndex
    from core.kafka import aiokafka_options, bootstrap_servers
    from core.privacy import Sealer
    from streams.notifier import EmailSender, NotificationSink, Notifier
    from streams.smtp_send import Mailer
    from streams.stages import StageClock

    endpoints = stack.endpoints(settings)
    db = database(settings)
    deliveries = DeliveryStore(db, settings.notify_max_attempts)
    deliveries.ensure_indexes()
    sealer = Sealer.from_settings(settings.reporter_key, settings.reporter_key_file)
    optouts = OptOuts(db, ContactIndex.from_settings(settings))
    mailer = Mailer.from_settings(settings)

    def consumer() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            settings.topic_notifications,
            bootstrap_servers=bootstrap_servers(endpoints.kafka_bootstrap),
            **aiokafka_options(settings),
            group_id=f"{settings.worker_id}-notifier",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )

    async def log_bad(record: object, reason: str) -> None:
        err.print(f"[yellow]not a notification, skipped:[/yellow] {reason}")

    sink = NotificationSink(
        None,  # made in the event loop (Notifier.run)
        deliveries,
        log_bad,
        settings.store_batch_size,
        settings.batch_within,
        StageClock(None),
        sealer=sealer,
        optouts=optouts,
        public_url=settings.public_url,
        email=mailer is not None,
    )
    backoff = settings.notify_backoff_seconds
    sender = EmailSender(deliveries, mailer, sealer, optouts, backoff) if mailer else None
    return Notifier(sink, sender, settings.notify_poll_seconds, consumer)


def reseal(settings: Settings) -> dict:
    from core.privacy import Sealer

    sealer = Sealer.from_settings(settings.reporter_key, settings.reporter_key_file)
    return {"keys": len(sealer.keys), **cases(settings).reseal_identities(sealer)}


def remove_orphan_photos(settings: Settings) -> int:
    """Photos older than 72 hours that no case references (the worker does it hourly)."""
    from casestore.photos import PhotoStore

    store = cases(settings)
    return PhotoStore(store.db).remove_orphans(store.cases)
