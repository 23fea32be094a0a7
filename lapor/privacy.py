"""Reporter protection: mask identifiers in text, seal identities at rest.

A leaf module (no project imports) because intake, the classifier, the case
store and the web app all need it. Sealing uses Fernet (AES-128-CBC + HMAC,
``cryptography``) with keys from ``LAPOR_REPORTER_KEY`` or a key file that is
created once with mode 0600 under the state directory; keys rotate (``Sealer``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

URL = re.compile(r"(https?://|www\.)\S+", re.I)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b")
PHONE = re.compile(r"(?<!\d)(\+62|62|0)8[\d\s.-]{7,14}\d(?!\d)")
NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
LONG_NUMBER = re.compile(r"(?<!\d)\d{9,}(?!\d)")
PLACEHOLDERS = {"url": "<url>", "email": "<email>", "phone": "<telepon>", "nik": "<nik>"}


# Cheap tests that rule a pattern out: most complaints hold no URL, no e-mail and
# no run of digits a phone number, NIK or long number could be (each needs one).
MAYBE_URL = re.compile(r"://|www\.", re.I)
MAYBE_NUMBER = re.compile(r"\d[\d\s.-]{7,}\d")


def mask_identifiers(text: str) -> str:
    """Replace URLs, e-mails, phone numbers and NIK-like digit runs with placeholders."""
    if MAYBE_URL.search(text):
        text = URL.sub(f" {PLACEHOLDERS['url']} ", text)
    if "@" in text:
        text = EMAIL.sub(f" {PLACEHOLDERS['email']} ", text)
    if MAYBE_NUMBER.search(text):
        text = NIK.sub(f" {PLACEHOLDERS['nik']} ", text)
        text = PHONE.sub(f" {PLACEHOLDERS['phone']} ", text)
        text = LONG_NUMBER.sub(f" {PLACEHOLDERS['nik']} ", text)
    return text


class Sealer:
    """Encrypts reporter identity dicts to opaque tokens and back.

    Holds a key ring: the first key seals, every key opens. Rotation puts a new
    key first, re-seals what is stored (``reseal``) and, once nothing needs the
    old keys any more, drops them (``lapor keys rotate`` / ``lapor keys retire``).
    """

    def __init__(self, keys: str | bytes | list[str | bytes]) -> None:
        ring = [keys] if isinstance(keys, str | bytes) else list(keys)
        if not ring:
            raise ValueError("a reporter key is needed")
        self.keys = [k.encode() if isinstance(k, str) else k for k in ring]
        self._current = Fernet(self.keys[0])
        self._fernet = MultiFernet([Fernet(k) for k in self.keys])

    @classmethod
    def from_settings(cls, key: str | None, key_file: Path) -> Sealer:
        """``LAPOR_REPORTER_KEY`` ("new,old": current first), else the key file
        (one key per line, current first), created with one key when missing."""
        if key:
            return cls(_ring(key.replace(",", "\n")))
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key() + b"\n")
        return cls(_ring(key_file.read_text()))

    def seal(self, identity: dict[str, str]) -> str:
        return self._current.encrypt(json.dumps(identity, sort_keys=True).encode()).decode()

    def unseal(self, token: str) -> dict[str, str]:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise ValueError("reporter identity cannot be opened with this key") from exc

    def is_current(self, token: str) -> bool:
        """Sealed with the current key (so no retired key is needed to open it)."""
        try:
            self._current.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def reseal(self, token: str) -> str:
        """The same identity sealed with the current key; ValueError if no key opens it."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("reporter identity cannot be opened with this key") from exc


def _ring(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def rotate_key_file(key_file: Path) -> None:
    """Put a new key first in the key file; the old ones stay to open old tokens."""
    old = key_file.read_text() if key_file.exists() else ""
    _write_keys(key_file, [Fernet.generate_key().decode(), *_ring(old)])


def retire_old_keys(key_file: Path) -> int:
    """Keep only the current key in the key file; returns how many were dropped."""
    ring = _ring(key_file.read_text())
    _write_keys(key_file, ring[:1])
    return len(ring) - 1


def _write_keys(key_file: Path, keys: list[str]) -> None:
    """Written to a 0600 file beside it, then renamed over: never half a key ring."""
    key_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = key_file.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("".join(f"{k}\n" for k in keys))
    os.replace(tmp, key_file)
