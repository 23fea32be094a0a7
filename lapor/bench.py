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


def _percentiles(values_ms: list[float]) -> dict:
    import numpy as np

    arr = np.array(values_ms)
    return {f"p{q}_ms": round(float(np.percentile(arr, q)), 1) for q in (50, 95, 99)}


def _profile_summary(path: Path, top: int = 12) -> list[dict]:
    """Where the worker's time went: the project's own functions by cumulative time."""
    import pstats

    if not path.exists():
        return []
    stats = pstats.Stats(str(path))
    rows = []
    for (filename, line, name), (_, calls, _, cumulative, _) in stats.stats.items():
        if any(
            part in filename
            for part in (
                "/streams/",
                "/classifier/",
                "/routing_rules/",
                "/casestore/",
                "sklearn/",
                "pymongo/",
                "aiokafka/",
            )
        ):
            rows.append(
                {
                    "function": f"{Path(filename).parent.name}/{Path(filename).name}:{line}:{name}",
                    "calls": calls,
                    "cumulative_s": round(cumulative, 2),
                }
            )
    rows.sort(key=lambda r: -r["cumulative_s"])
    return rows[:top]


def bench_e2e(  # noqa: ANN201
    settings,  # noqa: ANN001
    n: int = 20_000,
    workers: int = 1,
    store_workers: int = 0,
    timeout: float = 900,
):
    """Submit N complaints, let the worker(s) route and store them, measure; then
    measure the floors of the parts on the same machine in the same run."""
    import subprocess
    import sys
    import uuid

    from kafka import KafkaConsumer, KafkaProducer

    from casestore.store import CaseStore, connect
    from lapor import stack
    from lapor.privacy import Sealer
    from streams.intake import Intake, make_producer

    run = uuid.uuid4().hex[:6]
    partitions = max(settings.partitions, 4)
    names = {k: f"bench.{run}.{k}" for k in ("submitted", "routed", "dlq", "overridden")}
    endpoints = stack.endpoints(settings)
    stack.create_topics(endpoints.kafka_bootstrap, list(names.values()), partitions)
    env = {
        **os.environ,
        **{f"LAPOR_TOPIC_{k.upper()}": v for k, v in names.items()},
        "LAPOR_WORKER_ID": f"bench-{run}",
        "LAPOR_MONGODB_DB": f"bench_{run}",
        "LAPOR_STATE_DIR": str(settings.state_dir),
    }
    profile = settings.state_dir / f"bench-{run}.prof"
    procs = []
    roles = ["route" if store_workers else "all"] * workers + ["store"] * store_workers
    for i, role in enumerate(roles):
        worker_env = {
            **env,
            "LAPOR_WORKER_INSTANCE": f"bench-{run}-{i}",
            "LAPOR_WORKER_ROLE": role,
            **({"LAPOR_PROFILE_PATH": str(profile)} if i == 0 else {}),
        }
        log = (settings.state_dir / f"bench-{run}-worker{i}.log").open("ab")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "lapor.cli", "worker"],
                env=worker_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    db = connect(endpoints.mongodb_uri, f"bench_{run}")
    store = CaseStore(db)
    sealer = Sealer.from_settings(settings.reporter_key, settings.reporter_key_file)
    intake = Intake(make_producer(endpoints.kafka_bootstrap), names["submitted"], sealer)
    texts = _texts(n)
    try:
        # warm-up: one complaint through, so the workers have joined and loaded the model
        intake.submit({"id": f"W-{run}", "text": texts[0]})
        intake.flush()
        deadline = time.monotonic() + 120
        while store.count() < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2.0)  # let a second worker's rebalance settle
        started = time.perf_counter()
        for i, text in enumerate(texts):
            intake.submit(
                {
                    "id": f"B-{run}-{i:06d}",
                    "text": text,
                    "channel": ("web", "sms", "whatsapp", "mobile")[i % 4],
                }
            )
        intake.flush()
        publish_s = time.perf_counter() - started
        deadline = time.monotonic() + timeout
        while store.count() < n + 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        e2e_s = time.perf_counter() - started
        stored = store.count({"_id": {"$regex": f"^B-{run}-"}})
        latencies = [
            (c["stored_at"] - c["submitted_at"]).total_seconds() * 1000
            for c in store.cases.find(
                {"_id": {"$regex": f"^B-{run}-"}}, {"stored_at": 1, "submitted_at": 1}
            )
        ]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        intake.producer.close()

    # floors, same run: the broker alone, the store alone, the classifier alone
    payload = b'{"complaint_id": "x", "text": "' + texts[0].encode()[:300] + b'"}'
    floor_topic = f"bench.{run}.floor"
    stack.create_topics(endpoints.kafka_bootstrap, [floor_topic], partitions)
    t0 = time.perf_counter()
    producer = KafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap, acks="all", linger_ms=5)
    for i in range(n):
        producer.send(floor_topic, key=str(i).encode(), value=payload)
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(
        floor_topic,
        bootstrap_servers=endpoints.kafka_bootstrap,
        group_id=f"floor-{run}",
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    seen = 0
    for _ in consumer:
        seen += 1
        if seen >= n:
            break
    consumer.close()
    broker_s = time.perf_counter() - t0

    sample = store.cases.find_one({"_id": {"$regex": f"^B-{run}-"}}, {"_id": 0}) or {}
    docs = [{**sample, "_id": f"F-{i}"} for i in range(n)]
    t0 = time.perf_counter()
    for i in range(0, n, settings.batch_size):
        db["floor"].insert_many(docs[i : i + settings.batch_size], ordered=False)
    store_s = time.perf_counter() - t0

    model = load_model(settings.model_path)
    t0 = time.perf_counter()
    model.predict(texts)
    classify_s = time.perf_counter() - t0
    db.client.drop_database(f"bench_{run}")

    floor_s = broker_s + store_s + classify_s
    return {
        "n": n,
        "workers": workers,
        "store_workers": store_workers,
        "partitions": partitions,
        "stored": stored,
        "e2e_seconds": round(e2e_s, 2),
        "e2e_per_s": _rate(stored, e2e_s),
        "publish_per_s": _rate(n, publish_s),
        **_percentiles(latencies or [0.0]),
        "broker_floor_s": round(broker_s, 2),
        "store_floor_s": round(store_s, 2),
        "classify_floor_s": round(classify_s, 2),
        "floor_ratio": round(e2e_s / floor_s, 3),
        "profile_top": _profile_summary(profile),
    }
