"""Run the stack: the embedded broker and store, the worker, the web app, the
mail gateway, and the demo that puts them together."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from core.settings import Settings, get_settings
from lapor import operations, stack
from lapor.cli.common import fail, out

commands = typer.Typer()
DEMO_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "demo_complaints.jsonl"


@commands.command()
def up() -> None:
    """Start the embedded broker and case store (unless LAPOR_* servers are set)."""
    settings = get_settings()
    try:
        record = stack.up(settings)
    except stack.StackError as exc:
        raise fail(str(exc)) from None
    out.print(f"broker   {record['kafka_bootstrap']}")
    out.print(f"store    {record['mongodb_uri']}")
    out.print(f"topics   {', '.join(settings.topics)} ({settings.partitions} partitions)")


@commands.command()
def down() -> None:
    """Stop the embedded broker and store started by `lapor up`."""
    stopped = stack.down(get_settings())
    out.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@commands.command()
def status() -> None:
    """Say what runs where."""
    out.print_json(json.dumps(stack.status(get_settings())))


@commands.command()
def worker() -> None:
    """Run the routing worker (faust): classify, route, store cases."""
    from faust.worker import Worker

    from streams.app import create_app

    settings = get_settings()
    if settings.worker_role != "store":  # a store-only worker serves no model
        operations.ensure_model(settings)
    endpoints = stack.endpoints(settings)
    faust_app = create_app(settings, endpoints.kafka_bootstrap, endpoints.mongodb_uri)
    Worker(faust_app, loglevel=settings.log_level).execute_from_commandline()


def summary_tables(settings: Settings, ids: list[str]) -> list[Table]:
    store = operations.cases(settings)
    tables = []
    for title, field in (
        ("agency", "decision.agency"),
        ("tier", "decision.tier"),
        ("status", "status"),
    ):
        rows = store.cases.aggregate(
            [
                {"$match": {"_id": {"$in": ids}}},
                {"$group": {"_id": f"${field}", "n": {"$sum": 1}}},
                {"$sort": {"n": -1}},
            ]
        )
        table = Table(title=f"cases per {title}")
        table.add_column(title)
        table.add_column("cases", justify="right")
        for row in rows:
            table.add_row(str(row["_id"]), str(row["n"]))
        tables.append(table)
    return tables


@commands.command()
def demo(
    sample: Annotated[Path, typer.Option(help="Complaints to route.")] = DEMO_SAMPLE,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for all cases.")] = 300,
) -> None:
    """Up + model + worker + submit a sample + wait for the cases + summary."""
    settings = get_settings()
    up()
    operations.ensure_model(settings)
    log_path = settings.state_dir / "worker.log"
    # a dynamic group member: on stopping it leaves the group, so the `lapor worker`
    # the demo suggests next gets every partition at once (a static member stays in
    # the group until the broker evicts it, which the embedded broker never does)
    proc = operations.start_worker(settings, log_path, instance=None)
    try:
        records = operations.read_input(sample)
        started = time.monotonic()
        ids = operations.submit_records(settings, records)
        done = operations.wait_for_cases(settings, ids, timeout)
        elapsed = time.monotonic() - started
        for table in summary_tables(settings, ids):
            out.print(table)
        out.print(
            f"{done} of {len(ids)} complaints became cases in {elapsed:.1f}s "
            f"(worker log: {log_path})"
        )
        if done < len(ids):
            raise fail(f"only {done} of {len(ids)} complaints became cases within {timeout}s")
    finally:
        operations.stop_workers(proc, timeout=20)
    username, password = operations.demo_login(settings)
    out.print(
        "next: `.venv/bin/lapor web`, then open http://127.0.0.1:8000/login "
        f"(login {username} / {password}) to triage and correct the cases;\n"
        '      `lapor route "lampu jalan mati di Kab. Sleman"`, `lapor worker` to keep routing, '
        "`lapor down` to stop the stack"
    )


@commands.command()
def web(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serve the public intake API and the admin console."""
    import uvicorn

    from web.main import create_app

    settings = get_settings()
    endpoints = stack.endpoints(settings)
    out.print(f"console: http://{host}:{port}/login · API docs: http://{host}:{port}/docs")
    uvicorn.run(
        create_app(settings, endpoints.kafka_bootstrap, endpoints.mongodb_uri),
        host=host,
        port=port,
        log_level="warning",
    )


@commands.command("mail-gateway")
def mail_gateway(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="SMTP port.")] = 2525,
) -> None:
    """Receive complaints by e-mail (SMTP); each is acknowledged with its tracking id."""
    from aiosmtpd.controller import Controller

    controller = Controller(
        operations.mail_gateway_handler(get_settings()), hostname=host, port=port
    )
    controller.start()
    out.print(f"e-mail channel: SMTP on {host}:{port} (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()


@commands.command()
def notifier() -> None:
    """Deliver notifications to reporters: e-mail over SMTP, SMS through the gateway's pull."""
    import asyncio

    settings = get_settings()
    running = operations.notifier(settings)
    email = (
        f"SMTP {settings.notify_smtp_host}:{settings.notify_smtp_port} "
        f"({settings.notify_smtp_security})"
        if settings.notify_smtp_host
        else "off (LAPOR_NOTIFY_SMTP_HOST unset)"
    )
    out.print(f"notifier: e-mail {email}; SMS queued for the gateway's pull (Ctrl-C to stop)")
    try:
        asyncio.run(running.run())
    except KeyboardInterrupt:
        pass


@commands.command("mail-imap")
def mail_imap(
    once: Annotated[bool, typer.Option(help="Read the mailbox once and exit.")] = False,
) -> None:
    """Read complaints from a mailbox over IMAP (TLS or STARTTLS), every
    LAPOR_MAIL_IMAP_POLL_SECONDS; each is acknowledged with its tracking id."""
    from streams.mail_imap import ImapError

    settings = get_settings()
    poller = operations.mail_poller(settings)
    out.print(
        f"e-mail channel: IMAP {settings.mail_imap_host}:{settings.mail_imap_port} "
        f"folder {settings.mail_imap_folder} (Ctrl-C to stop)"
    )
    try:
        while True:
            try:
                counts = poller.poll_once()
                if counts:
                    out.print(dict(counts))
            except ImapError as exc:
                out.print(f"[red]IMAP: {exc}[/red]")
                if once:
                    raise typer.Exit(1) from None
            if once:
                return
            time.sleep(settings.mail_imap_poll_seconds)
    except KeyboardInterrupt:
        pass


@commands.command("photos-clean")
def photos_clean() -> None:
    """Remove photos older than 72 hours whose complaint never became a case."""
    out.print(f"{operations.remove_orphan_photos(get_settings())} orphan photo(s) removed")
