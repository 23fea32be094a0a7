"""What a notification says (streams/notify_text.py): Indonesian, per kind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.events import Notification
from streams.notify_text import SMS_CHARS, compose

URL = "https://lapor.contoh.go.id/"


def event(kind: str = "status", **fields) -> Notification:
    base = {
        "event_id": "LPR-261206-ABCDEFGH-XYZXYZ:1",
        "case_id": "LPR-261206-ABCDEFGH-XYZXYZ",
        "kind": kind,
        "status": "ditindaklanjuti",
        "note": "petugas sudah ke lokasi",
        "unit": "PDAM Kabupaten Sleman",
        "at": datetime(2026, 12, 6, tzinfo=UTC),
    }
    return Notification(**{**base, **fields})


@pytest.mark.parametrize(
    "kind, says",
    [
        ("status", "Status aduan Anda kini: Ditindaklanjuti. Keterangan: petugas sudah ke lokasi"),
        ("answer", "PDAM Kabupaten Sleman menanggapi aduan Anda: petugas sudah ke lokasi"),
        ("info_request", "PDAM Kabupaten Sleman meminta informasi tambahan dari Anda"),
        ("redispatch", "Aduan Anda dialihkan ke PDAM Kabupaten Sleman yang berwenang."),
        ("escalation", "petugas sudah ke lokasi"),
    ],
)
def test_each_kind_is_told_in_indonesian(kind, says):
    message = compose(event(kind), URL)
    assert says in message.text and says[:60] in message.sms
    assert message.subject == "[LAPOR!] Aduan LPR-261206-ABCDEFGH-XYZXYZ: Ditindaklanjuti"
    assert "Ditangani oleh: PDAM Kabupaten Sleman" in message.text
    assert "https://lapor.contoh.go.id/lacak?id=LPR-261206-ABCDEFGH-XYZXYZ\n" in message.text


def test_a_rahasia_link_asks_for_the_token_and_a_long_note_fits_three_sms():
    message = compose(event(privacy="rahasia", note="panjang " * 400), URL)
    assert "(masukkan juga token rahasia Anda)" in message.text
    assert len(message.sms) <= SMS_CHARS and "token rahasia Anda)" in message.sms
    assert message.sms.endswith("Balas BERHENTI agar tidak dikirimi SMS lagi.")
    assert "..." in message.sms
