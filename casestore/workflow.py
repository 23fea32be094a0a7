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
# the citizen disputed the unit's answer: back to the same unit, a fresh deadline
DIBUKA_KEMBALI = "dibuka_kembali"

STATUS_LABELS = {
    MENUNGGU_VERIFIKASI: "Menunggu verifikasi",
    TERVERIFIKASI: "Terverifikasi",
    TERDISPOSISI: "Terdisposisi",
    DITINDAKLANJUTI: "Ditindaklanjuti",
    SELESAI: "Selesai",
    DITOLAK: "Ditolak",
    BUKAN_WEWENANG: "Bukan wewenang",
    DIARSIPKAN: "Diarsipkan",
    DIBUKA_KEMBALI: "Dibuka kembali",
}

ALLOWED = {
    MENUNGGU_VERIFIKASI: {TERVERIFIKASI, TERDISPOSISI, DITOLAK, BUKAN_WEWENANG},
    TERVERIFIKASI: {TERDISPOSISI, DITOLAK, BUKAN_WEWENANG},
    TERDISPOSISI: {DITINDAKLANJUTI, BUKAN_WEWENANG, MENUNGGU_VERIFIKASI},
    DITINDAKLANJUTI: {SELESAI, DIBUKA_KEMBALI},
    DIBUKA_KEMBALI: {DITINDAKLANJUTI, BUKAN_WEWENANG},
    SELESAI: {DIARSIPKAN},
    DITOLAK: {DIARSIPKAN},
    BUKAN_WEWENANG: {MENUNGGU_VERIFIKASI, DIARSIPKAN},
    DIARSIPKAN: set(),
}

# working days allowed in each status before the case is overdue
VERIFICATION_DAYS = 3  # verify and forward
FOLLOW_UP_DAYS = 5  # the unit's follow-up
# a unit declared "not our authority": the hub re-dispatches it within one working
# day (the "Dialihkan / bukan wewenang" queue); a choice, the SOP names none
REDISPATCH_DAYS = 1
DEADLINE_DAYS = {
    MENUNGGU_VERIFIKASI: VERIFICATION_DAYS,
    TERVERIFIKASI: VERIFICATION_DAYS,
    TERDISPOSISI: FOLLOW_UP_DAYS,
    BUKAN_WEWENANG: REDISPATCH_DAYS,
    DIBUKA_KEMBALI: FOLLOW_UP_DAYS,  # the unit answers a dispute like a new case
}
# without a reply from the citizen an answered case closes itself after this many
# working days in ditindaklanjuti (casestore/feedback.py, a timer in the worker)
AUTO_CLOSE_DAYS = 10
# statuses only the citizen's side reaches (casestore/feedback.py), never the console
CITIZEN_STATUSES = frozenset({DIBUKA_KEMBALI})
OPEN_STATUSES = frozenset(DEADLINE_DAYS) | {DITINDAKLANJUTI}
CLOSED_STATUSES = frozenset({SELESAI, DITOLAK, DIARSIPKAN})
SYSTEM = "sistem"  # "by" in history and audit for what the hub did by itself
# what an agency liaison may do with its unit's case: follow it up, answer it
# (selesai) or send it back to the hub as not its authority; never route it
LIAISON_STATUSES = frozenset({DITINDAKLANJUTI, SELESAI, BUKAN_WEWENANG})
# statuses from which an admin may re-dispatch a case to another unit
REDISPATCHABLE = frozenset(
    {
        MENUNGGU_VERIFIKASI,
        TERVERIFIKASI,
        TERDISPOSISI,
        DITINDAKLANJUTI,
        BUKAN_WEWENANG,
        DIBUKA_KEMBALI,
    }
)
# a re-dispatch moves the case to the new unit's queue with a fresh deadline unless
# the same unit already works on it (then only the decision is corrected)
WORKING = frozenset({TERDISPOSISI, DITINDAKLANJUTI, DIBUKA_KEMBALI})
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
        raise TransitionError(f"Status {to!r} tidak dikenal.")
    if to not in ALLOWED[current]:
        allowed = ", ".join(sorted(ALLOWED[current])) or "tidak ada"
        raise TransitionError(
            f"Status {current} tidak dapat diubah ke {to} (yang diizinkan: {allowed})."
        )
    if not why.strip():
        raise TransitionError("Alasan wajib diisi.")
    now = now or datetime.now(UTC)
    update = {
        "$set": {
            "status": to,
            "status_since": now,
            "deadline_at": deadline_for(to, now),
            "escalated": False,
            # an answered case closes itself unless the citizen replies (AUTO_CLOSE_DAYS)
            "auto_close_at": (
                add_working_days(now, AUTO_CLOSE_DAYS) if to == DITINDAKLANJUTI else None
            ),
        },
        "$push": {"history": {"status": to, "at": now, "by": by, "note": why.strip()}},
    }
    if to == DIBUKA_KEMBALI:  # counted against the unit (casestore/performance.py)
        update["$inc"] = {"reopened": 1}
    if to == DITINDAKLANJUTI and "answered_at" not in case:
        # the unit's first answer, and whether it came within its stage's deadline:
        # what deadline compliance counts (an open case within its deadline does not)
        deadline = case.get("deadline_at")
        update["$set"]["answered_at"] = now
        update["$set"]["answered_in_time"] = deadline is None or now <= deadline
    return update


