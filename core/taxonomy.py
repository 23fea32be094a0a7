"""The routing taxonomy contract: agency codes, topic codes and agency kinds.

``taxonomy.yaml`` beside this module is a copy of ``shared/spec/taxonomy.yaml``
(a test keeps them equal), so the installed package works without ``shared/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")
NATIONAL_KINDS = frozenset({"bumn", "badan_nasional", "vertikal"})


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    kind: str

    @property
    def is_national(self) -> bool:
        return self.kind in NATIONAL_KINDS


@dataclass(frozen=True)
class Topic:
    code: str
    agency: str
    name: str


@dataclass(frozen=True)
class Taxonomy:
    tiers: tuple[str, ...]
    agencies: dict[str, Agency]
    topics: dict[str, Topic]

    def agency_of(self, topic: str) -> str:
        return self.topics[topic].agency

    def topics_of(self, agency: str) -> list[str]:
        return [t.code for t in self.topics.values() if t.agency == agency]


def load_taxonomy(path: Path = TAXONOMY_PATH) -> Taxonomy:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    agencies = {code: Agency(code, a["name"], a["kind"]) for code, a in raw["agencies"].items()}
    topics = {code: Topic(code, t["agency"], t["name"]) for code, t in raw["topics"].items()}
    unknown = sorted({t.agency for t in topics.values()} - agencies.keys())
    if unknown:
        raise ValueError(f"{path}: topics name unknown agencies {unknown}")
    return Taxonomy(tuple(raw["tiers"]), agencies, topics)


@lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    return load_taxonomy()
