"""Status transitions and working-day deadlines (with an Indonesian holiday)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from casestore.users import User
from casestore.workflow import (
    ALLOWED,
    LIAISON_STATUSES,
    TransitionError,
    add_working_days,
    deadline_for,
    dispatch_update,
    is_overdue,
    is_working_day,
    transition_update,
    triage_reasons,
)
from core.units import unit_above


def test_independence_day_is_not_a_working_day():
    assert not is_working_day(date(2026, 8, 17))  # Monday, Hari Kemerdekaan
    assert not is_working_day(date(2026, 8, 15))  # Saturday
    assert is_working_day(date(2026, 8, 18))


def test_deadline_skips_weekend_and_holiday():
    friday = datetime(2026, 8, 14, 3, 0, tzinfo=UTC)  # 10:00 WIB
    due = add_working_days(friday, 3)
    # Mon 17 Aug is a holiday: Tue 18, Wed 19, Thu 20 -> end of Thu 20 Aug WIB
    assert due == datetime(2026, 8, 20, 16, 59, 59, tzinfo=UTC)
    assert deadline_for("terdisposisi", friday) == add_working_days(friday, 5)
    assert deadline_for("selesai", friday) is None


def test_cuti_bersama_are_not_working_days():
    # Idul Fitri 2026: 21-22 Mar public holidays, 20, 23 and 24 Mar cuti bersama
    assert not any(is_working_day(date(2026, 3, d)) for d in (20, 23, 24))
    thursday = datetime(2026, 3, 19, 3, 0, tzinfo=UTC)  # Nyepi, itself a holiday
    # working days after it: Wed 25, Thu 26, Fri 27 -> end of Fri 27 Mar WIB
    assert add_working_days(thursday, 3) == datetime(2026, 3, 27, 16, 59, 59, tzinfo=UTC)


def test_allowed_transition_is_recorded():
    case = {"status": "menunggu_verifikasi"}
    now = datetime(2026, 3, 2, tzinfo=UTC)
    update = transition_update(case, "terverifikasi", "admin1", "data lengkap", now)
    assert update["$set"]["status"] == "terverifikasi"
    assert update["$push"]["history"] == {
        "status": "terverifikasi",
        "at": now,
        "by": "admin1",
        "note": "data lengkap",
    }
    assert update["$set"]["deadline_at"] == add_working_days(now, 3)


@pytest.mark.parametrize(
    "current, to",
    [("selesai", "terdisposisi"), ("diarsipkan", "selesai"), ("menunggu_verifikasi", "selesai")],
)
def test_forbidden_transitions(current, to):
    with pytest.raises(TransitionError, match=f"Status {current} tidak dapat diubah ke {to}"):
        transition_update({"status": current}, to, "a", "alasan")


def test_reason_is_required_and_every_status_is_known():
    with pytest.raises(TransitionError, match="Alasan wajib diisi"):
        transition_update({"status": "menunggu_verifikasi"}, "terverifikasi", "a", "  ")
    for targets in ALLOWED.values():
        assert targets <= set(ALLOWED)


def test_overdue_and_escalation_target():
    past = datetime(2020, 1, 1, tzinfo=UTC)
    assert is_overdue({"status": "terdisposisi", "deadline_at": past})
    assert not is_overdue({"status": "selesai", "deadline_at": past})
    decision = {"tier": "kabupaten_kota", "province_code": "63", "agency": "pdam"}
    assert unit_above(decision) == "provinsi:63:pdam"
    assert unit_above({"tier": "provinsi", "province_code": "63", "agency": "pdam"}) is None


def test_role_scoping_filters():
    assert User("n", "national_admin", None).case_filter() == {}
    assert User("r", "regional_coordinator", "63").case_filter() == {"decision.province_code": "63"}
    assert User("r", "regional_coordinator", "63.03").case_filter() == {
        "decision.regency_code": "63.03"
    }
    unit = "kabupaten_kota:63.03:pdam"
    assert User("l", "agency_liaison", unit).case_filter() == {
        "$or": [{"decision.unit_id": unit}, {"escalated_to": unit}]
    }


def test_bukan_wewenang_waits_one_working_day_for_the_hub():
    friday = datetime(2026, 8, 14, 3, 0, tzinfo=UTC)
    # Mon 17 Aug is a holiday: the hub has until the end of Tue 18 Aug WIB
    assert deadline_for("bukan_wewenang", friday) == datetime(2026, 8, 18, 16, 59, 59, tzinfo=UTC)
    late = {"status": "bukan_wewenang", "deadline_at": datetime(2020, 1, 1, tzinfo=UTC)}
    assert is_overdue(late)
    assert triage_reasons(late) == ["bukan_wewenang", "lewat_tenggat"]


def test_a_liaison_never_routes_nor_verifies():
    assert LIAISON_STATUSES == {"ditindaklanjuti", "selesai", "bukan_wewenang"}


UNIT_A = {"unit_id": "kabupaten_kota:34.04:pdam", "unit_name": "PDAM Kabupaten Sleman"}
UNIT_B = {"unit_id": "kabupaten_kota:34.02:pdam", "unit_name": "PDAM Kabupaten Bantul"}


def test_redispatch_to_another_unit_resets_its_deadline_and_tells_the_citizen():
    now = datetime(2026, 8, 14, 3, 0, tzinfo=UTC)
    case = {"status": "bukan_wewenang", "decision": dict(UNIT_A)}
    update = dispatch_update(case, dict(UNIT_B), 3, "admin1", " salah kabupaten ", now)
    sets, entry = update["$set"], update["$push"]["history"]
    assert sets["decision_version"] == 3 and sets["decision.unit_id"] == UNIT_B["unit_id"]
    assert sets["status"] == "terdisposisi" and sets["status_since"] == now
    assert sets["deadline_at"] == add_working_days(now, 5)
    assert sets["escalated"] is False and sets["escalated_to"] is None
    assert entry["public_note"] == "dialihkan ke PDAM Kabupaten Bantul"
    assert entry["note"] == "dialihkan ke PDAM Kabupaten Bantul: salah kabupaten"
    assert entry["by"] == "admin1" and entry["version"] == 3


def test_a_topic_corrected_for_the_unit_at_work_keeps_its_deadline():
    now = datetime(2026, 8, 14, 3, 0, tzinfo=UTC)
    case = {"status": "ditindaklanjuti", "decision": dict(UNIT_A)}
    update = dispatch_update(case, {**UNIT_A, "topic": "tagihan_air"}, 2, "a", "topik", now)
    assert "status" not in update["$set"] and "deadline_at" not in update["$set"]
    assert "public_note" not in update["$push"]["history"]
    # the same unit, but nobody works on it yet (back from bukan wewenang): dispatched
    case = {"status": "bukan_wewenang", "decision": dict(UNIT_A)}
    assert dispatch_update(case, dict(UNIT_A), 2, "a", "tetap", now)["$set"]["status"] == (
        "terdisposisi"
    )


def test_triage_reasons_say_why_a_case_waits():
    low = {
        "status": "menunggu_verifikasi",
        "prediction": {"confident": False},
        "decision": {"unit_id": "kabupaten_kota:34.04:pdam", "reasons": []},
    }
    assert triage_reasons(low) == ["keyakinan"]
    unknown = {
        "status": "menunggu_verifikasi",
        "prediction": {"confident": True},
        "decision": {"unit_id": None, "reasons": ["triase:wilayah — x"], "region_candidates": []},
    }
    assert triage_reasons(unknown) == ["wilayah_tidak_diketahui"]
    ambiguous = {
        **unknown,
        "decision": {**unknown["decision"], "region_candidates": ["32.01", "32.71"]},
    }
    assert triage_reasons(ambiguous) == ["wilayah_ambigu"]


def test_the_first_answer_records_whether_it_came_within_the_deadline():
    deadline = datetime(2026, 3, 6, 16, 59, 59, tzinfo=UTC)
    case = {"status": "terdisposisi", "deadline_at": deadline}
    on_time = transition_update(case, "ditindaklanjuti", "pdam", "sudah diperbaiki", deadline)
    assert on_time["$set"]["answered_in_time"] is True
    assert on_time["$set"]["answered_at"] == deadline
    late = transition_update(case, "ditindaklanjuti", "pdam", "x", deadline + timedelta(seconds=1))
    assert late["$set"]["answered_in_time"] is False
    answered = {**case, "answered_at": deadline}  # a second answer after a reopening
    again = transition_update(answered, "ditindaklanjuti", "pdam", "lagi", deadline)
    assert "answered_in_time" not in again["$set"]


def test_another_unit_is_measured_on_its_own_answer_the_same_unit_keeps_its_record():
    now = datetime(2026, 8, 14, 3, 0, tzinfo=UTC)
    answered = datetime(2026, 8, 12, 3, 0, tzinfo=UTC)
    disputed = {
        "status": "dibuka_kembali",
        "decision": dict(UNIT_A),
        "answered_at": answered,
        "answered_in_time": True,
        "reopened": 1,
    }
    moved = dispatch_update(disputed, dict(UNIT_B), 2, "a", "bukan Sleman", now)
    assert moved["$unset"] == {"answered_at": "", "answered_in_time": ""}
    assert moved["$set"]["reopened"] == 0  # Bantul is not blamed for Sleman's answer
    # the disputed answer goes back to the unit that gave it: its reopen stays its own
    again = dispatch_update(disputed, {**UNIT_A, "topic": "air_keruh"}, 2, "a", "topik", now)
    assert "$unset" not in again and "reopened" not in again["$set"]
