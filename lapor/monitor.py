"""Model monitoring (``lapor monitor``): when and why to retrain.

Per model version and period (ISO week or day, Jakarta time, of when the case
was routed) over a window of recent periods:

* **live quality** from people's decisions (``casestore/monitoring.py``): agency
  accuracy of the automatic decision, precision of what was routed automatically,
  triage share, the top confusion pairs, calibration (ECE, reliability bins), with
  the definitions of ``lapor evaluate`` (``classifier.realcheck.decision_figures``);
* **drift** against the serving version's training profile
  (``classifier/profile.py``): the share of words the model does not know, text
  length (PSI), predicted agencies (PSI); and against the version's first period
  of traffic (the training data has neither): the channel mix (PSI) and the share
  of cases whose regency is unknown.

The figures are stored as aggregates in the case store's ``monitoring``
collection (no complaint text), each run is logged to MLflow against the serving
registry version, and the console's dashboard shows the latest run's flags.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import numpy as np
from pymongo.database import Database

from casestore.monitoring import CASE_FIELDS, MonitoringStore, human_label
from casestore.workflow import WIB
from classifier.profile import (
    PSI_THRESHOLD,
    length_histogram,
    oov_counts,
    profile_for,
    psi,
    psi_counts,
    vocabulary,
    word_count,
)
from classifier.realcheck import decision_figures
from core.settings import Settings

PERIOD_KINDS = ("week", "day")
AIM_PRECISION = 0.95  # README: automatically routed complaints >= 95 % right
ECE_THRESHOLD = 0.10
OOV_RISE = 0.10  # unknown-word share above the training profile's, absolute
REGION_RISE = 0.10  # unknown-region share above the version's first period, absolute
MIN_CASES = 30  # a period's share figures count from this many cases
MIN_AUTO_LABELLED = 20  # precision counts from this many labelled automatic routes
MIN_CONFIDENCE_LABELLED = 50  # calibration counts from this many labels
TOP_CONFUSIONS = 5
MONITOR_EXPERIMENT = "complaint-monitoring"


def period_of(at: datetime, kind: str) -> tuple[str, datetime]:
    """(key, start as UTC) of the Jakarta-time day or ISO week holding ``at``."""
    local = at.astimezone(UTC) + WIB
    day = local.date()
    if kind == "day":
        key = day.isoformat()
    else:
        iso = local.isocalendar()
        key, day = f"{iso.year}-W{iso.week:02d}", day - timedelta(days=local.weekday())
    return key, datetime.combine(day, time(), tzinfo=UTC) - WIB


def window_start(now: datetime, kind: str, periods: int) -> datetime:
    _, start = period_of(now, kind)
    return start - timedelta(days=(7 if kind == "week" else 1) * (periods - 1))


@dataclass
class Group:
    """The cases of one model version in one period."""

    version: str
    key: str
    start: datetime
    n: int = 0
    auto: int = 0
    region_unknown: int = 0
    channels: Counter = field(default_factory=Counter)
    agencies: Counter = field(default_factory=Counter)
    lengths: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    labels: list = field(default_factory=list)  # (HumanLabel, confidence, auto_routed)
    unknown_words: int = 0
    words: int = 0

    def add(self, case: dict) -> None:
        self.n += 1
        auto = bool(case.get("auto_routed"))
        self.auto += auto
        self.region_unknown += not (case.get("decision") or {}).get("regency_code")
        self.channels[case.get("channel") or "?"] += 1
        prediction = case.get("prediction") or {}
        self.agencies[prediction.get("agency") or "?"] += 1
        text = case.get("text") or ""
        self.lengths.append(word_count(text))
        self.texts.append(text)
        label = human_label(case)
        if label is not None:
            confidence = prediction.get("confidence")
            self.labels.append((label, np.nan if confidence is None else confidence, auto))


def quality(labels: list) -> dict:
    """Live figures from people's decisions (``decision_figures``: one definition)."""
    correct = np.array([lab.correct for lab, _, _ in labels], dtype=bool)
    auto = np.array([a for _, _, a in labels], dtype=bool)
    confidence = np.array([c for _, c, _ in labels], dtype=float)
    figures = decision_figures(correct, auto, confidence)
    confusions = Counter(
        (lab.true_agency, lab.auto_agency)
        for lab, _, _ in labels
        if not lab.correct and lab.true_agency
    )
    figures["by_kind"] = dict(Counter(lab.kind for lab, _, _ in labels))
    figures["confusions"] = [
        {"true": t, "predicted": p, "count": c}
        for (t, p), c in confusions.most_common(TOP_CONFUSIONS)
    ]
    return figures


