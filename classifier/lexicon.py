"""The colloquial lexicon (slang -> formal Indonesian), vetted for routing.

Source: nasalsabila/kamus-alay (Salsabila et al., IALP 2018), shipped with
the project as a filtered copy in ``data/colloquial_lexicon.csv`` so nothing
depends on ``shared/`` at run time. ``vet_lexicon`` is how that copy is made.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

LEXICON_PATH = Path(__file__).parent / "data" / "colloquial_lexicon.csv"


def vet_lexicon(
    rows: Iterable[dict[str, str]], root_words: frozenset[str], protected: frozenset[str]
) -> dict[str, str]:
    """Keep one-token mappings whose slang is not itself a root word or a protected token.

    A slang form that is already a dictionary word ("bisa", "kali") would be
    remapped wrongly in some sentences; a place name or agency acronym must
    never be rewritten. Conflicting mappings for one slang form are dropped.
    """
    seen: dict[str, set[str]] = {}
    for row in rows:
        slang = (row.get("slang") or "").strip().lower()
        formal = (row.get("formal") or "").strip().lower()
        if not slang or not formal or slang == formal:
            continue
        if " " in slang or " " in formal or not slang.isalnum() or not formal.isalpha():
            continue
        if slang in root_words or slang in protected:
            continue
        seen.setdefault(slang, set()).add(formal)
    return {slang: next(iter(f)) for slang, f in sorted(seen.items()) if len(f) == 1}


def write_lexicon(mapping: dict[str, str], path: Path = LEXICON_PATH) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["slang", "formal"])
        writer.writerows(sorted(mapping.items()))


@lru_cache(maxsize=1)
def load_lexicon(path: Path = LEXICON_PATH) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["slang"]: row["formal"] for row in csv.DictReader(fh)}
