"""Structured region hints, as a mobile app sends them (issue 16): they used to
crash `lapor route --file` and be rejected by `lapor submit`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from casestore.store import CaseStore, connect
from lapor import stack
from lapor.operations import submit_records, wait_for_cases
from streams.intake import IntakeError, region_hint_text

TEXT = "lampu penerangan jalan mati sejak seminggu, gelap sekali di malam hari"


@pytest.mark.parametrize(
    "hint, text",
    [
        (None, None),
        ("  Sleman ", "Sleman"),
        ({"code": "34.04"}, "34.04"),
        (
            {"regency": "Kabupaten Sleman", "province": "DI Yogyakarta"},
            "Kabupaten Sleman, DI Yogyakarta",
        ),
        ({"province": "Jawa Timur"}, "Jawa Timur"),
        ({}, None),
    ],
)
def test_a_structured_hint_becomes_the_text_routing_reads(hint, text):
    assert region_hint_text(hint) == text


@pytest.mark.parametrize("hint", [{"kota": "Blitar"}, {"code": 3404}, ["Sleman"], 7])
def test_a_hint_of_another_shape_is_refused_with_a_reason(hint):
    with pytest.raises(IntakeError, match="region_hint"):
        region_hint_text(hint)


@pytest.mark.integration
def test_lapor_route_file_reads_structured_hints(stack_env, tmp_path):
    lines = [
        {"text": TEXT, "region_hint": {"code": "34.04"}},
        {"text": TEXT, "region_hint": {"regency": "Kota Blitar", "province": "Jawa Timur"}},
    ]
    sample = tmp_path / "hints.jsonl"
    sample.write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = tmp_path / "routed.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "lapor.cli", "route", "--file", str(sample), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    routed = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["unit_id"].split(":")[1] for r in routed] == ["34.04", "35.72"], routed


@pytest.mark.integration
def test_submit_and_the_api_take_structured_hints(stack_settings, worker, web_client):
    ids = submit_records(
        stack_settings, [{"id": "HINT-CLI", "text": TEXT, "region_hint": {"code": "34.04"}}], False
    )
    answer = web_client.post(
        "/api/v1/complaints",
        json={"text": TEXT, "region_hint": {"regency": "Kota Blitar"}, "lat": -8.1, "long": 112.17},
    )
    assert answer.status_code == 201, answer.text
    ids.append(answer.json()["tracking_id"])
    assert wait_for_cases(stack_settings, ids, timeout=120) == 2
    store = CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )
    cli_case, api_case = (store.cases.find_one({"_id": i}) for i in ids)
    assert cli_case["decision"]["regency_code"] == "34.04"
    assert api_case["decision"]["regency_code"] == "35.72"
    assert (api_case["lat"], api_case["long"]) == (-8.1, 112.17)
    bad = web_client.post("/api/v1/complaints", json={"text": TEXT, "region_hint": {"kota": "X"}})
    assert bad.status_code == 422 and "region_hint" in bad.json()["detail"]
