"""The seed corpus and labelled files: loading and the fixed validation split.

The seed corpus (``data/seed_corpus/*.jsonl``) is hand-written, one complaint a
line with ``text``, ``agency``, ``topic`` and ``register``. The validation
split is fixed by a hash of each text, so it never moves when lines are added
elsewhere and never depends on a random seed.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

SEED_DIR = Path(__file__).parent / "data" / "seed_corpus"
VALIDATION_SHARE = 5  # one complaint in five


def read_records(path: Path) -> Iterator[dict]:
    """JSONL or CSV (by extension) -> dicts; blank lines are skipped."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8", newline="") as fh:
            yield from csv.DictReader(fh)
        return
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not valid JSON: {exc.msg}") from exc


def load_seed_corpus(seed_dir: Path = SEED_DIR) -> list[dict]:
    records = []
    for path in sorted(seed_dir.glob("*.jsonl")):
        records.extend(read_records(path))
    return records


def is_validation(text: str) -> bool:
    digest = hashlib.sha1(text.strip().lower().encode("utf-8")).digest()
    return digest[0] % VALIDATION_SHARE == 0


def split_corpus(records: list[dict]) -> tuple[list[dict], list[dict]]:
    train = [r for r in records if not is_validation(r["text"])]
    valid = [r for r in records if is_validation(r["text"])]
    return train, valid


def labels_of(record: dict) -> tuple[str | None, str | None]:
    """Agency and topic labels, top-level or under an ``expected`` object."""
    expected = record.get("expected") or {}
    return (
        record.get("agency") or expected.get("agency"),
        record.get("topic") or expected.get("topic"),
    )
