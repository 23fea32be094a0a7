"""``lapor``: the command line. The top layer: the only module that imports streams."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from core.files import PRIVATE_UMASK, open_private, private_umask, write_private
from core.settings import Settings, get_settings
from lapor import stack

# MLflow narrates every run at INFO; the CLI prints its own summary instead.
logging.getLogger("mlflow").setLevel(logging.WARNING)

app = typer.Typer(
    help="Route Indonesian public-service complaints to the agency that must answer.",
    no_args_is_help=True,
)
rules_app = typer.Typer(help="Check and explain the routing rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
bench_app = typer.Typer(
    help="Benchmarks (ratios against baselines in the same run).", no_args_is_help=True
)
app.add_typer(bench_app, name="bench")
admin_app = typer.Typer(help="Console accounts.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
model_app = typer.Typer(help="The model registry (MLflow).", no_args_is_help=True)
app.add_typer(model_app, name="model")
dataset_app = typer.Typer(help="Training data from the case store.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")
keys_app = typer.Typer(help="Reporter identity keys: rotate, retire.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
open311_app = typer.Typer(help="Open311 API clients (api_key).", no_args_is_help=True)
app.add_typer(open311_app, name="open311")
out = Console()
err = Console(stderr=True)

DEMO_SAMPLE = Path(__file__).parent / "data" / "demo_complaints.jsonl"


@app.callback()
def main() -> None:
    """Route Indonesian public-service complaints to the agency that must answer."""
    # everything written from here on (the state directory: keys, logs, models, the
    # demo login; but also `--out` files) is the owner's only (core/files.py)
    private_umask()


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _endpoints(settings: Settings) -> stack.Endpoints:
    try:
        return stack.endpoints(settings)
    except stack.StackError as exc:
        raise fail(str(exc)) from None


def _database(settings: Settings):  # noqa: ANN202
    """The case store's database on the configured or embedded server."""
    from casestore.store import connect

    return connect(_endpoints(settings).mongodb_uri, settings.mongodb_db)


def _cases(settings: Settings):  # noqa: ANN202
    from casestore.store import CaseStore

    return CaseStore(_database(settings))


# --- stack -------------------------------------------------------------------


@app.command()
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


@app.command()
def down() -> None:
    """Stop the embedded broker and store started by `lapor up`."""
    stopped = stack.down(get_settings())
    out.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def status() -> None:
    """Say what runs where."""
    out.print_json(json.dumps(stack.status(get_settings())))


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
        _train(settings)
        version = source.version()
    return version


def serving_model(settings: Settings):  # noqa: ANN201
    """The model the workers serve right now (champion, else the local file)."""
    source = model_source(settings)
    return source.load(ensure_model(settings, source))


def _train(settings: Settings, extra: Path | None = None) -> dict:
    from classifier.corpus import load_seed_corpus, read_records, split_corpus
    from classifier.registry import (
        champion_version,
        configure,
        log_training_run,
        promote,
    )
    from classifier.train import train_model

    records = load_seed_corpus()
    if extra is not None:
        records += [r for r in read_records(extra) if r.get("text")]
    model = train_model(records)
    model.save(settings.model_path)
    client = configure(settings.mlflow_uri, settings.state_dir)
    train, valid = split_corpus(records)
    version = log_training_run(model, train, valid, "seed+export" if extra else "seed")
    result = {
        "registered_version": version,
        "path": str(settings.model_path),
        **model.trained_on,
        **{k: v for k, v in model.metrics.items() if k not in ("per_topic_f1", "confusions")},
    }
    if champion_version(client) is None:
        gate = promote(client, version, valid, by="first-model")
        result["promoted"] = gate.to_dict()
    else:
        result["next"] = f"lapor model promote {version}"
    return result


@app.command()
def train(
    extra: Annotated[
        Path | None, typer.Option(help="Labelled JSONL to add (lapor dataset export).")
    ] = None,
) -> None:
    """Train on the seed corpus (+ exported labels), track in MLflow, register the model."""
    out.print_json(json.dumps(_train(get_settings(), extra)))


