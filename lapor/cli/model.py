"""The model: train, promote, route, evaluate, experiment, monitor, the rules."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from core.settings import get_settings
from lapor import operations
from lapor.cli.common import err, fail, out, print_table

commands = typer.Typer()
model_app = typer.Typer(help="The model registry (MLflow).", no_args_is_help=True)
rules_app = typer.Typer(help="Check and explain the routing rules.", no_args_is_help=True)


@commands.command()
def train(
    extra: Annotated[
        Path | None, typer.Option(help="Labelled JSONL to add (lapor dataset export).")
    ] = None,
) -> None:
    """Train on the seed corpus (+ exported labels), track in MLflow, register the model."""
    out.print_json(json.dumps(operations.train_and_register(get_settings(), extra)))


@model_app.command("list")
def model_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Registered versions, newest first; the champion is what every worker serves."""
    from classifier.registry import configure, list_versions

    settings = get_settings()
    rows = list_versions(configure(settings.mlflow_uri, settings.state_dir))
    if as_json:
        sys.stdout.write("".join(json.dumps(r) + "\n" for r in rows))
        return
    if not rows:
        raise fail("no registered model yet: lapor train")
    columns = [
        *("version", "champion", "registered_at"),
        *("data_source", "agency_macro_f1", "promoted_by"),
    ]
    rows = [{**r, "champion": "*" if r["champion"] else ""} for r in rows]
    print_table("complaint-router", columns, [[r[c] or "" for c in columns] for r in rows])


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


@commands.command()
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
        record = run(
            settings, operations.database(settings), period, periods, since=start, log=not no_mlflow
        )
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
    print_table(
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


@commands.command()
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
        else operations.read_input(file)
    )
    bad = [i for i, r in enumerate(records, 1) if not str(r.get("text") or "").strip()]
    if bad:
        raise fail(f"lines without a text: {bad[:10]}", 2)
    for number, record in enumerate(records, 1):
        try:
            region_hint_text(record.get("region_hint"))
        except IntakeError as exc:
            raise fail(f"line {number}: {exc}", 2) from None
    results = decide(operations.serving_model(settings), Router(), records)
    lines = [json.dumps(route_output(r, x), ensure_ascii=False) for r, x in zip(records, results)]
    if out_file:
        out_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        err.print(f"wrote {len(lines)} decisions to {out_file}")
    else:
        sys.stdout.write("\n".join(lines) + "\n")


# beside the checkout, as the shared data README places it
LAPORGUB_DEFAULT = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "laporgub" / "laporgub_2024_2025.csv"
)


@commands.command()
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
    model = operations.serving_model(settings)
    if laporgub:
        result = operations.laporgub_check(model, laporgub_csv, plot)
        out.print_json(json.dumps(result, ensure_ascii=False))
        return
    from classifier.train import evaluate as score

    records = operations.read_input(data)
    try:
        result = score(model, records)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if plot:
        from classifier.report import plot_confusion

        plot_confusion(model, records, plot)
        result["plot"] = str(plot)
    out.print_json(json.dumps(result))


@commands.command()
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
        operations.serving_model(settings),
        Router(),
        [{"text": text, "region_hint": region_hint, "channel": channel}],
    )[0]
    out.print_json(
        json.dumps(
            {"prediction": result.prediction.to_dict(), "decision": result.decision.to_dict()},
            ensure_ascii=False,
        )
    )
