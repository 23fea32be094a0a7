"""Complaints that could not be processed, by id: what a tracking id answers then.

The dead-letter topic keeps everything about a letter (its bytes, the source
offset) for the operators; the ``dead_letters`` collection keeps, per complaint
id, only why and where (never the payload: it holds the reporter's text), so the
tracking page can say ``tidak_dapat_diproses`` with a reason in Indonesian
instead of ``diterima`` for ever. Written by the worker's dead-letter consumer
(``streams/dead_letters.py``); the first letter of an id wins (a redelivered
letter changes nothing). A stored case always answers before its letters: an
``id_conflict`` letter of a reused id never hides the first complaint's case.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import UpdateOne
from pymongo.database import Database

from casestore.store import upsert_new

COLLECTION = "dead_letters"
LETTER_FIELDS = ("reason", "source_topic", "partition", "offset", "received_at")

# (what the worker's reason starts with or holds, what the reporter reads)
_REASONS = (
    (
        "id_conflict",
        "Nomor aduan ini sudah dipakai untuk aduan lain dengan isi berbeda, sehingga aduan "
        "ini tidak disimpan. Kirim ulang aduan Anda tanpa nomor tersebut.",
    ),
    (
        "at most",
        "Isi aduan terlalu panjang (paling banyak 20.000 karakter). Kirim ulang aduan Anda "
        "dengan isi yang lebih singkat.",
    ),
    (
        "text is empty",
        "Isi aduan kosong atau tidak terbaca. Kirim ulang aduan Anda dengan isi yang jelas.",
    ),
)
FALLBACK = (
    "Aduan tidak dapat dibaca oleh sistem (data rusak atau tidak lengkap), sehingga tidak "
    "dapat diteruskan. Kirim ulang aduan Anda; bila terulang, hubungi pengelola LAPOR!."
)


def public_reason(reason: str) -> str:
    """The letter's reason (English, for operators) in words a reporter can act on."""
    for marker, words in _REASONS:
        if reason.startswith(marker) or marker in reason:
            return words
    return FALLBACK


class DeadLetterStore:
    def __init__(self, db: Database) -> None:
        self.letters = db[COLLECTION]

    def record(self, letters: Sequence[dict]) -> int:
        """Letters (``core.events.DeadLetter`` dicts with a ``key``) by complaint id;
        returns how many ids were new."""
        ops = [
            UpdateOne(
                {"_id": letter["key"]},
                {"$setOnInsert": {k: letter.get(k) for k in LETTER_FIELDS}},
                upsert=True,
            )
            for letter in letters
            if letter.get("key")
        ]
        return upsert_new(self.letters, ops)

    def find(self, complaint_id: str) -> dict | None:
        return self.letters.find_one({"_id": complaint_id})
