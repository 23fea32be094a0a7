"""``lapor``: the command line, one module per command group (``run``: the stack,
worker, web app, mail gateway and demo; ``model``; ``data``; ``bench``; ``admin``;
``keys``), each thin over :mod:`lapor.operations`, which the tests, benchmarks and
notebooks use too."""

from __future__ import annotations

import logging

import click
import typer
from typer.core import TyperGroup

from core.files import private_umask
from lapor import stack
from lapor.cli import admin, bench, data, keys, model, privacy, run
from lapor.cli.common import fail
from lapor.operations import OperationError

# MLflow narrates every run at INFO; the CLI prints its own summary instead.
logging.getLogger("mlflow").setLevel(logging.WARNING)


class _Commands(TyperGroup):
    """Prints an operation's error as an error line and exits 1, for every command."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (OperationError, stack.StackError) as exc:
            raise fail(str(exc)) from None


app = typer.Typer(
    cls=_Commands,
    help="Route Indonesian public-service complaints to the agency that must answer.",
    no_args_is_help=True,
)
for commands in (run.commands, model.commands, data.commands):
    app.add_typer(commands)
app.add_typer(model.model_app, name="model")
app.add_typer(model.rules_app, name="rules")
app.add_typer(data.dataset_app, name="dataset")
app.add_typer(bench.bench_app, name="bench")
app.add_typer(admin.admin_app, name="admin")
app.add_typer(admin.open311_app, name="open311")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(privacy.privacy_app, name="privacy")


@app.callback()
def main() -> None:
    """Route Indonesian public-service complaints to the agency that must answer."""
    # everything written from here on (the state directory: keys, logs, models, the
    # demo login; but also `--out` files) is the owner's only (core/files.py)
    private_umask()
