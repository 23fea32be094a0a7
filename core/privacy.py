"""Reporter protection: mask identifiers in text, seal identities at rest.

A leaf module (it imports only ``core.identifiers``, its table of formats)
because intake, the classifier, the case store and the web app all need it.
Sealing uses Fernet (AES-128-CBC + HMAC, ``cryptography``) with keys from
``LAPOR_REPORTER_KEY`` or a key file that is created once with mode 0600 under
the state directory; keys rotate (``Sealer``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.identifiers import FORMATS, PLACEHOLDERS, Format
from core.identifiers import STEPS as STEP_ORDER

# The masker is built from the table of formats in ``core.identifiers``, in
# steps: URLs (which may hold digits and an @), e-mails, names after a
# self-introduction cue, numbers (bank accounts, payment codes and plates after
# their cue, NIK/KK, mobile and landline numbers, other long digit runs), then
# vehicle plates. Within a step one regular expression holds every format of the
# step: the leftmost match wins, and at one position the format listed first.
#
# Shortcuts (``shortcuts=False`` runs without them; tests check that they change
# nothing): a step is skipped when a cheap test (``maybe``) rules it out, and the
# e-mail, name, number and plate steps try their expression only where one of
# their formats can begin instead of at every character: ``start`` (back from an
# "@"; or one character class, a digit, "+", "(", a capital letter, which the
# regex engine scans for in C) and ``words`` (cue words, found with str.find in
# the lower-cased text). Masking a complaint costs ~9 us this way, ~14x less than
# trying every format everywhere.
_URL_HINT = re.compile(r"://|www\.|\.(?:com|net|org|id|ly|me|ee|gle)/", re.I)
_AT_HINT = re.compile(r"[\[(] ?at ?[\])]", re.I)
_DIGIT = re.compile(r"\d")
_PLATE_HINT = re.compile(r"[A-Z][ -]?\d")


def _maybe_url(text: str) -> bool:
    return ("/" in text or "ww" in text.lower()) and bool(_URL_HINT.search(text))


def _maybe_email(text: str) -> bool:
    return "@" in text or (("(" in text or "[" in text) and bool(_AT_HINT.search(text)))


def _maybe_number(text: str) -> bool:
    return bool(_DIGIT.search(text))


def _maybe_plate(text: str) -> bool:
    return bool(_DIGIT.search(text)) and bool(_PLATE_HINT.search(text))


def _is_local(char: str) -> bool:
    """A character of an e-mail's local part, as the patterns' [\\w.+-] has it."""
    return char.isalnum() or char in "_.+-"


def _local_start(text: str, end: int, longest: int = 64) -> int:
    start = end
    while start > 0 and end - start < longest and _is_local(text[start - 1]):
        start -= 1
    return start


def _email_starts(text: str) -> list[int]:
    """Where an e-mail may begin: at most 64 characters back from each "@" (or
    "[at]"), at the start of the run of local-part characters before it. Anchored
    on the "@", so a long run without one is never scanned (issue 15: the old
    pattern, tried at every character of "a.a.a...", cost seconds)."""
    found = []
    at = text.find("@")
    while at >= 0:
        if at:
            found.append(_local_start(text, at))
        at = text.find("@", at + 1)
    for hint in _AT_HINT.finditer(text):
        for end in (hint.start(), hint.start() - 1):  # "budi(at)", "budi (at)"
            if end > 0:
                found.append(_local_start(text, end))
    return sorted(found)


Maybe = Callable[[str], bool]
Starts = str | Callable[[str], list[int]] | None
STEPS: dict[str, tuple[Maybe | None, Starts, tuple[str, ...]]] = {
    # step: (maybe, start, words)
    "url": (_maybe_url, None, ()),
    "email": (_maybe_email, _email_starts, ()),
    "name": (None, None, ("saya", "aku", "nama", "bernama", "pelapor", "a.n", "a/n")),
    "number": (
        _maybe_number,
        r"[\d+(]",
        ("rek", "norek", "nik", "ktp", "kk", "kependudukan", "kartu keluarga", "virtual")
        + ("va", "kode", "nopol", "pol", "plat", "pelat", "tnkb"),
    ),
    "plate": (_maybe_plate, r"[A-Z]", ()),
}
assert tuple(STEPS) == STEP_ORDER


class _Pass:
    """One step: the formats of some kinds as one alternation, and its shortcuts."""

    def __init__(
        self, formats: list[Format], maybe: Maybe | None, start: Starts, words: tuple[str, ...]
    ) -> None:
        kinds: dict[str, str] = {}
        for fmt in formats:  # a pattern shared by several rows is compiled once
            if kinds.setdefault(fmt.pattern, fmt.kind) != fmt.kind:
                raise ValueError(f"{fmt.name}: one pattern, two kinds")
            if re.compile(fmt.pattern).groupindex != {"id": 1}:
                raise ValueError(f"{fmt.name}: the one capturing group must be (?P<id>...)")
        patterns = list(kinds)
        self.placeholders = [PLACEHOLDERS[kinds[p]] for p in patterns]
        self.maybe = maybe
        if isinstance(start, str):
            starts = re.compile(start)
            self.start = lambda text: [m.start() for m in starts.finditer(text)]
        else:
            self.start = start
        self.words = words
        self.regex = re.compile(
            "|".join(
                f"(?P<b{i}>{p.replace('(?P<id>', f'(?P<i{i}>')})" for i, p in enumerate(patterns)
            )
        )

    def _replace(self, match: re.Match) -> str:
        i = int(match.lastgroup[1:])  # the branch: its group closes last
        start, end = match.span(f"i{i}")
        text = match.string
        return text[match.start() : start] + self.placeholders[i] + text[end : match.end()]

    def _starts(self, text: str) -> list[int] | None:
        """Where a format may begin, in order; None when they cannot be told."""
        found = self.start(text) if self.start else []
        if self.words:
            low = text.lower()
            if len(low) != len(text):  # a rare character whose lower case is longer
                return None
            for word in self.words:
                at = low.find(word)
                while at >= 0:
                    found.append(at)
                    at = low.find(word, at + 1)
            found.sort()  # sorted runs: merged in linear time
        return found

    def apply(self, text: str, shortcuts: bool) -> str:
        if shortcuts and self.maybe is not None and not self.maybe(text):
            return text
        starts = self._starts(text) if shortcuts and (self.start or self.words) else None
        if starts is None:
            return self.regex.sub(self._replace, text)
        # the leftmost match, as sub finds it, tried only where a format can begin
        # (a start before the end of the last match is tried at that end: an
        # e-mail's local part may begin right after the e-mail before it)
        out, done, tried, match = [], 0, -1, self.regex.match
        for at in starts:
            at = max(at, done)
            if at == tried:
                continue
            tried = at
            found = match(text, at)
            if found is not None:
                out.append(text[done:at])
                out.append(self._replace(found))
                done = found.end()
        if not out:
            return text
        out.append(text[done:])
        return "".join(out)


_PASSES = [
    _Pass([f for f in FORMATS if f.step == step], maybe, start, words)
    for step, (maybe, start, words) in STEPS.items()
]


# Masking an identifier can expose another: "1234567890atas nama Budi" has no
# word boundary before "atas" until the number is a placeholder. So the steps run
# again while a round still changes something (a text without identifiers costs
# one round; the rounds are bounded, so masking stays linear in the text).
MAX_ROUNDS = 4


def mask_identifiers(text: str, shortcuts: bool = True) -> str:
    """Replace URLs, e-mails, self-introduced names, bank accounts, NIK/KK, phone
    numbers, vehicle plates and long digit runs with placeholders (``<telepon>``,
    ``<nik>``, ...); the cue before an identifier ("rek BRI", "nama saya") stays.

    Linear in the length of the text whatever it holds (``lapor bench mask``), and
    idempotent: masked text is left as it is."""
    for _ in range(MAX_ROUNDS):
        masked = text
        for step in _PASSES:
            masked = step.apply(masked, shortcuts)
        if masked == text:
            break
        text = masked
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
            key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
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
    key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = key_file.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("".join(f"{k}\n" for k in keys))
    os.replace(tmp, key_file)


def token_hash(token: str) -> str:
    """What is kept of a rahasia complaint's secret token (SHA-256 hex): the token
    itself goes to the citizen only."""
    return hashlib.sha256(token.encode()).hexdigest()
