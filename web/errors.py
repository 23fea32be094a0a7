"""Validation errors in the words of the people who read them.

A citizen's app or an agency's system gets a 422 whose structure is the same
as before (``detail`` and ``errors: [{field, message}]``, ``field`` a path such
as ``reporter.nik``), and whose messages say in Indonesian which field is wrong
and what to do. Pydantic's error *types* are stable, so each maps to a sentence;
a validator's own message (already Indonesian) is kept; anything else still
names the field and shows pydantic's message so nothing is hidden.
"""

from __future__ import annotations

from collections.abc import Iterable

# what the reader knows a field as
FIELD_NAMES = {
    "body": "isi permintaan",
    "id": "id",
    "text": "isi aduan",
    "channel": "kanal",
    "region_hint": "petunjuk wilayah",
    "privacy": "privasi",
    "reporter": "data pelapor",
    "reporter.name": "nama pelapor",
    "reporter.phone": "telepon pelapor",
    "reporter.email": "e-mail pelapor",
    "reporter.nik": "NIK pelapor",
    "from": "nomor pengirim",
    "message": "isi SMS",
    "reason": "alasan",
    "score": "nilai",
    "comment": "komentar",
    "token": "token rahasia",
}

# pydantic error type -> what to do (``{...}`` filled from the error's context)
MESSAGES = {
    "missing": "wajib diisi",
    "string_too_short": "terlalu pendek: minimal {min_length} karakter",
    "string_too_long": "terlalu panjang: maksimal {max_length} karakter",
    "string_pattern_mismatch": "formatnya tidak sesuai (pola {pattern})",
    "string_type": "harus berupa teks",
    "int_type": "harus berupa bilangan bulat",
    "int_parsing": "harus berupa bilangan bulat",
    "int_from_float": "harus berupa bilangan bulat",
    "greater_than_equal": "minimal {ge}",
    "less_than_equal": "maksimal {le}",
    "bool_type": "harus bernilai true atau false",
    "literal_error": "harus salah satu dari: {expected}",
    "extra_forbidden": "kolom ini tidak dikenal; hapus dari permintaan",
    "model_type": "harus berupa objek JSON",
    "model_attributes_type": "harus berupa objek JSON",
    "dict_type": "harus berupa objek JSON",
    "json_invalid": "bukan JSON yang sah",
    "json_type": "bukan JSON yang sah",
}
SPECIFIC = {  # a field whose format deserves its own sentence
    ("reporter.nik", "string_pattern_mismatch"): "harus 16 angka tanpa spasi",
    ("id", "string_pattern_mismatch"): (
        "harus 8-64 karakter: huruf, angka, titik, titik dua, garis bawah atau tanda hubung"
    ),
}


def field_path(loc: Iterable[object]) -> str:
    """``("body", "reporter", "nik")`` -> ``reporter.nik`` (the body itself: ``body``)."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def indonesian(error: dict) -> dict:
    """One pydantic error -> ``{"field", "message"}`` with an Indonesian message."""
    field, kind = field_path(error.get("loc", ())), error.get("type", "")
    context = error.get("ctx") or {}
    if (field, kind) in SPECIFIC:
        what = SPECIFIC[(field, kind)]
    elif kind == "value_error":  # our validators speak Indonesian already
        what = str(context.get("error") or error.get("msg", "")).removeprefix("Value error, ")
    elif kind in MESSAGES:
        if "expected" in context:  # "'a', 'b' or 'c'"
            context = {**context, "expected": str(context["expected"]).replace(" or ", " atau ")}
        try:
            what = MESSAGES[kind].format(**context)
        except (KeyError, IndexError):
            what = MESSAGES[kind]
    else:
        what = f"tidak valid ({error.get('msg', kind)})"
    name = FIELD_NAMES.get(field, field)
    label = name if name == field else f"{name} ({field})"
    return {"field": field, "message": f"{label}: {what}"}


def validation_detail(errors: Iterable[dict]) -> dict:
    """The 422 body: every error, and one summary line a person can read."""
    readable = [indonesian(e) for e in errors]
    summary = "; ".join(e["message"] for e in readable)
    return {"detail": f"Permintaan tidak dapat diterima. {summary}", "errors": readable}
