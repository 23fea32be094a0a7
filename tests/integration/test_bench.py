"""`lapor bench e2e` as a user runs it: every complaint becomes one case, and the
JSON carries the figures the README reports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_bench_e2e_routes_every_complaint_and_reports_its_figures(stack_settings):
    run = subprocess.run(
        [sys.executable, "-m", "lapor.cli", "bench", "e2e", "--n", "300", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    for key in ("n", "e2e_per_s", "p50_ms", "p95_ms", "p99_ms", "floor_ratio"):
        assert key in result
    assert result["n"] == result["stored"] == 300
    assert result["e2e_per_s"] > 0 and result["floor_ratio"] > 0
    assert result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"]
    for floor in ("broker_floor_s", "store_floor_s", "classify_floor_s"):
        assert result[floor] > 0
    assert set(result["cpu_seconds"]) >= {"workers", "load_generator"}
    stages = {row["stage"] for row in result["worker_stages"]}
    assert any(s.startswith("route: classify") for s in stages)
    assert any(s.startswith("store: ") for s in stages)