def quality_flags(q: dict) -> list[dict]:
    flags = []
    ci = q.get("auto_routed_precision_ci95")
    if q["auto_routed"] >= MIN_AUTO_LABELLED and ci and ci[1] < AIM_PRECISION:
        flags.append(
            flag(
                "precision",
                q["auto_routed_precision"],
                AIM_PRECISION,
                f"Presisi rute otomatis {q['auto_routed_precision']:.0%} (batas atas 95 %: "
                f"{ci[1]:.0%}) di bawah sasaran {AIM_PRECISION:.0%}: latih ulang dengan "
                "koreksi terbaru.",
            )
        )
    if q.get("confidence_n", 0) >= MIN_CONFIDENCE_LABELLED and (q.get("ece") or 0) > ECE_THRESHOLD:
        flags.append(
            flag(
                "calibration",
                q["ece"],
                ECE_THRESHOLD,
                f"Kalibrasi keyakinan memburuk: ECE {q['ece']:.2f} di atas {ECE_THRESHOLD:.2f}.",
            )
        )
    return flags


def flag(code: str, value: float, threshold: float, message: str) -> dict:
    return {"code": code, "value": value, "threshold": threshold, "message": message}


def drift(group: Group, profile: dict | None, reference: dict | None) -> tuple[dict, list[dict]]:
    """Drift figures of one group and the flags they raise."""
    figures: dict = {
        "length_mean": round(float(np.mean(group.lengths)), 2) if group.lengths else None,
        "channel_mix": dict(group.channels),
        "region_unknown_share": round(group.region_unknown / group.n, 4) if group.n else None,
    }
    flags: list[dict] = []
    enough = group.n >= MIN_CASES
    if profile:
        oov = round(group.unknown_words / group.words, 4) if group.words else None
        histogram = length_histogram(group.lengths, profile["length_edges"])
        figures.update(
            oov_rate=oov,
            oov_reference=profile["oov_rate"],
            length_reference=profile["length_mean"],
            length_psi=psi(histogram, profile["length_histogram"]),
            agency_psi=psi(dict(group.agencies), profile["agency_counts"]),
        )
        if enough and oov is not None and oov - profile["oov_rate"] >= OOV_RISE:
            flags.append(
                flag(
                    "oov",
                    oov,
                    round(profile["oov_rate"] + OOV_RISE, 4),
                    f"Kata yang tidak dikenal model {oov:.0%} (data latih "
                    f"{profile['oov_rate']:.0%}): bahasa atau ragam aduan berubah; "
                    "latih ulang dengan aduan terbaru.",
                )
            )
        n_bins = len(profile["length_histogram"])
        if (figures["length_psi"] or 0) >= PSI_THRESHOLD and psi_counts(group.n, n_bins):
            flags.append(psi_flag("length_psi", figures["length_psi"], "panjang teks aduan"))
        categories = len(set(group.agencies) | set(profile["agency_counts"]))
        if (figures["agency_psi"] or 0) >= PSI_THRESHOLD and psi_counts(group.n, categories):
            flags.append(psi_flag("agency_psi", figures["agency_psi"], "instansi hasil prediksi"))
    if reference and reference.get("key") != group.key:
        figures["channel_psi"] = psi(dict(group.channels), reference["channels"])
        figures["region_unknown_reference"] = reference["region_unknown_share"]
        categories = len(set(group.channels) | set(reference["channels"]))
        if (figures["channel_psi"] or 0) >= PSI_THRESHOLD and psi_counts(group.n, categories):
            flags.append(psi_flag("channel_psi", figures["channel_psi"], "campuran kanal"))
        rise = (figures["region_unknown_share"] or 0) - reference["region_unknown_share"]
        if enough and rise >= REGION_RISE:
            flags.append(
                flag(
                    "region_unknown",
                    figures["region_unknown_share"],
                    round(reference["region_unknown_share"] + REGION_RISE, 4),
                    f"Aduan tanpa kabupaten/kota {figures['region_unknown_share']:.0%} (awal "
                    f"versi {reference['region_unknown_share']:.0%}): periksa kanal dan "
                    "petunjuk wilayah.",
                )
            )
    return figures, flags


