"""The rules of the case's life after routing, without a store: what each change's
update dict holds, the refusals, and the performance score."""

from datetime import UTC, datetime

import pytest

from casestore.answers import AnswerError, answer_update, clean_answer
from casestore.feedback import (
    Refused,
    auto_close_update,
    confirm_update,
    dispute_update,
    rating_update,
    reply_update,
    score_of,
)
from casestore.performance import performance_score
from casestore.workflow import AUTO_CLOSE_DAYS, add_working_days, deadline_for, triage_reasons

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def test_the_first_answer_moves_the_case_and_sets_the_closing_date():
    case = {"status": "terdisposisi", "deadline_at": add_working_days(NOW, 5)}
    update = answer_update(case, "pdam", clean_answer("Sudah diperbaiki, WA 0812-3456-7890"), NOW)
    sets = update["$set"]
    assert sets["status"] == "ditindaklanjuti" and sets["answered_in_time"] is True
    assert sets["auto_close_at"] == add_working_days(NOW, AUTO_CLOSE_DAYS)
    assert "0812" not in update["$push"]["answers"]["text"]
    assert update["$push"]["history"]["public_note"].startswith("jawaban unit:")
    again = answer_update({**case, "status": "ditindaklanjuti"}, "pdam", "Tambahan", NOW)
    assert "$set" not in again and again["$push"]["answers"]["text"] == "Tambahan"
    with pytest.raises(AnswerError, match="Menunggu verifikasi"):
        answer_update({"status": "menunggu_verifikasi"}, "pdam", "x", NOW)
    with pytest.raises(AnswerError, match="wajib"):
        clean_answer(" \u200b ")


def test_dispute_reopens_with_a_fresh_deadline_and_counts():
    case = {"status": "ditindaklanjuti", "answered_at": NOW}
    update = dispute_update(case, "air masih mati", NOW)
    assert update["$set"]["status"] == "dibuka_kembali" and update["$inc"] == {"reopened": 1}
    assert update["$set"]["deadline_at"] == deadline_for("dibuka_kembali", NOW)
    assert update["$set"]["auto_close_at"] is None
    assert triage_reasons({"status": "dibuka_kembali", "reopened": 1}, NOW) == ["dibuka_kembali"]
    with pytest.raises(Refused, match="Terdisposisi"):
        dispute_update({"status": "terdisposisi"}, "x", NOW)


def test_confirm_close_and_rate():
    answered = {"status": "ditindaklanjuti", "answered_at": NOW}
    assert confirm_update(answered, NOW)["$set"]["closed_by"] == "pelapor"
    closed = auto_close_update(answered, NOW)
    assert closed["$set"]["status"] == "selesai" and closed["$push"]["history"]["by"] == "sistem"
    assert reply_update(answered, "info", NOW)["$push"]["replies"]["text"] == "info"
    with pytest.raises(Refused, match="sudah ditutup"):
        reply_update({"status": "selesai"}, "info", NOW)
    assert rating_update({"status": "selesai"}, 4, "", NOW)["$set"]["rating"]["score"] == 4
    with pytest.raises(Refused, match="sudah dinilai"):
        rating_update({"status": "selesai", "rating": {"score": 2}}, 4, "", NOW)
    with pytest.raises(Refused, match="Ditindaklanjuti"):
        rating_update(answered, 4, "", NOW)
    assert score_of("5") == 5 and score_of(1) == 1
    for bad in ("0", "6", "4.5", "", None, "lima"):
        with pytest.raises(Refused) as refused:
            score_of(bad)
        assert refused.value.status == 422


def test_the_score_weighs_what_it_has():
    row = {"in_time_share": 1.0, "reopen_rate": 0.5, "satisfaction_mean": 3.0}
    assert performance_score(row) == round(100 * (0.5 + 0.25 * 0.5 + 0.25 * 0.5), 1)
    assert performance_score({**row, "satisfaction_mean": None}) == round(100 * 0.625 / 0.75, 1)
    assert (
        performance_score({"in_time_share": None, "reopen_rate": None, "satisfaction_mean": None})
        is None
    )
