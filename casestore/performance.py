"""Agency performance: the figures the hub measures units and agencies by.

Per unit or per agency, over a period, by the *final* routing (the decision a
case ended with, after any re-dispatch; a move to another unit starts its answer
figures again, ``casestore.workflow.dispatch_update``): volume, time to the first answer in
office hours (median and p90), the share answered within the SOP deadline,
overdue now, the re-dispatch rate, the reopen rate (answers the citizen
disputed) and the citizens' satisfaction (mean and count of 1-5 ratings).
Ranked by a score of those (``performance_score``) within a tier (and, for
regional units, a province): the seeds compare agencies of the same kind, never
a village office with a ministry.

One aggregation pass projects the few fields needed (no text, no identity);
the per-case office-hours arithmetic runs in Python, since percentiles and
holiday calendars are not in every MongoDB-protocol server's aggregation
language. ``lapor bench performance`` times it on 100,000 cases.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime, time, timedelta

from pymongo.collection import Collection

from casestore.workflow import OPEN_STATUSES, WIB, is_working_day

OFFICE_OPENS, OFFICE_CLOSES = time(8, 0), time(16, 0)  # WIB, Monday to Friday
OFFICE_HOURS_A_DAY = 8.0
GROUPINGS = ("unit", "agency")
# what the figures read of a case (no text, no identity)
FIELDS = {
    "decision.unit_id": 1,
    "decision.unit_name": 1,
    "decision.agency": 1,
    "decision.tier": 1,
    "decision.province_code": 1,
    "created_at": 1,
    "answered_at": 1,
    "answered_in_time": 1,
    "status": 1,
    "deadline_at": 1,
    "decision_version": 1,
    "reopened": 1,
    "rating.score": 1,
}
# the performance score (0-100) ranks peers: the share answered in time weighs
# half, answers the citizens did not reopen and their satisfaction a quarter each;
# a part without data (nothing answered, nothing rated) is left out and the
# others' weights scaled up (README "Agency performance")
SCORE_WEIGHTS = {"in_time": 0.5, "not_reopened": 0.25, "satisfaction": 0.25}


def office_hours(start: datetime, end: datetime) -> float:
    """Office hours between two instants: 08.00-16.00 WIB on working days (no
    weekends, public holidays or cuti bersama)."""
    if end <= start:
        return 0.0
    local_start, local_end = start + WIB, end + WIB
    hours, day = 0.0, local_start.date()
    while day <= local_end.date():
        if is_working_day(day):
            opens = datetime.combine(day, OFFICE_OPENS, tzinfo=local_start.tzinfo)
            closes = datetime.combine(day, OFFICE_CLOSES, tzinfo=local_start.tzinfo)
            lo, hi = max(opens, local_start), min(closes, local_end)
            if hi > lo:
                hours += (hi - lo).total_seconds() / 3600
        day += timedelta(days=1)
    return hours


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1)


def performance(
    cases: Collection,
    since: datetime,
    until: datetime,
    by: str = "unit",
    scope: dict | None = None,
    now: datetime | None = None,
) -> list[dict]:
    """One row per unit (or agency) with cases created in [since, until), ranked
    within its tier (and province for regional units) by the performance score,
    then by the median time to the first answer."""
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {GROUPINGS}")
    now = now or until
    match = {**(scope or {}), "created_at": {"$gte": since, "$lt": until}}
    rows: dict[str, dict] = {}
    hours: dict[str, list[float]] = defaultdict(list)
    for case in cases.find(match, FIELDS):
        decision = case.get("decision") or {}
        key = decision.get("unit_id" if by == "unit" else "agency")
        if not key:
            continue  # still in triage: nobody's figure yet
        row = rows.setdefault(
            key,
            {
                by: key,
                "name": decision.get("unit_name") if by == "unit" else key,
                "tier": decision.get("tier"),
                "province_code": decision.get("province_code") if by == "unit" else None,
                "cases": 0,
                "answered": 0,
                "answered_in_time": 0,
                "overdue_now": 0,
                "redispatched": 0,
                "reopened": 0,
                "ratings": 0,
                "rating_sum": 0,
            },
        )
        row["cases"] += 1
        if case.get("answered_at"):
            row["answered"] += 1
            row["answered_in_time"] += bool(case.get("answered_in_time"))
            hours[key].append(office_hours(case["created_at"], case["answered_at"]))
        deadline = case.get("deadline_at")
        if case.get("status") in OPEN_STATUSES and deadline and deadline < now:
            row["overdue_now"] += 1
        row["redispatched"] += (case.get("decision_version") or 1) > 1
        row["reopened"] += bool(case.get("reopened"))
        score = (case.get("rating") or {}).get("score")
        if score:
            row["ratings"] += 1
            row["rating_sum"] += score
    for key, row in rows.items():
        answered = row["answered"]
        row["in_time_share"] = round(row["answered_in_time"] / answered, 3) if answered else None
        row["median_hours_to_answer"] = _percentile(hours[key], 50)
        row["p90_hours_to_answer"] = _percentile(hours[key], 90)
        row["redispatch_rate"] = round(row["redispatched"] / row["cases"], 3)
        # of the cases the unit answered, the share a citizen disputed at least once
        row["reopen_rate"] = round(row["reopened"] / answered, 3) if answered else None
        ratings = row.pop("ratings")
        row["satisfaction_count"] = ratings
        total = row.pop("rating_sum")
        row["satisfaction_mean"] = round(total / ratings, 2) if ratings else None
        row["score"] = performance_score(row)
    return _ranked(list(rows.values()))


def performance_score(row: dict) -> float | None:
    """0-100 from the parts of ``SCORE_WEIGHTS`` the row has data for; None without any."""
    parts = {
        "in_time": row["in_time_share"],
        "not_reopened": None if row["reopen_rate"] is None else 1 - row["reopen_rate"],
        "satisfaction": (
            None if row["satisfaction_mean"] is None else (row["satisfaction_mean"] - 1) / 4
        ),
    }
    weighed = [(SCORE_WEIGHTS[k], v) for k, v in parts.items() if v is not None]
    if not weighed:
        return None
    return round(100 * sum(w * v for w, v in weighed) / sum(w for w, _ in weighed), 1)


def _ranked(rows: list[dict]) -> list[dict]:
    """Rank within a peer group (tier, and province for regional units) by the
    performance score, then the median time to the first answer, then volume."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        regional = row["tier"] != "pusat" and row.get("province_code")
        groups[(row["tier"], row["province_code"] if regional else None)].append(row)
    for peers in groups.values():
        peers.sort(
            key=lambda r: (
                -(r["score"] if r["score"] is not None else -1),
                r["median_hours_to_answer"] if r["median_hours_to_answer"] is not None else 1e9,
                -r["cases"],
            )
        )
        for rank, row in enumerate(peers, 1):
            row["rank"], row["peers"] = rank, len(peers)
    return sorted(rows, key=lambda r: (r["tier"] or "", r.get("province_code") or "", r["rank"]))
