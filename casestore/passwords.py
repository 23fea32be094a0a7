"""How strong a console password must be.

A length rule alone accepted "password123" and "rahasia123" (issue 15). The
strength is estimated with ``zxcvbn`` (Dropbox's estimator, version pinned in
pyproject.toml): dictionaries of common passwords, names and words, keyboard
patterns, dates, repeats and l33t substitutions. Its dictionaries are English,
so the Indonesian words people build passwords from are added here, with the
account's own name in its written forms. Online guessing is throttled
(``casestore/throttle.py``); a score of 3 ("safely unguessable") is asked so
that a stolen hash file is still costly to crack offline.

A maximum length bounds the work of the estimator and of the hash; 128
characters leave room for any pass phrase.
"""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 128
MIN_SCORE = 3  # zxcvbn's 0..4: 3 = "safely unguessable", ~10^10 guesses
# words Indonesian passwords are commonly made of, absent from zxcvbn's lists
INDONESIAN_WORDS = (
    "sandi katasandi rahasia kunci masuk lapor aduan admin pengguna indonesia merdeka "
    "garuda pancasila jakarta bandung surabaya bismillah alhamdulillah sayang cinta "
    "rindu bunda ayah ibu anak rumah kantor dinas pemda selamat pagi siang malam"
).split()


def weakness(password: str, username: str = "") -> str | None:
    """Why the password may not be used (in Indonesian, for the operator), or None."""
    if len(password) < MIN_LENGTH:
        return f"Kata sandi terlalu pendek: minimal {MIN_LENGTH} karakter."
    if len(password) > MAX_LENGTH:
        return f"Kata sandi terlalu panjang: maksimal {MAX_LENGTH} karakter."
    parts = [p for p in re.split(r"[\W_]+", username.lower()) if p]
    hints = [username, "".join(parts), *parts, *INDONESIAN_WORDS]
    score = zxcvbn(password, user_inputs=hints, max_length=MAX_LENGTH)["score"]
    if score < MIN_SCORE:
        return (
            f"Kata sandi terlalu lemah (kekuatan {score} dari 4, minimal {MIN_SCORE}): "
            "mudah ditebak. Pakai frasa sandi dari beberapa kata yang tidak umum; hindari "
            "nama pengguna, kata umum, tahun, tanggal dan pola seperti 123 atau qwerty."
        )
    return None
