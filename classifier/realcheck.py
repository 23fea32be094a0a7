"""The real-data agency check: the seed-trained router on LaporGub's held-out split.

LaporGub (shared/data/laporgub) has no licence, so it is never training data.
Its categories are broad, but most name a family of agencies
(``data/laporgub_agencies.yaml``, reviewed): a routing decision is right when
the chosen agency is in its category's family. The 30 % split is the one of
the benchmark protocol (shared/data/README.md), so the figures compare with
``lapor experiment``; the model routing it was trained on our seed corpus only.

What a national hub needs to know from this is not only accuracy but whether
the confidence can be trusted on text unlike the training data: the share
sent to triage, the precision of what was routed automatically, and the
expected calibration error (ECE) with its reliability diagram.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from scipy.stats import binomtest
from sklearn.model_selection import train_test_split

from classifier.experiment import labelled_rows
from classifier.model import ComplaintModel
from core.taxonomy import taxonomy

MAPPING_PATH = Path(__file__).parent / "data" / "laporgub_agencies.yaml"
ADJUDICATED_PATH = Path(__file__).parent / "data" / "laporgub_adjudicated.jsonl"
N_BINS = 10


def load_category_agencies(path: Path = MAPPING_PATH) -> dict[str, frozenset[str]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    mapping = {c: frozenset(a) for c, a in raw["categories"].items()}
    unknown = sorted({a for s in mapping.values() for a in s} - taxonomy().agencies.keys())
    if unknown:
        raise ValueError(f"{path}: agencies outside the taxonomy {unknown}")
    return mapping


def load_adjudicated(path: Path = ADJUDICATED_PATH) -> dict[str, frozenset[str]]:
    """Test-split ids with the exact set of agencies that may answer each complaint,
    labelled from the text by reviewers who never saw the model's decision (README,
    "Real-data agency check"). The file holds ids, agencies and a short note, never
    LaporGub's text (no licence). An empty set: no agency of the taxonomy can answer
    it, so only triage is right."""
    labels = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            labels[row["id"]] = frozenset(row["agencies"])
    unknown = sorted({a for s in labels.values() for a in s} - taxonomy().agencies.keys())
    if unknown:
        raise ValueError(f"{path}: agencies outside the taxonomy {unknown}")
    return labels


@dataclass
class AgencyCheckSet:
    ids: list[str]
    texts: list[str]
    allowed: list[frozenset[str]]
    categories: list[str]
    dropped: int  # test rows of categories without a clear agency family


def laporgub_test_split(path: Path, mapping: dict[str, frozenset[str]]) -> AgencyCheckSet:
    """The protocol's 30 % split, restricted to categories with an agency family."""
    rows = labelled_rows(path, "complaints", "category", sep=";", id_col="id")
    labels = [y for _, _, y in rows]
    _, test = train_test_split(rows, test_size=0.3, random_state=42, stratify=labels)
    ids, x_test, y_test = (list(column) for column in zip(*test))
    keep = [i for i, y in enumerate(y_test) if y in mapping]
    return AgencyCheckSet(
        ids=[ids[i] for i in keep],
        texts=[x_test[i] for i in keep],
        allowed=[mapping[y_test[i]] for i in keep],
        categories=[y_test[i] for i in keep],
        dropped=len(y_test) - len(keep),
    )


def reliability(confidence: np.ndarray, correct: np.ndarray, n_bins: int = N_BINS) -> dict:
    """Equal-width confidence bins: mean confidence, accuracy and count per bin, and
    ECE = sum over bins of (bin share x |accuracy - confidence|)."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, n_bins - 1)
    bins, ece = [], 0.0
    for b in range(n_bins):
        mask = index == b
        if not mask.any():
            continue
        conf, acc = float(confidence[mask].mean()), float(correct[mask].mean())
        ece += mask.mean() * abs(acc - conf)
        bins.append({"low": float(edges[b]), "high": float(edges[b + 1]), "n": int(mask.sum())})
        bins[-1].update(confidence=round(conf, 4), accuracy=round(acc, 4))
    return {"ece": round(float(ece), 4), "bins": bins}


def wilson(successes: int, n: int) -> list[float]:
    """95 % Wilson score interval of a proportion (sound at small n and near 1)."""
    ci = binomtest(successes, n).proportion_ci(confidence_level=0.95, method="wilson")
    return [round(ci.low, 4), round(ci.high, 4)]


def adjudicated_figures(predictions: list, ids: list[str], labels: dict[str, frozenset]) -> dict:
    """Exact figures on the blind-adjudicated rows: an agency is right only if it is
    in the row's set, so an auto-routed complaint no agency can answer is an error."""
    scored = [(p, labels[i]) for p, i in zip(predictions, ids) if i in labels]
    correct = np.array([p.agency in ok for p, ok in scored], dtype=bool)
    auto = np.array([p.confident for p, _ in scored], dtype=bool)
    figures = decision_figures(correct, auto)
    figures.pop("confidence_n")
    return figures