def psi_flag(code: str, value: float, what: str) -> dict:
    return flag(
        code,
        value,
        PSI_THRESHOLD,
        f"Distribusi {what} bergeser dari data latih/awal versi (PSI {value:.2f} ≥ "
        f"{PSI_THRESHOLD}).",
    )


def _reference(store: MonitoringStore, version: str, kind: str, groups: list[Group]) -> dict | None:
    """The version's first period with enough cases, kept once found (channel mix and
    unknown-region share have no counterpart in the training data)."""
    _id = f"reference|{version}|{kind}"
    found = store.collection.find_one({"_id": _id})
    if found:
        return found
    for group in sorted(groups, key=lambda g: g.start):
        if group.n >= MIN_CASES:
            doc = {
                "_id": _id,
                "kind": "reference",
                "model_version": version,
                "key": group.key,
                "channels": dict(group.channels),
                "region_unknown_share": round(group.region_unknown / group.n, 4),
            }
            store.collection.replace_one({"_id": _id}, doc, upsert=True)
            return doc
    return None


def compute(
    db: Database,
    model_for: Callable[[str], object | None],
    kind: str = "week",
    periods: int = 8,
    now: datetime | None = None,
    since: datetime | None = None,
) -> dict:
    """Figures per (model version, period) of the cases routed in the window; stores
    them in ``monitoring`` and returns them with the window's figures per version."""
    if kind not in PERIOD_KINDS:
        raise ValueError(f"period must be one of {PERIOD_KINDS}")
    now = now or datetime.now(UTC)
    start = since or window_start(now, kind, periods)
    groups: dict[tuple[str, str], Group] = {}
    for case in db["cases"].find({"created_at": {"$gte": start}}, CASE_FIELDS):
        version = (case.get("prediction") or {}).get("model_version") or "?"
        key, period_start = period_of(case["created_at"], kind)
        group = groups.get((version, key))
        if group is None:
            group = groups[(version, key)] = Group(version, key, period_start)
        group.add(case)

    by_version: dict[str, list[Group]] = defaultdict(list)
    for group in groups.values():
        by_version[group.version].append(group)
    store = MonitoringStore(db)
    docs, versions = [], {}
    for version, vgroups in by_version.items():
        model = model_for(version)
        profile = profile_for(model) if model is not None else None
        if model is not None:
            known = vocabulary(model)
            for group in vgroups:
                group.unknown_words, group.words = oov_counts(model, group.texts, known)
        reference = _reference(store, version, kind, vgroups)
        for group in vgroups:
            docs.append(period_doc(group, kind, profile, reference, now))
            group.texts = []
        labels = [label for g in vgroups for label in g.labels]
        window_q = quality(labels)
        n = sum(g.n for g in vgroups)
        versions[version] = {
            "cases": n,
            "labelled": len(labels),
            "triage_share": round(1 - sum(g.auto for g in vgroups) / n, 4) if n else None,
            "quality": window_q,
            "flags": quality_flags(window_q),
            "profile": bool(profile),
        }
    docs.sort(key=lambda d: (d["model_version"], d["start"]))
    store.save_periods(docs)
    return {
        "period_kind": kind,
        "window_start": start,
        "at": now,
        "periods": docs,
        "versions": versions,
    }


