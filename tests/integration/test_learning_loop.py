"""MLflow registry, promotion gate, export from cases, and the champion reaching
a running worker without a restart."""

from __future__ import annotations

import json
import time

import pytest

from casestore.export import export_labels
from casestore.store import CaseStore, connect
from casestore.users import User, UserStore
from classifier.corpus import split_corpus
from classifier.registry import (
    MODEL_NAME,
    PromotionRefused,
    champion_version,
    configure,
    log_training_run,
    promote,
)
from classifier.train import train_model
from lapor import stack
from lapor.operations import submit_records, wait_for_cases
from tests.integration.test_security import csrf, login, make_client

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(stack_settings):
    return CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )


def test_new_champion_reaches_the_running_worker(
    stack_settings, worker, store, seed_records, trained_model
):
    client = configure(stack_settings.mlflow_uri, stack_settings.state_dir)
    before = champion_version(client)
    assert before  # the registry is where the worker's model comes from: never a file
    ids = submit_records(
        stack_settings,
        [{"id": "LL-BEFORE", "text": "air pdam mati di Kab. Bantul"}],
        progress=False,
    )
    assert wait_for_cases(stack_settings, ids, timeout=120) == 1
    case = store.cases.find_one({"_id": "LL-BEFORE"})
    assert case["prediction"]["model_version"] == f"{MODEL_NAME}/{before}"

    train, valid = split_corpus(seed_records)
    version = log_training_run(trained_model, train, valid)
    assert version != before and champion_version(client) == before
    promote(client, version, valid, by="test")
    assert champion_version(client) == version
    time.sleep(2 * stack_settings.model_check_seconds)  # the worker's next registry check

    ids = submit_records(
        stack_settings, [{"id": "LL-AFTER", "text": "air pdam mati di Kab. Bantul"}], progress=False
    )
    assert wait_for_cases(stack_settings, ids, timeout=120) == 1
    case = store.cases.find_one({"_id": "LL-AFTER"})
    assert case["prediction"]["model_version"] == f"{MODEL_NAME}/{version}"
    assert worker.poll() is None  # the same worker process, never restarted

    run = client.get_run(client.get_model_version(MODEL_NAME, version).run_id)
    assert {"train_sha256", "validation_rows", "data_source"} <= set(run.data.params)
    assert run.data.metrics["topic_macro_f1"] > 0.8
    assert run.data.tags["code_version"]


def test_gate_refuses_a_worse_candidate_with_figures(stack_settings, seed_records):
    client = configure(stack_settings.mlflow_uri, stack_settings.state_dir)
    _, valid = split_corpus(seed_records)
    champion = (
        champion_version(client)
        or promote(
            client, log_training_run(train_model(seed_records), *split_corpus(seed_records)), valid
        ).candidate
    )
    by_topic: dict[str, list] = {}
    for r in split_corpus(seed_records)[0]:
        by_topic.setdefault(r["topic"], []).append(r)
    tiny = [r for rows in by_topic.values() for r in rows[:3]] + valid  # 3 per topic to train
    weak = train_model(tiny)
    weak_version = log_training_run(weak, *split_corpus(tiny))
    with pytest.raises(PromotionRefused, match=r"agency macro-F1 0\.\d+ .* champion"):
        promote(client, weak_version, valid)
    assert champion_version(client) == champion
    forced = promote(client, weak_version, valid, force=True, by="test-force")
    assert forced.forced
    tags = client.get_model_version(MODEL_NAME, weak_version).tags
    assert tags["promotion_forced"] == "true" and tags["promoted_by"] == "test-force"
    promote(client, champion, valid, by="test-restore")


def test_export_takes_overrides_and_verified_cases_without_identities(
    stack_settings, worker, store, tmp_path
):
    ids = submit_records(
        stack_settings,
        [
            {
                "id": "EX-OVR",
                "text": "lampu jalan mati, hubungi 081234567890",
                "reporter": {"name": "Rahasia Sekali", "nik": "3404011508950001"},
            },
            {"id": "EX-VER", "text": "jalan rusak berlubang di Kab. Sleman"},
            {"id": "EX-NONE", "text": "sampah menumpuk di Kab. Sleman"},
        ],
        progress=False,
    )
    assert wait_for_cases(stack_settings, ids, timeout=120) == 3
    admin = User("admin-x", "national_admin", None)
    # the console's re-dispatch: the worker records the correction from its event
    UserStore(store.db).create("export-admin", "sandi-ekspor-admin-7", "national_admin")
    with make_client(stack_settings) as client:
        assert login(client, "export-admin", "sandi-ekspor-admin-7").status_code == 303
        answer = client.post(
            "/admin/cases/EX-OVR/override",
            data={
                "agency": "dinas_perhubungan",
                "topic": "penerangan_jalan_umum",
                "tier": "kabupaten_kota",
                "region": "Kabupaten Sleman",
                "reason": "PJU, bukan PLN",
                "csrf_token": csrf(client, "/admin/triage"),
            },
        )
    assert answer.status_code == 303 and "error" not in answer.headers["location"]
    deadline = time.monotonic() + 60
    while not store.db["corrections"].count_documents({"complaint_id": "EX-OVR"}):
        assert time.monotonic() < deadline, "the worker recorded no correction"
        time.sleep(0.3)
    case = store.cases.find_one({"_id": "EX-VER"})
    if case["status"] == "menunggu_verifikasi":
        store.change_status(admin, "EX-VER", "terverifikasi", "rute benar")
    store.change_status(
        admin,
        "EX-VER",
        "ditindaklanjuti" if case["status"] == "terdisposisi" else "terdisposisi",
        "diteruskan",
    )

    out = tmp_path / "labels.jsonl"
    first = export_labels(store.db, out)
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["EX-OVR"]["topic"] == "penerangan_jalan_umum"
    assert rows["EX-OVR"]["provenance"]["kind"] == "override"
    assert "EX-NONE" not in rows
    text = out.read_text()
    assert "081234567890" not in text and "Rahasia Sekali" not in text
    assert "3404011508950001" not in text and "reporter" not in text
    assert export_labels(store.db, tmp_path / "again.jsonl")["version"] == first["version"]


def test_export_and_train_commands(stack_env, tmp_path):
    """The CLI path a data scientist follows: export with the seed, train on it."""
    import subprocess
    import sys

    out = tmp_path / "labels.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "lapor.cli", "dataset", "export", "--with-seed", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["by_provenance"]["seed"] >= 48 * 60
    assert summary["rows"] == len(out.read_text().splitlines())


def test_model_list_shows_the_registry_the_workers_serve_from(stack_env, stack_settings):
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "lapor.cli", "model", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    client = configure(stack_settings.mlflow_uri, stack_settings.state_dir)
    assert [r["version"] for r in rows if r["champion"]] == [champion_version(client)]
    assert [int(r["version"]) for r in rows] == sorted(
        (int(r["version"]) for r in rows), reverse=True
    )
    assert all(r["label"] == f"{MODEL_NAME}/{r['version']}" for r in rows)
    assert all(r["agency_macro_f1"] > 0 for r in rows)
