"""Case statuses (SP4N-LAPOR!), the transitions allowed between them, and deadlines.

Every status change goes through :func:`transition_update`, the one place the
rules live; each change is recorded in the case history (who, when, why).
Deadlines count working days: Saturdays, Sundays, Indonesian public holidays
and the government's cuti bersama (collective leave, when offices are closed;
the ``holidays`` library's ``government`` category) do not count.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

MENUNGGU_VERIFIKASI = "menunggu_verifikasi"
TERVERIFIKASI = "terverifikasi"
TERDISPOSISI = "terdisposisi"
DITINDAKLANJUTI = "ditindaklanjuti"
SELESAI = "selesai"
DITOLAK = "ditolak"
BUKAN_WEWENANG = "bukan_wewenang"
DIARSIPKAN = "diarsipkan"

STATUS_LABELS = {
    MENUNGGU_VERIFIKASI: "Menunggu verifikasi",
    TERVERIFIKASI: "Terverifikasi",
    TERDISPOSISI: "Terdisposisi",
    DITINDAKLANJUTI: "Ditindaklanjuti",
    SELESAI: "Selesai",
    DITOLAK: "Ditolak",
    BUKAN_WEWENANG: "Bukan wewenang",
    DIARSIPKAN: "Diarsipkan",
}

ALLOWED = {
    MENUNGGU_VERIFIKASI: {TERVERIFIKASI, TERDISPOSISI, DITOLAK, BUKAN_WEWENANG},
    TERVERIFIKASI: {TERDISPOSISI, DITOLAK, BUKAN_WEWENANG},
    TERDISPOSISI: {DITINDAKLANJUTI, BUKAN_WEWENANG, MENUNGGU_VERIFIKASI},
    DITINDAKLANJUTI: {SELESAI},
    SELESAI: {DIARSIPKAN},
    DITOLAK: {DIARSIPKAN},
    BUKAN_WEWENANG: {MENUNGGU_VERIFIKASI, DIARSIPKAN},
    DIARSIPKAN: set(),
}

# working days allowed in each status before the case is overdue
VERIFICATION_DAYS = 3  # verify and forward
FOLLOW_UP_DAYS = 5  # the unit's follow-up
DEADLINE_DAYS = {
    MENUNGGU_VERIFIKASI: VERIFICATION_DAYS,
    TERVERIFIKASI: VERIFICATION_DAYS,
    TERDISPOSISI: FOLLOW_UP_DAYS,
}
OPEN_STATUSES = frozenset(DEADLINE_DAYS) | {DITINDAKLANJUTI}
WIB = timedelta(hours=7)  # deadlines fall at the end of a working day in Jakarta time


class TransitionError(ValueError):
    """A status change the workflow does not allow."""


@lru_cache(maxsize=16)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.Indonesia(years=year, categories=(holidays.PUBLIC, holidays.GOVERNMENT))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


@lru_cache(maxsize=1024)
def _nth_working_day(local: date, days: int) -> date:
    """Cached: every case stored on one day shares its deadline date (sink hot path)."""
    counted = 0
    while counted < days:
        local += timedelta(days=1)
        if is_working_day(local):
            counted += 1
    return local


def add_working_days(start: datetime, days: int) -> datetime:
    """End of the ``days``-th working day after ``start`` (Jakarta time), as UTC."""
    local = _nth_working_day((start.astimezone(UTC) + WIB).date(), days)
    return datetime.combine(local, time(23, 59, 59), tzinfo=UTC) - WIB


def deadline_for(status: str, since: datetime) -> datetime | None:
    days = DEADLINE_DAYS.get(status)
    return add_working_days(since, days) if days else None


def transition_update(case: dict, to: str, by: str, why: str, now: datetime | None = None) -> dict:
    """The MongoDB update for a status change; raises TransitionError if not allowed."""
    current = case["status"]
    if to not in ALLOWED:
        raise TransitionError(f"unknown status {to!r}")
    if to not in ALLOWED[current]:
        allowed = ", ".join(sorted(ALLOWED[current])) or "none"
        raise TransitionError(f"cannot go from {current} to {to} (allowed: {allowed})")
    if not why.strip():
        raise TransitionError("a reason is required")
    now = now or datetime.now(UTC)
    return {
        "$set": {
            "status": to,
            "status_since": now,
            "deadline_at": deadline_for(to, now),
            "escalated": False,
        },
        "$push": {"history": {"status": to, "at": now, "by": by, "note": why.strip()}},
    }


def is_overdue(case: dict, now: datetime | None = None) -> bool:
    deadline = case.get("deadline_at")
    return (
        bool(deadline)
        and case.get("status") in OPEN_STATUSES
        and deadline < (now or datetime.now(UTC))
    )