def period_doc(
    group: Group, kind: str, profile: dict | None, reference: dict | None, now: datetime
) -> dict:
    q = quality(group.labels)
    figures, flags = drift(group, profile, reference)
    return {
        "_id": f"{group.version}|{kind}|{group.key}",
        "kind": "period",
        "model_version": group.version,
        "period_kind": kind,
        "period": group.key,
        "start": group.start,
        "computed_at": now,
        "cases": group.n,
        "triage_share": round(1 - group.auto / group.n, 4) if group.n else None,
        "labelled": len(group.labels),
        "quality": q,
        "drift": figures,
        "flags": flags + quality_flags(q),
    }


# --- the serving version, the run record, MLflow -------------------------------


@dataclass
class Serving:
    """The version the workers serve: its label on cases, registry version, trained when."""

    label: str
    registry_version: str
    trained_at: datetime


def run_record(result: dict, serving: Serving) -> dict:
    """What the dashboard shows: the serving version's window figures and the flags
    of its latest period with cases, plus the window's quality flags."""
    mine = [d for d in result["periods"] if d["model_version"] == serving.label]
    latest = max(mine, key=lambda d: d["start"]) if mine else None
    window = result["versions"].get(serving.label, {})
    flags = [*(latest["flags"] if latest else []), *window.get("flags", [])]
    unique = {(f["code"], f["message"]): f for f in flags}
    return {
        "_id": f"run|{result['at'].isoformat()}",
        "kind": "run",
        "at": result["at"],
        "period_kind": result["period_kind"],
        "window_start": result["window_start"],
        "serving_version": serving.label,
        "registry_version": serving.registry_version,
        "trained_at": serving.trained_at,
        "cases": window.get("cases", 0),
        "labelled": window.get("labelled", 0),
        "triage_share": window.get("triage_share"),
        "quality": window.get("quality"),
        "latest_period": latest["period"] if latest else None,
        "drift": latest["drift"] if latest else None,
        "flags": list(unique.values()),
        "versions": sorted(result["versions"]),
    }


def mlflow_metrics(run: dict) -> dict[str, float]:
    q, d = run.get("quality") or {}, run.get("drift") or {}
    metrics = {
        "live_cases": run["cases"],
        "live_labelled": run["labelled"],
        "live_triage_share": run.get("triage_share"),
        "live_agency_accuracy": q.get("agency_accuracy"),
        "live_auto_routed_precision": q.get("auto_routed_precision"),
        "live_ece": q.get("ece"),
        "drift_oov_rate": d.get("oov_rate"),
        "drift_length_psi": d.get("length_psi"),
        "drift_agency_psi": d.get("agency_psi"),
        "drift_channel_psi": d.get("channel_psi"),
        "drift_region_unknown_share": d.get("region_unknown_share"),
        "flags": len(run["flags"]),
    }
    return {k: float(v) for k, v in metrics.items() if v is not None}


