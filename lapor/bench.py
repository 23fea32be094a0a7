"""Benchmarks (``lapor bench ...``): figures as ratios against baselines measured
in the same run, because this machine is shared and noisy."""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

import psutil

from classifier.corpus import load_seed_corpus
from classifier.model import load_model


def _texts(n: int) -> list[str]:
    corpus = [r["text"] for r in load_seed_corpus()]
    return [corpus[i % len(corpus)] for i in range(n)]


def _rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds > 0 else float("inf")


def bench_classify(model_path: Path, n: int = 3000, batch: int = 500, naive_n: int = 40) -> dict:
    """Full pipeline vs bare vectoriser+model vs stock-Sastrawi one-at-a-time."""
    texts = _texts(n)
    rss = psutil.Process(os.getpid()).memory_info().rss
    model = load_model(model_path)  # fresh: empty stemming cache
    gc.collect()
    model_mb = (psutil.Process(os.getpid()).memory_info().rss - rss) / 2**20

    started = time.perf_counter()
    for i in range(0, n, batch):
        model.predict(texts[i : i + batch])
    pipeline_s = time.perf_counter() - started

    steps = model.pipeline.named_steps
    prepared = steps["stem"].transform(steps["normalize"].transform(texts))
    features, clf = steps["features"], steps["clf"]
    started = time.perf_counter()
    for i in range(0, n, batch):
        clf.predict_proba(features.transform(prepared[i : i + batch]))
    bare_s = time.perf_counter() - started

    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    stock = StemmerFactory().create_stemmer()  # its own, empty cache
    started = time.perf_counter()
    for text in texts[:naive_n]:
        clf.predict_proba(features.transform([stock.stem(text)]))
    naive_s = time.perf_counter() - started

    pipeline_rate, bare_rate = _rate(n, pipeline_s), _rate(n, bare_s)
    naive_rate = _rate(naive_n, naive_s)
    return {
        "n": n,
        "batch": batch,
        "pipeline_per_s": pipeline_rate,
        "bare_model_per_s": bare_rate,
        "naive_per_s": naive_rate,
        "naive_n": naive_n,
        "pipeline_vs_bare": round(pipeline_rate / bare_rate, 3),
        "pipeline_vs_naive": round(pipeline_rate / naive_rate, 1),
        "model_mb": round(model_mb, 1),
    }
