"""Related complaints: the same incident reported again, linked both ways.

A national hub receives the same outage, the same pothole, the same
mass-complaint campaign many times. When a case is stored, earlier open cases of
the same topic and region from the last ``WINDOW`` whose text is near-identical
are linked to it (``related`` on both cases), so that an admin sees "n aduan
terkait" and can merge them.

Near-identical is the Jaccard similarity of the texts' word 2-shingles,
estimated by MinHash (``datasketch``; 64 permutations, 256 bytes a case, stored
on the case), and the same *anchors* (names and numbers: one campaign's letter
filled in for two villages is two incidents). The topic-and-region filter is
the blocking key, so the store returns a handful of candidates and no LSH index
has to live in a worker (it would not survive a restart nor be shared by two
workers). The threshold was
chosen on a labelled set of pairs (README, "Related complaints").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta

import numpy as np
from datasketch import MinHash
from pymongo import UpdateOne
from pymongo.collection import Collection

from casestore.workflow import OPEN_STATUSES

NUM_PERM = 64
SCHEME = "affine32"
SHINGLE = 2
THRESHOLD = 0.4  # README: precision and recall of the labelled pairs by threshold
WINDOW = timedelta(days=14)
MAX_CANDIDATES = 500
WORD = re.compile(r"\w+")
TOKEN = re.compile(r"\b[\w-]+\b")


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    """Word n-grams of the lower-cased text (a text shorter than n: its words)."""
    words = WORD.findall(text.lower())
    if len(words) < size:
        return {w.encode() for w in words}
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


def anchors(text: str) -> set[str]:
    """The words that pin a complaint to one place and thing: names written with a
    capital inside a sentence and anything with a digit ("Desa Sukamaju", "RT 03",
    "km 9"). One campaign's letter filled in for two villages is two incidents."""
    found = set()
    for match in TOKEN.finditer(text):
        word, before = match.group(0), text[: match.start()].rstrip()
        starts_sentence = not before or before[-1] in ".!?:"
        if any(ch.isdigit() for ch in word) or (word[0].isupper() and not starts_sentence):
            found.add(word.lower())
    return found


def same_incident(similar: float, mine: set[str], theirs: set[str]) -> bool:
    """Near-identical text, and one text's anchors all in the other's (a greeting or
    "RT 03" added is the same report; another village's name is not)."""
    return similar >= THRESHOLD and (mine <= theirs or theirs <= mine)


def signature(text: str) -> MinHash:
    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    minhash.update_batch(sorted(shingles(text)))
    return minhash


def encode(minhash: MinHash) -> bytes:
    return minhash.hashvalues.astype(np.uint32).tobytes()


def decode(raw: bytes) -> MinHash:
    return MinHash(num_perm=NUM_PERM, hashvalues=np.frombuffer(raw, dtype=np.uint32), scheme=SCHEME)


def related(a: str, b: str) -> bool:
    """Whether two texts are the same incident, as the linker decides it."""
    return same_incident(signature(a).jaccard(signature(b)), anchors(a), anchors(b))


def _block_key(case: dict) -> tuple:
    """Same topic and same regency (or province, or none known): the blocking key."""
    decision = case.get("decision") or {}
    return (decision.get("topic"), decision.get("regency_code"), decision.get("province_code"))


class RelatedLinker:
    def __init__(self, cases: Collection) -> None:
        self.cases = cases

    def link(self, case_ids: Sequence[str]) -> int:
        """Sign the stored cases and link each to its near-identical earlier ones;
        returns the number of links made. Idempotent (``$addToSet``)."""
        fields = {"text": 1, "decision": 1, "created_at": 1}
        found = list(self.cases.find({"_id": {"$in": list(case_ids)}}, fields))
        signed = [(case, signature(case.get("text") or "")) for case in found]
        if not signed:
            return 0
        # signatures first, so that cases stored in one batch find each other
        self.cases.bulk_write(
            [
                UpdateOne(
                    {"_id": c["_id"]},
                    {
                        "$set": {
                            "minhash": encode(m),
                            "anchors": sorted(anchors(c.get("text") or "")),
                        }
                    },
                )
                for c, m in signed
            ],
            ordered=False,
        )
        groups: dict[tuple, list[tuple[dict, MinHash]]] = defaultdict(list)
        for case, mine in signed:
            groups[_block_key(case)].append((case, mine))
        writes, links = [], 0
        for key, members in groups.items():
            candidates = self._candidates(key, [case["created_at"] for case, _ in members])
            for case, mine in members:
                for other in self._near(case, mine, candidates):
                    links += 1
                    writes.append(
                        UpdateOne({"_id": case["_id"]}, {"$addToSet": {"related": other}})
                    )
                    writes.append(
                        UpdateOne({"_id": other}, {"$addToSet": {"related": case["_id"]}})
                    )
        if writes:
            self.cases.bulk_write(writes, ordered=False)
        return links

    def _candidates(self, key: tuple, created: list) -> list[tuple]:
        """One query per block for the whole batch: open cases of the block signed
        within the window of any of the batch's cases, newest first."""
        topic, regency, province = key
        query = {
            "decision.topic": topic,
            "decision.regency_code": regency,
            "decision.province_code": province,
            "status": {"$in": sorted(OPEN_STATUSES)},
            "created_at": {"$gte": min(created) - WINDOW, "$lte": max(created)},
            "minhash": {"$exists": True},
        }
        fields = {"minhash": 1, "anchors": 1, "created_at": 1}
        found = self.cases.find(query, fields).sort("created_at", -1).limit(MAX_CANDIDATES)
        return [
            (o["_id"], o["created_at"], decode(o["minhash"]), set(o.get("anchors") or ()))
            for o in found
        ]

    @staticmethod
    def _near(case: dict, mine: MinHash, candidates: list[tuple]) -> Iterable[str]:
        pins, created = anchors(case.get("text") or ""), case["created_at"]
        for other, when, theirs, their_pins in candidates:
            if other == case["_id"] or not created - WINDOW <= when <= created:
                continue
            if same_incident(mine.jaccard(theirs), pins, their_pins):
                yield other