@model_app.command("promote")
def model_promote(
    version: str,
    force: Annotated[bool, typer.Option(help="Promote even if worse (recorded).")] = False,
) -> None:
    """Make VERSION the champion if it is not worse than the current one on held-out data."""
    from classifier.corpus import load_seed_corpus, split_corpus
    from classifier.registry import PromotionRefused, configure, promote

    settings = get_settings()
    client = configure(settings.mlflow_uri, settings.state_dir)
    _, held_out = split_corpus(load_seed_corpus())
    try:
        result = promote(client, version, held_out, force=force, by="lapor model promote")
    except PromotionRefused as exc:
        raise fail(str(exc)) from None
    out.print_json(json.dumps(result.to_dict()))


@dataset_app.command("export")
def dataset_export(
    out_file: Annotated[Path, typer.Option("--out", help="JSONL to write.")],
    with_seed: Annotated[bool, typer.Option(help="Mix in the seed corpus.")] = False,
    since_serving: Annotated[
        bool,
        typer.Option(
            help="Only cases labelled since the serving version was trained (the retrain's "
            "new data)."
        ),
    ] = False,
) -> None:
    """Labelled training data from admin-verified and overridden cases (no identities)."""
    from casestore.export import export_labels
    from classifier.corpus import load_seed_corpus

    settings = get_settings()
    db = _database(settings)
    since = None
    if since_serving:
        from lapor.monitor import serving

        current = serving(settings)
        if current is None or current.trained_at is None:
            raise fail("no model is served yet: nothing to compare with (lapor train)")
        since = current.trained_at
    seed = (
        [
            {
                "id": f"seed-{i:05d}",
                "text": r["text"],
                "agency": r["agency"],
                "topic": r["topic"],
                "provenance": {"kind": "seed"},
            }
            for i, r in enumerate(load_seed_corpus())
        ]
        if with_seed
        else None
    )
    summary = export_labels(db, out_file, extra=seed, since=since)
    if since is not None:
        summary.update(serving_version=current.label, since=since.isoformat())
    out.print_json(json.dumps(summary))


@app.command()
def monitor(
    period: Annotated[str, typer.Option(help="week (ISO week) or day, Jakarta time.")] = "week",
    periods: Annotated[int, typer.Option(help="How many recent periods to compute.")] = 8,
    since: Annotated[
        str | None, typer.Option(help="Only cases routed from this ISO date/time on.")
    ] = None,
    no_mlflow: Annotated[bool, typer.Option("--no-mlflow", help="Do not log to MLflow.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The whole record as JSON.")] = False,
) -> None:
    """Live quality from people's decisions and drift against the training data, per
    model version and period; stored in the case store, logged to MLflow."""
    from datetime import UTC, datetime

    from lapor.monitor import PERIOD_KINDS, run

    if period not in PERIOD_KINDS:
        raise fail(f"--period must be one of {', '.join(PERIOD_KINDS)}", 2)
    settings = get_settings()
    start = None
    if since:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            raise fail(f"--since {since!r} is not an ISO date or date-time", 2) from None
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
    try:
        record = run(settings, _database(settings), period, periods, since=start, log=not no_mlflow)
    except LookupError as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(record, default=str) + "\n")
        return
    _print_monitor(record)