def log_to_mlflow(run: dict, serving: Serving) -> str:
    """One MLflow run per monitoring run, in its own experiment, linked to the
    registered model version (tags on both, metrics on the version's logged model)."""
    import mlflow
    from mlflow import MlflowClient

    from classifier.registry import MODEL_NAME

    client = MlflowClient()
    experiment = mlflow.get_experiment_by_name(MONITOR_EXPERIMENT)
    experiment_id = (
        experiment.experiment_id
        if experiment
        else client.create_experiment(
            MONITOR_EXPERIMENT,
            artifact_location=_artifact_location(client),
        )
    )
    model_id = logged_model_id(client, serving.registry_version)
    tags = {
        "serving_version": serving.label,
        "registered_model_name": MODEL_NAME,
        "registered_model_version": serving.registry_version,
        "latest_period": run.get("latest_period") or "",
        "flags": ",".join(sorted({f["code"] for f in run["flags"]})) or "none",
    }
    with mlflow.start_run(
        experiment_id=experiment_id, run_name=f"monitor-{serving.label}-{run['at']:%Y%m%d%H%M}"
    ) as active:
        mlflow.set_tags(tags)
        mlflow.log_params({"period": run["period_kind"], "window_start": run["window_start"]})
        mlflow.log_metrics(mlflow_metrics(run), model_id=model_id)
        mlflow.log_text(json.dumps(run, default=str, indent=1), "monitoring.json")
        run_id = active.info.run_id
    q = run.get("quality") or {}
    for key, value in (
        ("monitor_last_run", run_id),
        ("monitor_flags", tags["flags"]),
        ("live_auto_routed_precision", q.get("auto_routed_precision")),
        ("live_labelled", run["labelled"]),
    ):
        client.set_model_version_tag(MODEL_NAME, serving.registry_version, key, str(value))
    return run_id


def logged_model_id(client, version: str) -> str | None:  # noqa: ANN001
    """The logged model behind a registered version (its source ``models:/m-...``
    when the registry leaves ``model_id`` empty, as it does for pyfunc models)."""
    from classifier.registry import MODEL_NAME

    mv = client.get_model_version(MODEL_NAME, version)
    if mv.model_id:
        return mv.model_id
    source = mv.source or ""
    return source.removeprefix("models:/") if source.startswith("models:/m-") else None


def _artifact_location(client) -> str | None:  # noqa: ANN001
    from classifier.registry import EXPERIMENT

    training = client.get_experiment_by_name(EXPERIMENT)
    if training is None or not training.artifact_location.startswith("file:"):
        return None
    return training.artifact_location.rstrip("/") + "-monitoring"


def serving(settings: Settings) -> Serving | None:
    """The registry's champion (what the workers serve), or None when there is none."""
    from classifier.registry import MODEL_NAME, champion_version, configure, version_label

    client = configure(settings.mlflow_uri, settings.state_dir)
    champion = champion_version(client)
    if champion is None:
        return None
    created = client.get_model_version(MODEL_NAME, champion).creation_timestamp
    return Serving(version_label(champion), champion, datetime.fromtimestamp(created / 1000, UTC))


def model_lookup(settings: Settings) -> Callable[[str], object | None]:
    """Version label on a case (``complaint-router/N``) -> that registry version, or None."""
    from classifier.registry import MODEL_NAME, load_version

    cache: dict[str, object | None] = {}

    def model_for(version: str) -> object | None:
        if version not in cache:
            model = None
            name, _, number = version.rpartition("/")
            if name == MODEL_NAME and number.isdigit():
                try:
                    model = load_version(number)
                except Exception:  # noqa: BLE001 - a deleted version: quality figures only
                    model = None
            cache[version] = model
        return cache[version]

    return model_for


def run(
    settings: Settings,
    db: Database,
    kind: str = "week",
    periods: int = 8,
    since: datetime | None = None,
    now: datetime | None = None,
    log: bool = True,
) -> dict:
    """One monitoring run: compute, store, log to MLflow; returns the run record."""
    from classifier.registry import configure

    configure(settings.mlflow_uri, settings.state_dir)
    current = serving(settings)
    if current is None:
        raise LookupError("no model is served yet: run `lapor train` first")
    result = compute(db, model_lookup(settings), kind, periods, now, since)
    record = run_record(result, current)
    if log:
        record["mlflow_run_id"] = log_to_mlflow(record, current)
    MonitoringStore(db).save_run(record)
    record["periods"] = result["periods"]
    return record
