"""MLflow I/O: tracked training runs, the ``complaint-router`` registry, the gate.

Every training run logs its parameters, a fingerprint of each data split,
metrics, the confusion matrix and per-class report, the code version, and the
model (pyfunc wrapping the one scikit-learn Pipeline, with signature and input
example). Workers serve the version behind the alias ``champion``; a candidate
becomes champion only through :func:`promote`, which compares both on the same
held-out set and refuses a worse candidate unless forced (and records that).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from classifier.corpus import labels_of
from classifier.model import ComplaintModel
from classifier.train import evaluate

MODEL_NAME = "complaint-router"
CHAMPION = "champion"
EXPERIMENT = "complaint-routing"
GATE_TOLERANCE = 0.01  # agency macro-F1 a candidate may lose and still be promoted


class PromotionRefused(RuntimeError):
    """The candidate is worse than the champion; the message has the figures."""


class RouterPyfunc(mlflow.pyfunc.PythonModel):
    """The registry's view of a ComplaintModel: DataFrame(text) -> agency, topic, confidence."""

    def __init__(self, model: ComplaintModel | None = None) -> None:
        self.model = model

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        import joblib

        self.model = joblib.load(context.artifacts["complaint_model"])

    def predict(self, context: object, model_input: pd.DataFrame, params: dict | None = None):  # noqa: ANN201
        predictions = self.model.predict(list(model_input["text"].astype(str)))
        return pd.DataFrame(
            {
                "agency": [p.agency for p in predictions],
                "topic": [p.topic for p in predictions],
                "confidence": [p.confidence for p in predictions],
                "confident": [p.confident for p in predictions],
            }
        )


def tracking_uri(mlflow_uri: str | None, state_dir: Path) -> str:
    """LAPOR_MLFLOW_URI, else MLFLOW_TRACKING_URI, else SQLite under the state dir."""
    import os

    if mlflow_uri:
        return mlflow_uri
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return f"sqlite:///{(state_dir / 'mlflow.db').resolve()}"


def configure(mlflow_uri: str | None, state_dir: Path) -> MlflowClient:
    """Point MLflow at the tracking store and make sure the experiment exists.

    With the local SQLite store, the first use creates and migrates the database;
    two workers starting together would race on that migration (one crashes), so
    it happens under an exclusive file lock.
    """
    import fcntl

    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    uri = tracking_uri(mlflow_uri, state_dir)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    with (state_dir / "mlflow.lock").open("w") as lock:
        if uri.startswith("sqlite:"):
            fcntl.flock(lock, fcntl.LOCK_EX)
        if mlflow.get_experiment_by_name(EXPERIMENT) is None:
            artifacts = None
            if uri.startswith("sqlite:"):
                artifacts = (state_dir / "mlartifacts").resolve().as_uri()
            mlflow.create_experiment(EXPERIMENT, artifact_location=artifacts)
        mlflow.set_experiment(EXPERIMENT)
    return MlflowClient()


def fingerprint(records: list[dict]) -> dict:
    digest = hashlib.sha256()
    for r in sorted(records, key=lambda r: r["text"]):
        digest.update(json.dumps([r["text"], *labels_of(r)], ensure_ascii=False).encode())
    return {"sha256": digest.hexdigest()[:16], "rows": len(records)}


def code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def log_training_run(
    model: ComplaintModel, train: list[dict], valid: list[dict], source: str = "seed"
) -> str:
    """Log one training run and register the model; returns the new registry version."""
    from classifier.report import plot_confusion

    with (
        mlflow.start_run(run_name=f"train-{model.version}"),
        tempfile.TemporaryDirectory() as tmp,
    ):
        tmpdir = Path(tmp)
        mlflow.log_params(
            {
                "pipeline": "normalize>stem>tfidf(word1-2+char2-5)>calibrated LinearSVC",
                "C": model.pipeline.named_steps["clf"].estimator.estimator.C,
                "prior_power": model.pipeline.named_steps["clf"].power_,
                "threshold": model.threshold,
                "data_source": source,
            }
        )
        for split, rows in (("train", train), ("validation", valid)):
            fp = fingerprint(rows)
            mlflow.log_params({f"{split}_sha256": fp["sha256"], f"{split}_rows": fp["rows"]})
        metrics = {k: v for k, v in model.metrics.items() if isinstance(v, int | float)}
        mlflow.log_metrics(metrics)
        mlflow.set_tags({"code_version": code_version(), "model_version_label": model.version})
        report = {
            "per_topic_f1": model.metrics.get("per_topic_f1"),
            "confusions": model.metrics.get("confusions"),
        }
        (tmpdir / "per_class_report.json").write_text(json.dumps(report, indent=2))
        mlflow.log_artifact(str(tmpdir / "per_class_report.json"))
        mlflow.log_artifact(str(plot_confusion(model, valid, tmpdir / "confusion_matrix.png")))

        model_file = tmpdir / "complaint_model.joblib"
        model.save(model_file)
        example = pd.DataFrame({"text": [r["text"] for r in valid[:3]]})
        signature = infer_signature(example, RouterPyfunc(model).predict(None, example))
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=RouterPyfunc(),
            artifacts={"complaint_model": str(model_file)},
            signature=signature,
            input_example=example,
            registered_model_name=MODEL_NAME,
        )
        return str(info.registered_model_version)