def _print_monitor(record: dict) -> None:
    rows = []
    for d in record["periods"]:
        q, drift = d["quality"], d["drift"]
        rows.append(
            [
                d["model_version"],
                d["period"],
                d["cases"],
                d["labelled"],
                q["agency_accuracy"],
                q["auto_routed_precision"],
                d["triage_share"],
                q.get("ece"),
                drift.get("oov_rate"),
                drift.get("length_psi"),
                drift.get("agency_psi"),
                drift.get("channel_psi"),
                drift.get("region_unknown_share"),
                ",".join(f["code"] for f in d["flags"]) or "-",
            ]
        )
    _print_table(
        f"monitoring per model version and {record['period_kind']}",
        [
            "version",
            "period",
            "cases",
            "labelled",
            "accuracy",
            "auto precision",
            "triage",
            "ECE",
            "OOV",
            "length PSI",
            "agency PSI",
            "channel PSI",
            "region ?",
            "flags",
        ],
        rows,
    )
    out.print(
        f"serving {record['serving_version']} (trained {record['trained_at']:%Y-%m-%d %H:%M} UTC); "
        f"MLflow run {record.get('mlflow_run_id', '-')}"
    )
    for f in record["flags"]:
        out.print(f"[yellow]{f['code']}[/yellow]: {f['message']}")
    if record["flags"]:
        out.print(
            "next: `lapor dataset export --since-serving --with-seed --out FILE`, then "
            "notebooks/02-retrain.ipynb"
        )


def _read_input(path: Path) -> list[dict]:
    from classifier.corpus import read_records

    if not path.exists():
        raise fail(f"{path} does not exist")
    try:
        return list(read_records(path))
    except ValueError as exc:
        raise fail(str(exc)) from None


@app.command()
def route(
    text: Annotated[str | None, typer.Argument(help="One complaint text.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="JSONL/CSV with a text field.")
    ] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write JSONL here.")] = None,
    region_hint: Annotated[str | None, typer.Option(help="Region from the channel.")] = None,
    channel: Annotated[str | None, typer.Option(help="web, sms, ...")] = None,
) -> None:
    """Classify and route without Kafka (same code path as the worker)."""
    from routing_rules.engine import Router
    from streams.decide import decide, route_output
    from streams.intake import IntakeError, region_hint_text

    if (text is None) == (file is None):
        raise fail("give either a complaint text or --file, not both or neither", 2)
    settings = get_settings()
    records = (
        [{"text": text, "region_hint": region_hint, "channel": channel}]
        if text
        else _read_input(file)
    )
    bad = [i for i, r in enumerate(records, 1) if not str(r.get("text") or "").strip()]
    if bad:
        raise fail(f"lines without a text: {bad[:10]}", 2)
    for number, record in enumerate(records, 1):
        try:
            region_hint_text(record.get("region_hint"))
        except IntakeError as exc:
            raise fail(f"line {number}: {exc}", 2) from None
    results = decide(serving_model(settings), Router(), records)
    lines = [json.dumps(route_output(r, x), ensure_ascii=False) for r, x in zip(records, results)]
    if out_file:
        out_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        err.print(f"wrote {len(lines)} decisions to {out_file}")
    else:
        sys.stdout.write("\n".join(lines) + "\n")


# beside the checkout, as the shared data README places it
LAPORGUB_DEFAULT = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "laporgub" / "laporgub_2024_2025.csv"
)


@app.command()
def evaluate(
    data: Annotated[
        Path | None, typer.Option("--data", help="Labelled JSONL/CSV (agency, topic).")
    ] = None,
    laporgub: Annotated[
        bool, typer.Option("--laporgub", help="Real-data agency check on LaporGub's 30 % split.")
    ] = False,
    laporgub_csv: Annotated[
        Path, typer.Option(help="Where the LaporGub CSV is (with --laporgub).")
    ] = LAPORGUB_DEFAULT,
    plot: Annotated[
        Path | None, typer.Option(help="Write a PNG here (confusions, or reliability).")
    ] = None,
) -> None:
    """Score the current model: on a labelled file (accuracy, macro-F1, confusions,
    triage), or with --laporgub on real complaints it never trained on (agency-set
    accuracy, triage share, precision of auto-routing, calibration)."""
    settings = get_settings()
    if (data is None) != laporgub:
        raise fail("give exactly one of --data FILE or --laporgub")
    model = serving_model(settings)
    if laporgub:
        result = _laporgub_check(model, laporgub_csv, plot)
        out.print_json(json.dumps(result, ensure_ascii=False))
        return
    from classifier.train import evaluate as score

    records = _read_input(data)
    try:
        result = score(model, records)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if plot:
        from classifier.report import plot_confusion

        plot_confusion(model, records, plot)
        result["plot"] = str(plot)
    out.print_json(json.dumps(result))


