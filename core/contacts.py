"""Blind index of a reporter's contact: an opt-out found by number or address
without either being stored.

A reporter who texts ``BERHENTI`` is known only by the number it comes from, and
cases and deliveries hold numbers sealed (Fernet draws a fresh IV each time: one
number never seals the same way twice), so nothing stored can be matched
against it. An opt-out is kept under a keyed hash of the contact instead
(HMAC-SHA256 with a key of its own: ``LAPOR_CONTACT_INDEX_KEY``, or
``contact-index.key`` created in the state directory), and whoever opens a
sealed contact to send a message (the notifier, the SMS gateway's fetch) hashes
it and looks it up. Without the key a hash says nothing; an unkeyed one would
not do, Indonesian mobile numbers are few enough to hash them all.

The key is not one of the rotating reporter keys: a new key forgets every
opt-out (README, "Notifications"). Numbers are compared in E.164
(``phonenumbers``, Indonesia as the default region, so 0812..., +62 812... and
62812... are one number); addresses lower-cased.

The e-mail's "berhenti" link carries the address's index with a MAC beside it
(``link_token``): the page refuses a token this hub did not issue, so nobody
fills the store with made-up ones.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import phonenumbers

from core.files import read_or_create_secret
from core.settings import Settings

SMS, EMAIL = "sms", "email"
_TOKEN = re.compile(r"^([0-9a-f]{64})\.([0-9a-f]{32})$")


def canonical(channel: str, contact: str | None) -> str | None:
    """The form two spellings of one contact share; None if it is not one."""
    value = (contact or "").strip()
    if channel == EMAIL:
        return value.lower() if "@" in value else None
    try:
        number = phonenumbers.parse(value, "ID")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class ContactIndex:
    def __init__(self, key: str | bytes) -> None:
        self.key = key.encode() if isinstance(key, str) else key
        if len(self.key) < 32:
            raise ValueError("the contact index key needs at least 32 characters")

    @classmethod
    def from_settings(cls, settings: Settings) -> ContactIndex:
        given = settings.contact_index_key
        return cls(
            given.get_secret_value()
            if given
            else read_or_create_secret(settings.contact_index_key_file)
        )

    def _mac(self, label: str, value: str) -> str:
        return hmac.new(self.key, f"{label}\x00{value}".encode(), hashlib.sha256).hexdigest()

    def of(self, channel: str, contact: str | None) -> str | None:
        """The index of ``contact`` on ``channel``; None when it is not a contact."""
        value = canonical(channel, contact)
        return self._mac(channel, value) if value else None

    def pseudonym(self, channel: str, value: str) -> str:
        """The index of a contact, or for what is none (an SMS short code, a name)
        a keyed hash of the text as given: a stable key to count by, not a contact."""
        return self.of(channel, value) or self._mac(f"{channel}-raw", value.strip())

    def link_token(self, index: str) -> str:
        """What the e-mail's opt-out link carries: the index and its MAC."""
        return f"{index}.{self._mac('link', index)[:32]}"

    def index_of_token(self, token: str) -> str | None:
        """The index a link token carries, if this hub issued it."""
        match = _TOKEN.match(token or "")
        if match is None:
            return None
        index, mac = match.groups()
        return index if hmac.compare_digest(mac, self._mac("link", index)[:32]) else None