def champion_version(client: MlflowClient) -> str | None:
    try:
        return str(client.get_model_version_by_alias(MODEL_NAME, CHAMPION).version)
    except MlflowException:
        return None


def version_label(version: str) -> str:
    """The one version format: what a served model, its routed events and cases carry."""
    return f"{MODEL_NAME}/{version}"


def load_version(version: str) -> ComplaintModel:
    pyfunc = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}/{version}")
    model: ComplaintModel = pyfunc.unwrap_python_model().model
    model.version = version_label(version)
    return model


def list_versions(client: MlflowClient) -> list[dict]:
    """Every registered version, newest first: what an operator checks before and
    after ``lapor model promote`` (which one serves, how each did, where it came from)."""
    from datetime import UTC, datetime

    champion = champion_version(client)
    rows = []
    for mv in client.search_model_versions(f"name='{MODEL_NAME}'"):
        run = client.get_run(mv.run_id) if mv.run_id else None
        metrics, params = (run.data.metrics, run.data.params) if run else ({}, {})
        rows.append(
            {
                "version": str(mv.version),
                "label": version_label(str(mv.version)),
                "champion": str(mv.version) == champion,
                "registered_at": datetime.fromtimestamp(
                    mv.creation_timestamp / 1000, UTC
                ).isoformat(timespec="seconds"),
                "data_source": params.get("data_source"),
                "agency_macro_f1": metrics.get("agency_macro_f1"),
                "topic_macro_f1": metrics.get("topic_macro_f1"),
                "promoted_by": mv.tags.get("promoted_by"),
            }
        )
    return sorted(rows, key=lambda r: int(r["version"]), reverse=True)


@dataclass
class GateResult:
    candidate: str
    champion: str | None
    candidate_f1: float
    champion_f1: float | None
    promoted: bool
    forced: bool

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def promote(
    client: MlflowClient,
    version: str,
    held_out: list[dict],
    force: bool = False,
    by: str = "cli",
    tolerance: float = GATE_TOLERANCE,
) -> GateResult:
    """Move ``champion`` to ``version`` if it is not worse on the held-out set."""
    current = champion_version(client)
    candidate_f1 = evaluate(load_version(version), held_out)["agency_macro_f1"]
    champion_f1 = None
    if current and current != version:
        champion_f1 = evaluate(load_version(current), held_out)["agency_macro_f1"]
        if candidate_f1 < champion_f1 - tolerance and not force:
            raise PromotionRefused(
                f"version {version} has agency macro-F1 {candidate_f1:.4f} on the held-out set "
                f"(n={len(held_out)}), champion {current} has {champion_f1:.4f}; tolerance "
                f"{tolerance}. Use --force to promote anyway (it is recorded)."
            )
    forced = force and champion_f1 is not None and candidate_f1 < champion_f1 - tolerance
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    client.set_model_version_tag(MODEL_NAME, version, "promoted_by", by)
    client.set_model_version_tag(MODEL_NAME, version, "promotion_forced", str(forced).lower())
    client.set_model_version_tag(
        MODEL_NAME, version, "held_out_agency_macro_f1", f"{candidate_f1:.4f}"
    )
    return GateResult(version, current, candidate_f1, champion_f1, True, forced)


def retrain(
    client: MlflowClient,
    records: list[dict],
    source: str,
    *,
    gate: bool,
    force: bool = False,
    by: str = "cli",
) -> tuple[ComplaintModel, dict]:
    """The one training orchestration, for ``lapor train`` and notebook 02: train
    the Pipeline on ``records``, log the run and register the candidate (held-out
    split of :func:`classifier.corpus.split_corpus`), then promote it. The first
    model of a registry always becomes champion; after that, with ``gate`` the
    candidate goes through :func:`promote` (refused when worse, unless ``force``),
    without it the result says how to promote it by hand. Returns the model and a
    summary (registered version, champion before, held-out size, gate)."""
    from classifier.corpus import split_corpus
    from classifier.train import train_model

    train, held_out = split_corpus(records)
    model = train_model(records)
    version = log_training_run(model, train, held_out, source)
    model.version = version_label(version)
    before = champion_version(client)
    result: dict = {
        "registered_version": version,
        "champion_before": before,
        "held_out": len(held_out),
        "gate": None,
    }
    if before is None or gate:
        try:
            result["gate"] = promote(client, version, held_out, force=force, by=by).to_dict()
        except PromotionRefused as exc:
            result["gate"] = {"promoted": False, "refused": str(exc)}
    else:
        result["next"] = f"lapor model promote {version}"
    return model, result