def decision_figures(
    correct: np.ndarray, auto: np.ndarray, confidence: np.ndarray | None = None
) -> dict:
    """The figures of routing decisions whose rightness is known, one definition for
    ``lapor evaluate --laporgub``, the adjudicated rows and live monitoring
    (``lapor monitor``, from people's decisions): agency accuracy, how many were
    routed automatically, the triage share, the precision of the automatic routes
    with its Wilson interval and, given the confidences, calibration (ECE, bins)."""
    correct, auto = np.asarray(correct, dtype=bool), np.asarray(auto, dtype=bool)
    n, hits = len(correct), int(correct[auto].sum())
    figures = {
        "n": n,
        "agency_accuracy": round(float(correct.mean()), 4) if n else None,
        "auto_routed": int(auto.sum()),
        "triage_share": round(float(1 - auto.mean()), 4) if n else None,
        "auto_routed_precision": round(hits / auto.sum(), 4) if auto.any() else None,
        "auto_routed_precision_ci95": wilson(hits, int(auto.sum())) if auto.any() else None,
        "confidence_n": 0,
    }
    if confidence is not None:
        confidence = np.asarray(confidence, dtype=float)
        known = ~np.isnan(confidence)
        figures["confidence_n"] = int(known.sum())
        if known.any():
            figures.update(reliability(confidence[known], correct[known]))
        else:
            figures.update(ece=None, bins=[])
    return figures


def agency_check(
    model: ComplaintModel, data: AgencyCheckSet, adjudicated: dict[str, frozenset] | None = None
) -> dict:
    """Agency-set figures by category family over the whole split and, where rows
    were adjudicated, exact figures on them (the family check is a lower bound:
    a family leaves out agencies that rightly answer some of its complaints)."""
    predictions = model.predict(data.texts)
    correct = np.array([p.agency in ok for p, ok in zip(predictions, data.allowed)])
    confidence = np.array([p.confidence for p in predictions])
    auto = np.array([p.confident for p in predictions])
    figures = decision_figures(correct, auto, confidence)
    per_category = {}
    for category in sorted(set(data.categories)):
        mask = np.array([c == category for c in data.categories])
        per_category[category] = {
            "n": int(mask.sum()),
            "agency_set_accuracy": round(float(correct[mask].mean()), 4),
        }
    return {
        "model_version": model.version,
        "n": len(predictions),
        "dropped_rows": data.dropped,
        "agency_set_accuracy": figures["agency_accuracy"],
        "triage_share": figures["triage_share"],
        "auto_routed_precision": figures["auto_routed_precision"],
        "auto_routed": figures["auto_routed"],
        "threshold": model.threshold,
        "ece": figures["ece"],
        "bins": figures["bins"],
        "per_category": per_category,
        "adjudicated": adjudicated_figures(predictions, data.ids, adjudicated or {}),
    }


def plot_reliability(result: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = result["bins"]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    ax.plot(
        [b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o", label="model"
    )
    for b in bins:
        ax.annotate(str(b["n"]), (b["confidence"], b["accuracy"]), fontsize=7)
    ax.axvline(result["threshold"], color="red", linewidth=0.8, label="triage threshold")
    ax.set_xlabel("confidence (agency)")
    ax.set_ylabel("share routed to an allowed agency")
    ax.set_title(f"LaporGub agency check, model {result['model_version']}, ECE {result['ece']}")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
