"""The training data's profile, saved with the model, and the drift arithmetic.

``lapor monitor`` compares live inputs and outputs with what the serving version
was trained on. The profile is computed once, at training time, from the
version's own training split (text lengths) and validation split (how many of
its words the model does not know, what it predicts on unseen in-domain text),
and travels inside the model file (and so the registry). No text is kept: only
counts and bin edges. A model trained before profiles existed gets one computed
on the seed corpus by :func:`profile_for` (it was trained on the seed corpus).

Population stability index (PSI) of a live distribution ``a`` against the
reference ``e`` over the same categories: ``sum((a - e) * ln(a / e))``, shares
smoothed by ``PSI_EPSILON``. Read: < 0.1 stable, 0.1-0.2 moderate, >= 0.2 a
shift (``PSI_THRESHOLD``). A small sample of a fixed distribution has PSI about
(categories - 1) / n by chance alone, so a PSI counts only from
``PSI_MIN_PER_BIN`` x (categories - 1) cases on (then chance gives ~0.05).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np

PSI_THRESHOLD = 0.2
PSI_EPSILON = 1e-4
PSI_MIN_PER_BIN = 20
LENGTH_BINS = 10


def vocabulary(model) -> frozenset[str]:  # noqa: ANN001
    """The model's own word vocabulary: the word unigrams its TF-IDF step knows."""
    words = model.pipeline.named_steps["features"].transformer_list[0][1]
    return frozenset(t for t in words.vocabulary_ if " " not in t)


def tokens(model, texts: list[str]) -> list[list[str]]:  # noqa: ANN001
    """The words the model sees: its own normaliser and stemmer (stop words gone)."""
    steps = model.pipeline.named_steps
    return [s.split() for s in steps["stem"].transform(steps["normalize"].transform(texts))]


def oov_counts(model, texts: list[str], known: frozenset[str] | None = None) -> tuple[int, int]:  # noqa: ANN001
    """(words the model does not know, words) over ``texts``."""
    known = vocabulary(model) if known is None else known
    unknown = total = 0
    for words in tokens(model, texts):
        total += len(words)
        unknown += sum(1 for w in words if w not in known)
    return unknown, total


def word_count(text: str) -> int:
    return len(text.split())


def length_edges(lengths: Iterable[int], bins: int = LENGTH_BINS) -> list[float]:
    """Inner bin edges at the training lengths' quantiles (duplicates dropped)."""
    quantiles = np.quantile(np.fromiter(lengths, dtype=float), np.linspace(0, 1, bins + 1)[1:-1])
    return sorted({float(q) for q in quantiles})


def length_histogram(lengths: Iterable[int], edges: list[float]) -> dict[str, int]:
    index = np.digitize(np.fromiter(lengths, dtype=float), edges, right=True)
    counts = Counter(index.tolist())
    return {str(b): int(counts.get(b, 0)) for b in range(len(edges) + 1)}


def psi(actual: dict[str, int], expected: dict[str, float]) -> float | None:
    """PSI of counts ``actual`` against counts or shares ``expected``; None without data."""
    keys = set(actual) | set(expected)
    n_a, n_e = sum(actual.values()), sum(expected.values())
    if not n_a or not n_e:
        return None
    total = 0.0
    for k in keys:
        a = max(actual.get(k, 0) / n_a, PSI_EPSILON)
        e = max(expected.get(k, 0) / n_e, PSI_EPSILON)
        total += (a - e) * math.log(a / e)
    return round(total, 4)


def psi_counts(n: int, categories: int) -> bool:
    """Whether ``n`` cases are enough for a PSI over ``categories`` to mean a shift."""
    return n >= PSI_MIN_PER_BIN * max(categories - 1, 1)


def training_profile(model, train_texts: list[str], valid_texts: list[str]) -> dict:  # noqa: ANN001
    """What the live traffic of this version is compared with (counts only, no text)."""
    lengths = [word_count(t) for t in train_texts]
    edges = length_edges(lengths)
    unknown, total = oov_counts(model, valid_texts)
    predictions = model.predict(valid_texts) if valid_texts else []
    return {
        "n_train": len(train_texts),
        "n_validation": len(valid_texts),
        "oov_rate": round(unknown / total, 4) if total else 0.0,
        "length_edges": edges,
        "length_histogram": length_histogram(lengths, edges),
        "length_mean": round(float(np.mean(lengths)), 2) if lengths else 0.0,
        "agency_counts": dict(Counter(p.agency for p in predictions)),
        "triage_share": (
            round(sum(not p.confident for p in predictions) / len(predictions), 4)
            if predictions
            else None
        ),
    }


def profile_for(model) -> dict:  # noqa: ANN001
    """The model's saved profile; for a model saved before profiles existed, the
    profile of the seed corpus (what every such model was trained on)."""
    profile = getattr(model, "profile", None)
    if profile:
        return profile
    from classifier.corpus import load_seed_corpus, split_corpus

    train, valid = split_corpus(load_seed_corpus())
    model.profile = training_profile(model, [r["text"] for r in train], [r["text"] for r in valid])
    model.profile["source"] = "seed corpus (computed afterwards)"
    return model.profile