def is_overdue(case: dict, now: datetime | None = None) -> bool:
    deadline = case.get("deadline_at")
    return (
        bool(deadline)
        and case.get("status") in OPEN_STATUSES
        and deadline < (now or datetime.now(UTC))
    )


def dispatch_update(
    case: dict,
    decision: dict,
    version: int,
    by: str,
    why: str,
    now: datetime,
) -> dict:
    """The MongoDB update of a re-dispatch: decision ``version`` replaces the
    routing decision. When the case goes to another unit, or to a unit while none
    works on it (triage, bukan wewenang), it is *dialihkan*: status terdisposisi,
    a fresh follow-up deadline for the new unit, and a history line the citizen
    sees (``public_note``, "dialihkan ke <unit>"). When the same unit already works
    on it, only the decision changes (a topic corrected), noted for staff only."""
    other_unit = case["decision"].get("unit_id") != decision.get("unit_id")
    moved = other_unit or case["status"] not in WORKING
    sets: dict = {f"decision.{k}": v for k, v in decision.items()}
    sets.update(
        {
            "decision_version": version,
            "overridden": True,
            "escalated": False,
            "escalated_to": None,
        }
    )
    entry = {"status": case["status"], "at": now, "by": by, "version": version}
    if moved and decision.get("unit_id"):
        unit = decision.get("unit_name") or decision["unit_id"]
        sets.update(
            {
                "status": TERDISPOSISI,
                "status_since": now,
                "deadline_at": deadline_for(TERDISPOSISI, now),
                "auto_close_at": None,
            }
        )
        entry.update(
            status=TERDISPOSISI,
            note=f"dialihkan ke {unit}: {why.strip()}",
            public_note=f"dialihkan ke {unit}",
        )
    else:
        entry["note"] = f"rute dikoreksi: {why.strip()}"
    update = {"$set": sets, "$push": {"history": entry}}
    if other_unit and decision.get("unit_id"):
        # another unit is measured on its own answer (casestore/performance.py): the
        # first-answer time, in-time flag and reopen count start again for it; the
        # earlier unit's answers stay in the case's answers and history
        sets["reopened"] = 0
        update["$unset"] = {"answered_at": "", "answered_in_time": ""}
    return update


TRIAGE_REASONS = {
    "keyakinan": "keyakinan rendah",
    "wilayah_tidak_diketahui": "wilayah tidak diketahui",
    "wilayah_ambigu": "wilayah ambigu",
    BUKAN_WEWENANG: "bukan wewenang",
    "lewat_tenggat": "lewat tenggat",
    DIBUKA_KEMBALI: "dibuka kembali",
}


def triage_reasons(case: dict, now: datetime | None = None) -> list[str]:
    """Why a case is in the triage queue (keys of ``TRIAGE_REASONS``)."""
    reasons = []
    if case.get("status") == MENUNGGU_VERIFIKASI:
        decision, prediction = case.get("decision") or {}, case.get("prediction") or {}
        said = " ".join(decision.get("reasons") or [])
        if "triase:keyakinan" in said or prediction.get("confident") is False:
            reasons.append("keyakinan")
        if "triase:wilayah" in said or not decision.get("unit_id"):
            ambiguous = len(decision.get("region_candidates") or []) > 1
            reasons.append("wilayah_ambigu" if ambiguous else "wilayah_tidak_diketahui")
    if case.get("status") == BUKAN_WEWENANG:
        reasons.append(BUKAN_WEWENANG)
    if case.get("reopened") and case.get("status") in OPEN_STATUSES:
        reasons.append(DIBUKA_KEMBALI)  # the citizen disputed an answer of this case
    if is_overdue(case, now):
        reasons.append("lewat_tenggat")
    return reasons