def _laporgub_check(model, path: Path, plot: Path | None) -> dict:  # noqa: ANN001
    from classifier import realcheck

    if not path.exists():
        raise fail(f"{path} does not exist (LaporGub is in shared/data; see its README)")
    data = realcheck.laporgub_test_split(path, realcheck.load_category_agencies())
    result = realcheck.agency_check(model, data, realcheck.load_adjudicated())
    if plot:
        result["plot"] = str(realcheck.plot_reliability(result, plot))
    return result


@app.command()
def experiment(
    data: Annotated[Path, typer.Option("--data", help="Any labelled CSV.")],
    text_col: Annotated[str, typer.Option(help="Column with the text (or a token list).")],
    label_col: Annotated[str, typer.Option(help="Column with the label.")],
    sep: Annotated[str, typer.Option(help="Field separator.")] = ",",
    test_size: Annotated[float, typer.Option(help="Held-out share.")] = 0.3,
    seed: Annotated[int, typer.Option(help="Split seed.")] = 42,
) -> None:
    """Train the shared pipeline on a stratified split of a file; print held-out scores."""
    from classifier.experiment import load_labelled, run_experiment

    if not data.exists():
        raise fail(f"{data} does not exist")
    try:
        texts, labels = load_labelled(data, text_col, label_col, sep)
    except ValueError as exc:
        raise fail(str(exc)) from None
    out.print_json(json.dumps(run_experiment(texts, labels, test_size, seed)))


