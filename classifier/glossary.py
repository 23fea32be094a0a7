"""The glossary of Indonesian public programmes (``data/glossary.yaml``), as data.

Terms citizens use for programmes, cards, documents and institutions, across
eras and spellings, each mapped to one taxonomy topic or agency. The tagger in
``concepts.py`` turns them into model features; the normaliser in ``text.py``
keeps their words intact (an acronym such as "pppk" or "spt" is neither an
elongation nor slang).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from core.taxonomy import taxonomy

GLOSSARY_PATH = Path(__file__).parent / "data" / "glossary.yaml"
TERM_WORD = re.compile(r"[a-z]+|\d+")


@dataclass(frozen=True)
class Concept:
    code: str
    topic: str | None
    agency: str
    terms: dict[str, str]  # term as citizens write it -> one-line note or source


def load_glossary(path: Path = GLOSSARY_PATH) -> dict[str, Concept]:
    """The glossary, checked against the taxonomy contract: every concept names
    exactly one known topic or agency, and no term belongs to two concepts."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    tax, concepts, owner = taxonomy(), {}, {}
    for code, entry in raw["concepts"].items():
        topic, agency = entry.get("topic"), entry.get("agency")
        if (topic is None) == (agency is None):
            raise ValueError(f"{path}: concept {code} needs exactly one of topic/agency")
        if topic is not None and topic not in tax.topics:
            raise ValueError(f"{path}: concept {code} names unknown topic {topic}")
        if agency is not None and agency not in tax.agencies:
            raise ValueError(f"{path}: concept {code} names unknown agency {agency}")
        terms = {str(t).strip().lower(): str(note) for t, note in entry["terms"].items()}
        for term in terms:
            if term in owner:
                raise ValueError(f"{path}: term {term!r} is in {owner[term]} and {code}")
            owner[term] = code
        concepts[code] = Concept(code, topic, agency or tax.agency_of(topic), terms)
    return concepts


@lru_cache(maxsize=1)
def glossary() -> dict[str, Concept]:
    return load_glossary()


@lru_cache(maxsize=1)
def glossary_words() -> frozenset[str]:
    """Every word of every glossary term, split the way the normaliser splits text."""
    return frozenset(w for c in glossary().values() for t in c.terms for w in TERM_WORD.findall(t))
