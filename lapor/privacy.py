"""Reporter protection: mask identifiers in text, seal identities at rest.

A leaf module (no project imports) because intake, the classifier, the case
store and the web app all need it. Sealing uses Fernet (AES-128-CBC + HMAC,
``cryptography``) with a key from ``LAPOR_REPORTER_KEY`` or a key file that is
created once with mode 0600 under the state directory.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

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
    """Encrypts reporter identity dicts to opaque tokens and back."""

    def __init__(self, key: str | bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_settings(cls, key: str | None, key_file: Path) -> Sealer:
        if key:
            return cls(key)
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key())
        return cls(key_file.read_bytes().strip())

    def seal(self, identity: dict[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(identity, sort_keys=True).encode()).decode()

    def unseal(self, token: str) -> dict[str, str]:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise ValueError("reporter identity cannot be opened with this key") from exc