@bench_app.command("classify")
def bench_classify(
    n: Annotated[int, typer.Option(help="Complaints to classify.")] = 3000,
    batch: Annotated[int, typer.Option(help="Batch size.")] = 500,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Full pipeline vs bare model vs naive stock-Sastrawi baseline, in one run."""
    from lapor.bench import bench_classify as run

    settings = get_settings()
    ensure_model(settings)
    result = run(settings.model_path, n=n, batch=batch)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    _print_table("classification throughput (complaints/s)", list(result), [result.values()])


@bench_app.command("mask")
def bench_mask(
    repeat: Annotated[int, typer.Option(help="Runs per input; the fastest counts.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Identifier masking on adversarial inputs up to the intake's size limit, against
    ordinary text of the same size: linear masking keeps the ratio flat."""
    from lapor.bench import bench_mask as run

    result = run(repeat=repeat)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    rows = result["sizes"]
    _print_table(
        f"masking time by size (worst of {result['inputs']} adversarial inputs vs ordinary text)",
        list(rows[0]),
        [row.values() for row in rows],
    )
    inputs = result["per_input"]
    _print_table(
        "each adversarial input: time at the smallest and largest size (growth 1 = linear)",
        list(inputs[0]),
        [row.values() for row in inputs],
    )
    out.print(
        f"ratio spread across sizes: {result['ratio_spread']} (1 = flat); "
        f"largest growth of one input: {result['max_growth']} (1 = linear, "
        f"{rows[-1]['chars'] // rows[0]['chars']} = quadratic)"
    )


@bench_app.command("performance")
def bench_performance(
    n: Annotated[int, typer.Option(help="Synthetic cases.")] = 100_000,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Agency performance figures on n cases, against a plain read of the same cases."""
    from lapor.bench import bench_performance as run

    settings = get_settings()
    stack.up(settings)  # the configured store, or the embedded one (quietly)
    result = run(_endpoints(settings).mongodb_uri, n=n)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    _print_table("agency performance figures", list(result), [result.values()])


@bench_app.command("monitor")
def bench_monitor(
    n: Annotated[int, typer.Option(help="Cases in the store to monitor.")] = 100_000,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """`lapor monitor` on N cases in a fresh store, against reading the same cases."""
    from lapor.bench import bench_monitor as run

    settings = get_settings()
    ensure_model(settings)
    result = run(settings, n=n)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    _print_table(f"monitoring {n} cases", ["figure", "value"], result.items())


@bench_app.command("e2e")
def bench_e2e(
    n: Annotated[int, typer.Option(help="Complaints to route end to end.")] = 20_000,
    workers: Annotated[int, typer.Option(help="Workers in one consumer group.")] = 1,
    store_workers: Annotated[
        int, typer.Option(help="Separate case-sink workers (0 = every worker stores).")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """End-to-end throughput and latency, with the floors of broker, store and model."""
    from lapor.bench import bench_e2e as run

    settings = get_settings()
    ensure_model(settings)
    result = run(settings, n=n, workers=workers, store_workers=store_workers)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    stages = result.pop("worker_stages")
    cpu = result.pop("cpu_seconds")
    _print_table(
        f"end to end: {n} complaints, {workers} worker(s)", ["figure", "value"], result.items()
    )
    _print_table(
        "CPU seconds each part used while the complaints flowed", ["part", "CPU s"], cpu.items()
    )
    _print_table(
        "where the worker's time goes (wall time per stage, all batches)",
        list(stages[0]) if stages else ["stage"],
        [row.values() for row in stages],
    )


def _print_table(title: str, columns: list[str], rows: Iterable[Iterable[object]]) -> None:
    table = Table(title=title)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(str(v) for v in row))
    out.print(table)


# --- pipeline ----------------------------------------------------------------


def _stored_content(settings: Settings, ids: list[str]) -> dict[str, str | None]:
    """The stored fingerprints of ids a file reuses. Intake does not need the store:
    when it is unreachable, conflicts are still found (and dead-lettered) by the
    worker, only not reported here."""
    from pymongo.errors import PyMongoError

    if not ids:
        return {}
    try:
        return _cases(settings).content_of(ids)
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
    from streams.intake import IdConflict, Intake, IntakeError, make_producer

    endpoints = _endpoints(settings)
    sealer = Sealer.from_settings(settings.reporter_key, settings.reporter_key_file)
    intake = Intake(
        make_producer(endpoints.kafka_bootstrap, settings), settings.topic_submitted, sealer
    )
    own_ids = [str(r["id"]) for r in records if isinstance(r, dict) and r.get("id")]
    stored = _stored_content(settings, own_ids)
    ids, rejected, conflicts = [], [], 0
    with Progress(console=err, disable=not progress, transient=True) as bar:
        task = bar.add_task("submitting", total=len(records))
        for number, record in enumerate(records, 1):
            try:
                ids.append(intake.submit(record, stored=stored.get).tracking_id)
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


@app.command()
def submit(
    file: Annotated[
        Path,
        typer.Argument(
            help="JSONL or CSV: text, id?, channel?, region_hint?, privacy?, reporter fields?"
        ),
    ],
    ids_out: Annotated[Path | None, typer.Option(help="Write the tracking ids here.")] = None,
) -> None:
    """Publish complaints from a file to Kafka; each gets a tracking id."""
    settings = get_settings()
    records = _read_input(file)
    ids = submit_records(settings, records)
    if ids_out:
        ids_out.write_text("\n".join(ids) + "\n")
    out.print(f"submitted {len(ids)} complaints to {settings.topic_submitted}")
    if len(ids) < len(records):
        raise typer.Exit(1)


@app.command()
def worker() -> None:
    """Run the routing worker (faust): classify, route, store cases."""
    from faust.worker import Worker

    from streams.app import create_app

    settings = get_settings()
    ensure_model(settings)
    endpoints = _endpoints(settings)
    faust_app = create_app(settings, endpoints.kafka_bootstrap, endpoints.mongodb_uri)
    Worker(faust_app, loglevel=settings.log_level).execute_from_commandline()


def start_worker(
    settings: Settings, log_path: Path, instance: str | None = "worker-1"
) -> subprocess.Popen:
    """The worker as a child process (used by the demo and the tests), with a stable
    group instance id so that a restart takes its partitions back at once."""
    import os

    env = dict(os.environ)
    if instance:
        env["LAPOR_WORKER_INSTANCE"] = instance
    with open_private(log_path) as log:
        return subprocess.Popen(
            [sys.executable, "-m", "lapor.cli", "worker"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            umask=PRIVATE_UMASK,
        )


def wait_for_cases(settings: Settings, ids: list[str], timeout: float) -> int:
    store = _cases(settings)
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


def summary_tables(settings: Settings, ids: list[str]) -> list[Table]:
    store = _cases(settings)
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


@app.command()
def demo(
    sample: Annotated[Path, typer.Option(help="Complaints to route.")] = DEMO_SAMPLE,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for all cases.")] = 300,
) -> None:
    """Up + model + worker + submit a sample + wait for the cases + summary."""
    settings = get_settings()
    up()
    ensure_model(settings)
    log_path = settings.state_dir / "worker.log"
    # a dynamic group member: on stopping it leaves the group, so the `lapor worker`
    # the demo suggests next gets every partition at once (a static member stays in
    # the group until the broker evicts it, which the embedded broker never does)
    proc = start_worker(settings, log_path, instance=None)
    try:
        records = _read_input(sample)
        started = time.monotonic()
        ids = submit_records(settings, records)
        done = wait_for_cases(settings, ids, timeout)
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
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    username, password = demo_login(settings)
    out.print(
        "next: `.venv/bin/lapor web`, then open http://127.0.0.1:8000/login "
        f"(login {username} / {password}) to triage and correct the cases;\n"
        '      `lapor route "lampu jalan mati di Kab. Sleman"`, `lapor worker` to keep routing, '
        "`lapor down` to stop the stack"
    )


# --- web ---------------------------------------------------------------------


@app.command()
def web(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serve the public intake API and the admin console."""
    import uvicorn

    from web.main import create_app

    settings = get_settings()
    endpoints = _endpoints(settings)
    out.print(f"console: http://{host}:{port}/login · API docs: http://{host}:{port}/docs")
    uvicorn.run(
        create_app(settings, endpoints.kafka_bootstrap, endpoints.mongodb_uri),
        host=host,
        port=port,
        log_level="warning",
    )


def _users(settings: Settings):  # noqa: ANN202
    from casestore.users import UserStore

    return UserStore(_database(settings))


PASSWORD_STDIN = typer.Option(
    "--password-stdin",
    help="Read the password from the first line of standard input (scripts); "
    "without it the password is asked for, hidden, twice.",
)


def _new_password(from_stdin: bool) -> str:
    """A new password, never from the command line (shell history, `ps`)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Kata sandi", hide_input=True, confirmation_prompt="Ulangi kata sandi")


@admin_app.command("create-user")
def create_user(
    username: str,
    role: Annotated[
        str, typer.Option(help="national_admin | regional_coordinator | agency_liaison")
    ],
    scope: Annotated[
        str | None,
        typer.Option(
            help="A coordinator's province or regency code (63 or 63.03); a liaison's unit "
            "id (kabupaten_kota:63.03:pdam). Checked against the regions and taxonomy."
        ),
    ] = None,
    password_stdin: Annotated[bool, PASSWORD_STDIN] = False,
) -> None:
    """Create a console account (argon2-hashed password, checked for strength)."""
    from casestore.users import UserError

    password = _new_password(password_stdin)
    try:
        user = _users(get_settings()).create(username, password, role, scope)
    except UserError as exc:
        raise fail(str(exc)) from None
    out.print(f"created {user.username} ({user.role}{', ' + user.scope if user.scope else ''})")


@admin_app.command("set-password")
def set_password(username: str, password_stdin: Annotated[bool, PASSWORD_STDIN] = False) -> None:
    """Give an account a new password; its sessions end."""
    _account_change("set_password", username, _new_password(password_stdin))
    out.print(f"new password set for {username}; its sessions are ended")


def _account_change(action: str, username: str, *args: str | None) -> None:
    """Run one UserStore change (each ends every session of the user)."""
    from casestore.users import UserError

    try:
        getattr(_users(get_settings()), action)(username, *args)
    except UserError as exc:
        raise fail(str(exc)) from None


@admin_app.command("lock-user")
def lock_user(username: str) -> None:
    """Disable an account and end its sessions at once (until unlock-user)."""
    _account_change("lock", username)
    out.print(f"locked {username}; its sessions are ended")


@admin_app.command("unlock-user")
def unlock_user(username: str) -> None:
    """Allow a locked account to log in again."""
    _account_change("unlock", username)
    out.print(f"unlocked {username}")


@admin_app.command("set-role")
def set_role(
    username: str,
    role: Annotated[
        str, typer.Option(help="national_admin | regional_coordinator | agency_liaison")
    ],
    scope: Annotated[
        str | None,
        typer.Option(help="Region code (63 or 63.03) for a coordinator, unit id for a liaison."),
    ] = None,
) -> None:
    """Change an account's role and scope; its sessions end (log in again)."""
    _account_change("set_role", username, role, scope)
    out.print(f"{username} is now {role}{', ' + scope if scope else ''}; its sessions are ended")


@admin_app.command("end-sessions")
def end_user_sessions(username: str) -> None:
    """Log an account out everywhere (a lost laptop, a copied cookie)."""
    _account_change("end_sessions", username)
    out.print(f"every session of {username} is ended")


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
        _users(settings).create(username, password, "national_admin")
    except UserError:
        username = f"demo-admin-{secrets.token_hex(2)}"
        _users(settings).create(username, password, "national_admin")
    write_private(path, f"{username} {password}\n")  # 0600 from the first byte
    return username, password


# --- e-mail channel ------------------------------------------------------------


def mail_gateway_handler(settings: Settings):  # noqa: ANN201
    """The e-mail channel's handler on the configured stack (tests run it too)."""
    from core.privacy import Sealer
    from streams.intake import Intake, make_producer, stored_lookup
    from streams.mail_gateway import MailGateway

    endpoints = _endpoints(settings)
    sealer = Sealer.from_settings(settings.reporter_key, settings.reporter_key_file)
    intake = Intake(
        make_producer(endpoints.kafka_bootstrap, settings), settings.topic_submitted, sealer
    )
    relay = (
        (settings.mail_relay_host, settings.mail_relay_port) if settings.mail_relay_host else None
    )
    return MailGateway(
        intake, relay, settings.mail_from, stored_lookup(_cases(settings).content_of)
    )


@app.command("mail-gateway")
def mail_gateway(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="SMTP port.")] = 2525,
) -> None:
    """Receive complaints by e-mail (SMTP); each is acknowledged with its tracking id."""
    from aiosmtpd.controller import Controller

    controller = Controller(mail_gateway_handler(get_settings()), hostname=host, port=port)
    controller.start()
    out.print(f"e-mail channel: SMTP on {host}:{port} (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()


# --- open311 -----------------------------------------------------------------


def _api_clients(settings: Settings):  # noqa: ANN202
    from casestore.api_clients import ApiClientStore

    clients = ApiClientStore(_database(settings))
    clients.ensure_indexes()
    return clients


@open311_app.command("add-client")
def open311_add_client(
    name: Annotated[str, typer.Argument(help="Client name, e.g. aplikasi-warga-kota-x.")],
    by: Annotated[str, typer.Option(help="The national admin registering it (audit).")],
) -> None:
    """Register an Open311 client; prints its api_key once (only its hash is kept)."""
    from casestore.api_clients import ApiClientError

    try:
        key = _api_clients(get_settings()).add(name, created_by=by)
    except ApiClientError as exc:
        raise fail(str(exc)) from None
    out.print(json.dumps({"client": name, "api_key": key}))


@open311_app.command("revoke")
def open311_revoke(name: str) -> None:
    """Stop a client's api_key at once."""
    from casestore.api_clients import ApiClientError

    try:
        _api_clients(get_settings()).revoke(name)
    except ApiClientError as exc:
        raise fail(str(exc)) from None
    out.print(f"revoked {name}")


@open311_app.command("clients")
def open311_clients() -> None:
    """Active clients: name, who registered it, when."""
    for client in _api_clients(get_settings()).active():
        out.print(f"{client.name}\t{client.created_by}\t{client.created_at:%Y-%m-%d %H:%M}")


# --- keys --------------------------------------------------------------------


def _reseal(settings: Settings) -> dict:
    from core.privacy import Sealer

    sealer = Sealer.from_settings(settings.reporter_key, settings.reporter_key_file)
    return {"keys": len(sealer.keys), **_cases(settings).reseal_identities(sealer)}


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new reporter key (for LAPOR_REPORTER_KEY; the key file needs none)."""
    from cryptography.fernet import Fernet

    print(Fernet.generate_key().decode())


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Put a new reporter key first, then re-seal every stored identity with it.

    With the key file the new key is generated into it. With LAPOR_REPORTER_KEY,
    put the new key first there ("new,old"; `lapor keys generate`) and run this to
    re-seal. Restart the web processes then: they seal with the key they loaded.
    """
    from core.privacy import rotate_key_file

    settings = get_settings()
    if not settings.reporter_key:
        rotate_key_file(settings.reporter_key_file)
    result = _reseal(settings)
    if result["keys"] < 2:
        out.print("[yellow]only one key: nothing to rotate from[/]", highlight=False)
    out.print_json(json.dumps(result))


@keys_app.command("retire")
def keys_retire() -> None:
    """Drop the old reporter keys once no stored identity needs them.

    Refused while a stored case is still sealed with an old key (run `lapor keys
    rotate` again after restarting the web processes). Complaints still waiting
    on the intake topic sealed with an old key cannot be opened after this:
    retire once the worker has caught up.
    """
    from core.privacy import retire_old_keys

    settings = get_settings()
    result = _reseal(settings)
    if result["resealed"]:
        raise fail(
            f"{result['resealed']} identities were still sealed with an old key and have "
            "just been re-sealed; restart the web processes that seal with it, then retire again"
        )
    if settings.reporter_key:
        out.print("remove the old keys from LAPOR_REPORTER_KEY: no stored case needs them")
        dropped = 0
    else:
        dropped = retire_old_keys(settings.reporter_key_file)
    out.print_json(json.dumps({**result, "retired": dropped}))


# --- rules -------------------------------------------------------------------


@rules_app.command("check")
def rules_check() -> None:
    """Validate every routing rule file."""
    from routing_rules.rules import RuleError, load_rules

    try:
        rules = load_rules()
    except RuleError as exc:
        raise fail(str(exc)) from None
    out.print(
        f"ok: {len(rules.exceptions)} tier exceptions, {len(rules.overrides)} regional "
        f"overrides ({', '.join(rules.files)})"
    )


@rules_app.command("explain")
def rules_explain(
    text: str,
    region_hint: Annotated[str | None, typer.Option(help="Region from the channel.")] = None,
    channel: Annotated[str | None, typer.Option(help="web, sms, ...")] = None,
) -> None:
    """Print the routing decision for one complaint, with its reasons."""
    from routing_rules.engine import Router
    from streams.decide import decide

    settings = get_settings()
    result = decide(
        serving_model(settings),
        Router(),
        [{"text": text, "region_hint": region_hint, "channel": channel}],
    )[0]
    out.print_json(
        json.dumps(
            {"prediction": result.prediction.to_dict(), "decision": result.decision.to_dict()},
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    app()
