"""Data in and out: publish complaints, export training labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from core.settings import get_settings
from lapor import operations
from lapor.cli.common import fail, out

commands = typer.Typer()
dataset_app = typer.Typer(help="Training data from the case store.", no_args_is_help=True)


@commands.command()
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
    records = operations.read_input(file)
    ids = operations.submit_records(settings, records)
    if ids_out:
        ids_out.write_text("\n".join(ids) + "\n")
    out.print(f"submitted {len(ids)} complaints to {settings.topic_submitted}")
    if len(ids) < len(records):
        raise typer.Exit(1)


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
    db = operations.database(settings)
    since = None
    if since_serving:
        from lapor.monitor import serving

        current = serving(settings)
        if current is None:
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
