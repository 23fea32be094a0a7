"""Train and score the shared pipeline on any labelled file (``lapor experiment``).

Used for the LaporGub benchmark protocol (shared/data/README.md): the same
``build_pipeline`` as the routing model, on a stratified split of the file.
"""

from __future__ import annotations

import ast
import csv
import time
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from classifier.model import build_pipeline
from routing_rules.regions import place_name_words


def _cell_text(value: str) -> str:
    """A cell holding a Python-style list of tokens becomes the tokens joined by spaces."""
    value = (value or "").strip()
    if value.startswith("[") and value.endswith("]"):
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
        if isinstance(parsed, list):
            return " ".join(str(t) for t in parsed)
    return value


def labelled_rows(
    path: Path, text_col: str, label_col: str, sep: str = ",", id_col: str | None = None
) -> list[tuple[str, str, str]]:
    """(id, text, stripped label) per usable row, in file order. Rows without a label
    are skipped, and so is a label seen only once (it cannot be stratified; in
    LaporGub that is the one ``saberpungli`` row the benchmark protocol drops).
    Without ``id_col`` the id is the row's position in the file."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=sep)
        wanted = {text_col, label_col} | ({id_col} if id_col else set())
        missing = wanted - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: no column(s) {sorted(missing)}; has {reader.fieldnames}")
        rows = [
            (r[id_col] if id_col else str(i), _cell_text(r[text_col]), (r[label_col] or "").strip())
            for i, r in enumerate(reader)
        ]
    rows = [row for row in rows if row[2]]
    counts: dict[str, int] = {}
    for _, _, y in rows:
        counts[y] = counts.get(y, 0) + 1
    return [row for row in rows if counts[row[2]] > 1]


def load_labelled(
    path: Path, text_col: str, label_col: str, sep: str = ","
) -> tuple[list[str], list[str]]:
    """Texts and labels of :func:`labelled_rows`."""
    rows = labelled_rows(path, text_col, label_col, sep)
    return [t for _, t, _ in rows], [y for _, _, y in rows]


def run_experiment(
    texts: list[str], labels: list[str], test_size: float = 0.3, seed: int = 42
) -> dict:
    x_train, x_test, y_train, y_test = train_test_split(
        texts, labels, test_size=test_size, random_state=seed, stratify=labels
    )
    started = time.perf_counter()
    pipeline = build_pipeline(protected=place_name_words()).fit(x_train, y_train)
    fit_seconds = time.perf_counter() - started
    predicted = pipeline.predict(x_test)
    return {
        "accuracy": round(accuracy_score(y_test, predicted), 4),
        "macro_f1": round(f1_score(y_test, predicted, average="macro"), 4),
        "n_train": len(x_train),
        "n_test": len(x_test),
        "n_classes": len(set(labels)),
        "test_size": test_size,
        "seed": seed,
        "prior_power": getattr(pipeline.named_steps["clf"], "power_", 0.0),
        "fit_seconds": round(fit_seconds, 1),
    }
