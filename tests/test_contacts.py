"""The blind index of a reporter's contact (core/contacts.py): one number however
it is written, nothing without the key, and opt-out links only the hub issues."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.contacts import EMAIL, SMS, ContactIndex, canonical
from web.sms import START, STOP, channel_keyword

KEY = "kunci-indeks-kontak-uji-" + "x" * 16
INDEX = ContactIndex(KEY)


@pytest.mark.parametrize(
    "spelt", ["081234500099", "0812-3450-0099", "+62 812 3450 0099", "6281234500099"]
)
def test_every_spelling_of_a_number_has_one_index(spelt):
    assert INDEX.of(SMS, spelt) == INDEX.of(SMS, "081234500099")


def test_an_address_is_one_index_whatever_its_case_and_channels_do_not_mix():
    assert INDEX.of(EMAIL, " Warga@Contoh.ID ") == INDEX.of(EMAIL, "warga@contoh.id")
    assert INDEX.of(EMAIL, "warga@contoh.id") != INDEX.of(SMS, "081234500099")
    assert INDEX.of(SMS, "1708") is None and INDEX.of(EMAIL, "bukan alamat") is None


def test_without_the_key_the_index_says_nothing():
    other = ContactIndex("kunci-lain-" + "y" * 30)
    assert other.of(SMS, "081234500099") != INDEX.of(SMS, "081234500099")
    assert "81234500099" not in INDEX.of(SMS, "081234500099")
    with pytest.raises(ValueError, match="32"):
        ContactIndex("pendek")


def test_a_link_token_names_its_index_and_a_changed_one_names_nothing():
    index = INDEX.of(EMAIL, "warga@contoh.id")
    token = INDEX.link_token(index)
    assert INDEX.index_of_token(token) == index
    assert ContactIndex("kunci-lain-" + "y" * 30).index_of_token(token) is None
    for bad in ("", index, token[:-1], token.upper(), "0" * 64 + token[64:], token + "0"):
        assert INDEX.index_of_token(bad) is None


@given(st.text(max_size=40))
def test_any_text_gives_an_index_or_none_never_an_error(raw):
    for channel in (SMS, EMAIL):
        value = canonical(channel, raw)
        assert value is None or INDEX.of(channel, raw) is not None


@pytest.mark.parametrize(
    "message, keyword",
    [
        ("BERHENTI", STOP),
        ("berhenti.", STOP),
        ("  Stop!", STOP),
        ("UNREG LAPOR", STOP),
        ("MULAI", START),
        ("start sms", START),
        ("BERHENTI jalan rusak di BANJAR", None),
        ("BANJAR berhenti", None),
        ("BERHENTIKAN pungli", None),
        ("RAHASIA BERHENTI", None),
    ],
)
def test_only_a_whole_message_keyword_is_a_channel_choice(message, keyword):
    assert channel_keyword(message) == keyword
