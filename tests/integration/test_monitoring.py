"""Model monitoring end to end: real traffic through the running worker, people's
corrections through the console's store methods, `lapor monitor`'s figures, a
drift flag raised by texts in a register the model never saw, the dashboard's
model-health panel, the MLflow record and the export since the serving version."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from mlflow import MlflowClient

from casestore.monitoring import MonitoringStore
from casestore.store import CaseStore, connect
from casestore.users import UserStore
from classifier.corpus import split_corpus
from classifier.registry import (
    CHAMPION,
    MODEL_NAME,
    champion_version,
    configure,
    log_training_run,
    promote,
)
from core.taxonomy import taxonomy
from lapor import monitor, stack
from lapor.operations import submit_records, wait_for_cases
from tests.security.console import login, make_client

pytestmark = pytest.mark.integration

# English: a register the seed corpus never uses (every complaint is Indonesian or
# a regional language mixed with it)
SUBJECTS = [
    "The street lights",
    "Our water supply",
    "The garbage truck",
    "The main road",
    "My electricity meter",
    "The public hospital",
    "Our village school",
    "The bus stop",
]
PROBLEMS = [
    "has been broken for three weeks",
    "stopped working again yesterday evening",
    "is dangerous for children walking home",
    "keeps failing every single weekend",
    "was never repaired although we reported it twice",
]
REQUESTS = [
    "please send someone to fix it",
    "could the office respond quickly",
    "we are waiting for an answer",
]


def english_complaints(n: int) -> list[str]:
    texts = [f"{s} {p}, {r}." for s in SUBJECTS for p in PROBLEMS for r in REQUESTS]
    return texts[:n]


@pytest.fixture(scope="module")
def store(stack_settings):
    return CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )


@pytest.fixture(scope="module")
def registry(stack_settings):
    """The test registers and promotes a champion of its own, so the labels and the
    export have a training time to be compared with; the champion before (the one
    other tests expect) is restored afterwards."""
    client = configure(stack_settings.mlflow_uri, stack_settings.state_dir)
    before = champion_version(client)
    yield client
    if before:
        client.set_registered_model_alias(MODEL_NAME, CHAMPION, before)
    else:
        client.delete_registered_model_alias(MODEL_NAME, CHAMPION)


def other_agency(agency: str) -> tuple[str, str]:
    tax = taxonomy()
    topic = next(t for t in sorted(tax.topics) if tax.agency_of(t) != agency)
    return tax.agency_of(topic), topic


def test_live_figures_and_drift_flags_follow_traffic_and_corrections(
    stack_settings, worker, store, seed_records, trained_model, registry, tmp_path
):
    from casestore.users import User

    client = registry
    admin = User("mon-admin", "national_admin", None)

    # a label made before the serving version was trained is not new training data
    old = submit_records(
        stack_settings, [{"id": "MON-OLD", "text": "air pdam mati di Kab. Sleman"}], progress=False
    )
    assert wait_for_cases(stack_settings, old, timeout=120) == 1
    status = store.cases.find_one({"_id": "MON-OLD"})["status"]
    to = "ditindaklanjuti" if status == "terdisposisi" else "terverifikasi"
    store.change_status(admin, "MON-OLD", to, "ditangani")
    train, valid = split_corpus(seed_records)
    version = log_training_run(trained_model, train, valid)  # trained after that label
    label = f"{MODEL_NAME}/{version}"
    promote(client, version, valid, by="test-monitor")
    time.sleep(2)  # the worker checks the registry every second
    since = datetime.now(UTC)

    normal = [
        {
            "id": f"MON-N-{i:03d}",
            "text": r["text"],
            "channel": "web",
            "region_hint": "Kabupaten Sleman",
        }
        for i, r in enumerate(valid[:90])
    ]
    ids = submit_records(stack_settings, normal, progress=False)
    assert wait_for_cases(stack_settings, ids, timeout=180) == len(ids)
    cases = list(store.cases.find({"_id": {"$in": ids}}))
    assert {c["prediction"]["model_version"] for c in cases} == {label}

    first = monitor.run(stack_settings, store.db, "week", since=since)
    assert first["serving_version"] == label and first["registry_version"] == version
    assert first["cases"] == len(ids) and first["labelled"] == 0
    assert first["quality"]["auto_routed_precision"] is None
    assert first["drift"]["oov_rate"] < first["drift"]["oov_reference"] + monitor.OOV_RISE
    assert "oov" not in {f["code"] for f in first["flags"]}

    # people's decisions, through the store methods the console's forms call
    auto = sorted((c for c in cases if c["auto_routed"]), key=lambda c: c["_id"])
    triage = [c for c in cases if not c["auto_routed"]]
    assert len(auto) >= 40, "the seed's validation texts with a regency are mostly auto-routed"
    wrong = auto[:15]
    for c in wrong:
        agency, topic = other_agency(c["decision"]["agency"])
        case = store.cases.find_one({"_id": c["_id"]})
        store.redispatch(admin, case, {"agency": agency, "topic": topic}, "salah instansi")
    for c in auto[15:]:
        store.change_status(admin, c["_id"], "ditindaklanjuti", "sedang ditangani unit")
    for c in triage:
        store.change_status(admin, c["_id"], "terverifikasi", "rute sudah benar")

    # a register the model never saw, through another channel
    foreign = [
        {"id": f"MON-E-{i:03d}", "text": t, "channel": "sms", "region_hint": "Kabupaten Sleman"}
        for i, t in enumerate(english_complaints(110))
    ]
    foreign_ids = submit_records(stack_settings, foreign, progress=False)
    assert wait_for_cases(stack_settings, foreign_ids, timeout=180) == len(foreign_ids)

    second = monitor.run(stack_settings, store.db, "week", since=since)
    q = second["quality"]
    assert second["cases"] == len(ids) + len(foreign_ids)
    assert second["labelled"] == len(cases)
    assert q["by_kind"] == {"override": len(wrong), "verified": len(cases) - len(wrong)}
    assert q["auto_routed"] == len(auto)
    assert q["auto_routed_precision"] == round((len(auto) - len(wrong)) / len(auto), 4)
    assert q["agency_accuracy"] == round((len(cases) - len(wrong)) / len(cases), 4)
    assert sum(c["count"] for c in q["confusions"]) <= len(wrong) and q["confusions"]
    assert q["confidence_n"] == len(cases) and 0 <= q["ece"] <= 1
    assert sum(b["n"] for b in q["bins"]) == len(cases)
    drift = second["drift"]
    assert drift["oov_rate"] >= drift["oov_reference"] + monitor.OOV_RISE
    assert drift["channel_mix"] == {"web": len(ids), "sms": len(foreign_ids)}
    codes = {f["code"] for f in second["flags"]}
    assert {"oov", "precision"} <= codes, second["flags"]
    # the period documents hold aggregates, never a complaint's text
    stored = MonitoringStore(store.db).periods(label)
    assert stored and not any("text" in d or "texts" in d for d in stored)
    assert valid[0]["text"] not in json.dumps(stored, default=str)

    # MLflow: the run is linked to the registered version, the version carries the figures
    mlflow_run = MlflowClient().get_run(second["mlflow_run_id"])
    assert mlflow_run.data.tags["registered_model_version"] == version
    assert mlflow_run.data.metrics["live_auto_routed_precision"] == q["auto_routed_precision"]
    assert mlflow_run.data.metrics["drift_oov_rate"] == drift["oov_rate"]
    logged = client.get_logged_model(monitor.logged_model_id(client, version))
    assert {m.key for m in logged.metrics} >= {"live_auto_routed_precision", "drift_oov_rate"}
    tags = client.get_model_version(MODEL_NAME, version).tags
    assert tags["monitor_last_run"] == second["mlflow_run_id"] and "oov" in tags["monitor_flags"]

    # the national admin's dashboard says so, in Indonesian
    users = UserStore(store.db)
    users.create("mon-nasional", "sandi-nasional-987", "national_admin")
    users.create("mon-koord", "sandi-koordinator-9", "regional_coordinator", "34")
    with make_client(stack_settings) as web:
        assert login(web, "mon-nasional", "sandi-nasional-987").status_code == 303
        html = web.get("/admin/dashboard").text
    assert 'id="model-health"' in html and label in html
    assert "Presisi rute otomatis (live)" in html and 'data-code="oov"' in html
    assert "Kata yang tidak dikenal model" in html
    with make_client(stack_settings) as web:
        login(web, "mon-koord", "sandi-koordinator-9")
        assert 'id="model-health"' not in web.get("/admin/dashboard").text

    # closing the loop: exactly the cases labelled since the serving version was trained
    out = tmp_path / "since.jsonl"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "lapor.cli",
            "dataset",
            "export",
            "--since-serving",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["serving_version"] == label
    exported = {r["id"] for r in map(json.loads, out.read_text().splitlines())}
    mine = {i for i in exported if i.startswith("MON-")}
    # not MON-OLD (labelled before), not the English ones (nobody labelled them)
    assert mine == {c["_id"] for c in cases}, sorted(mine ^ {c["_id"] for c in cases})
