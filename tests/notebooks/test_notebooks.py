"""Execute both notebooks headless (nbclient) against the real stack and a
temporary MLflow store; assert on what they produced, not merely that they ran."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from mlflow import MlflowClient

from classifier.registry import MODEL_NAME, configure

pytestmark = pytest.mark.integration
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def run_notebook(name: str, parameters: dict, cwd: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source += "\n# injected by the test\n" + "\n".join(
        f"{k} = {v!r}" for k, v in parameters.items()
    )
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def last_output(nb: nbformat.NotebookNode) -> str:
    cell = [c for c in nb.cells if c.cell_type == "code"][-1]
    return "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)


@pytest.fixture(autouse=True)
def own_tracking_store(monkeypatch):
    """mlflow.set_tracking_uri() exports MLFLOW_TRACKING_URI; earlier tests in the
    session must not point the notebook kernels at their store, nor the session
    registry's LAPOR_MLFLOW_URI (each notebook is given its state directory)."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("LAPOR_MLFLOW_URI", raising=False)


def test_explore_notebook(stack_settings, tmp_path):
    nb = run_notebook("01-explore.ipynb", {"STATE_DIR": str(stack_settings.state_dir),
                                           "MONGODB_DB": stack_settings.mongodb_db}, tmp_path)
    summary = last_output(nb)
    assert "'agencies': 39" in summary and "'complaints':" in summary
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 1  # class balance + lengths (override plot when cases exist)
    assert "cases_in_store" in summary


def test_retrain_notebook_registers_and_promotes(tmp_path):
    state = tmp_path / "state"
    export = tmp_path / "export.jsonl"
    from classifier.corpus import load_seed_corpus

    rows = [{**r, "provenance": {"kind": "seed"}} for r in load_seed_corpus()]
    rows.append({"id": "C1", "text": "lampu jalan di gang kami mati, bukan listrik rumah",
                 "agency": "dinas_perhubungan", "topic": "penerangan_jalan_umum",
                 "provenance": {"kind": "override"}})
    export.write_text("".join(json.dumps(r) + "\n" for r in rows))

    run_notebook("02-retrain.ipynb", {"STATE_DIR": str(state), "EXPORT_PATH": str(export)},
                 tmp_path)
    result = json.loads((state / "notebook-02-result.json").read_text())
    assert result["registered_version"] == "1"
    assert result["gate"]["promoted"] is True
    assert result["provenance"] == {"seed": len(rows) - 1, "override": 1}

    client: MlflowClient = configure(None, state)
    version = client.get_model_version_by_alias(MODEL_NAME, "champion")
    assert str(version.version) == "1"
    assert version.tags["promoted_by"] == "notebook 02-retrain"
    run = client.get_run(version.run_id)
    assert run.data.metrics["agency_macro_f1"] > 0.8
    assert run.data.params["data_source"] == "export"
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"confusion_matrix.png", "per_class_report.json"} <= artifacts


def test_monitor_notebook_plots_the_weekly_figures(stack_settings, worker, tmp_path):
    from lapor.operations import submit_records, wait_for_cases

    records = [{"id": f"NB3-{i}", "text": t, "region_hint": "Kabupaten Bantul"}
               for i, t in enumerate(["air pdam mati tiga hari", "jalan desa rusak berlubang",
                                      "sampah tidak diangkut seminggu", "lampu jalan padam"])]
    ids = submit_records(stack_settings, records, progress=False)
    assert wait_for_cases(stack_settings, ids, timeout=120) == len(ids)
    nb = run_notebook("03-monitor.ipynb", {"STATE_DIR": str(stack_settings.state_dir),
                                           "MONGODB_DB": stack_settings.mongodb_db,
                                           "MLFLOW_URI": stack_settings.mlflow_uri}, tmp_path)
    summary = last_output(nb)
    assert "'serving_version':" in summary and "'periods':" in summary
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 2  # live quality + reliability, drift
