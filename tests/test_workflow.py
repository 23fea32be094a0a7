"""Status transitions and working-day deadlines (with an Indonesian holiday)."""

from datetime import UTC, date, datetime

import pytest

from casestore.store import unit_above
from casestore.users import User
from casestore.workflow import (
    ALLOWED,
    TransitionError,
    add_working_days,
    deadline_for,
    is_overdue,
    is_working_day,
    transition_update,
)


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
    with pytest.raises(TransitionError, match=f"cannot go from {current} to {to}"):
        transition_update({"status": current}, to, "a", "alasan")


def test_reason_is_required_and_every_status_is_known():
    with pytest.raises(TransitionError, match="reason"):
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
