"""Benchmarks: ratios against baselines measured in the same run."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from core.settings import get_settings
from lapor import operations, stack
from lapor.cli.common import out, print_table

bench_app = typer.Typer(
    help="Benchmarks (ratios against baselines in the same run).", no_args_is_help=True
)


@bench_app.command("classify")
def bench_classify(
    n: Annotated[int, typer.Option(help="Complaints to classify.")] = 3000,
    batch: Annotated[int, typer.Option(help="Batch size.")] = 500,
    passes: Annotated[int, typer.Option(help="Alternating pipeline/bare passes.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Full pipeline vs bare model vs naive stock-Sastrawi baseline, in one run."""
    from lapor.bench import bench_classify as run

    settings = get_settings()
    source = operations.model_source(settings)
    version = operations.ensure_model(settings, source)
    result = run(lambda: source.load(version), n=n, batch=batch, passes=passes)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    print_table("classification throughput (complaints/s)", list(result), [result.values()])


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
    print_table(
        f"masking time by size (worst of {result['inputs']} adversarial inputs vs ordinary text)",
        list(rows[0]),
        [row.values() for row in rows],
    )
    inputs = result["per_input"]
    print_table(
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
    result = run(stack.endpoints(settings).mongodb_uri, n=n)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    print_table("agency performance figures", list(result), [result.values()])


@bench_app.command("monitor")
def bench_monitor(
    n: Annotated[int, typer.Option(help="Cases in the store to monitor.")] = 100_000,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """`lapor monitor` on N cases in a fresh store, against reading the same cases."""
    from lapor.bench import bench_monitor as run

    settings = get_settings()
    operations.ensure_model(settings)
    result = run(settings, n=n)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    print_table(f"monitoring {n} cases", ["figure", "value"], result.items())


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
    operations.ensure_model(settings)
    result = run(settings, n=n, workers=workers, store_workers=store_workers)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    stages = result.pop("worker_stages")
    cpu = result.pop("cpu_seconds")
    print_table(
        f"end to end: {n} complaints, {workers} worker(s)", ["figure", "value"], result.items()
    )
    print_table(
        "CPU seconds each part used while the complaints flowed", ["part", "CPU s"], cpu.items()
    )
    print_table(
        "where the worker's time goes (wall time per stage, all batches)",
        list(stages[0]) if stages else ["stage"],
        [row.values() for row in stages],
    )
