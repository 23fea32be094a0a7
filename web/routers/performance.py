"""Agency performance pages: the hub's ranking (scoped like every console page)
and the public statistics page with the same figures and no personal data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from casestore.performance import GROUPINGS, performance
from web.deps import (
    CurrentUser,
    Services,
    ServicesDep,
    csrf_token,
    templates,
)

router = APIRouter(include_in_schema=False)
DEFAULT_DAYS = 30
CHART_ROWS = 20
CSV_FIELDS = [
    "rank",
    "peers",
    "tier",
    "province_code",
    "unit",
    "agency",
    "name",
    "cases",
    "answered",
    "in_time_share",
    "median_hours_to_answer",
    "p90_hours_to_answer",
    "overdue_now",
    "redispatch_rate",
    "reopen_rate",
    "satisfaction_mean",
    "satisfaction_count",
    "score",
]


def _period(start: date | None, end: date | None) -> tuple[datetime, datetime]:
    until = datetime.combine(end or date.today(), time.max, tzinfo=UTC)
    since = datetime.combine(
        start or (until.date() - timedelta(days=DEFAULT_DAYS)), time.min, tzinfo=UTC
    )
    if since >= until:
        raise HTTPException(422, "Tanggal awal harus sebelum tanggal akhir.")
    return since, until


def _figures(svc: Services, by: str, start: date | None, end: date | None, scope: dict) -> dict:
    if by not in GROUPINGS:
        raise HTTPException(422, "Pengelompokan harus 'unit' atau 'agency'.")
    since, until = _period(start, end)
    rows = performance(svc.store.cases, since, until, by=by, scope=scope, now=svc.clock())
    return {
        "rows": rows,
        "by": by,
        "since": since.date(),
        "until": until.date(),
        "charts": charts(rows),
    }


def charts(rows: list[dict], top: int = CHART_ROWS) -> dict[str, list[tuple]]:
    """What the page's bar charts show, (label, value, text) each: the best scores,
    and those units' satisfaction and reopen rate (a chart of 500 units reads as none)."""
    best = sorted(rows, key=lambda r: -(r["score"] if r["score"] is not None else -1))[:top]
    return {
        "score": [
            (r["name"], r["score"], f"{r['score']:.0f}") for r in best if r["score"] is not None
        ],
        "satisfaction": [
            (
                r["name"],
                r["satisfaction_mean"],
                f"{r['satisfaction_mean']:.2f} ({r['satisfaction_count']})",
            )
            for r in best
            if r["satisfaction_mean"] is not None
        ],
        "reopen": [
            (r["name"], 100 * r["reopen_rate"], f"{100 * r['reopen_rate']:.0f}%")
            for r in best
            if r["reopen_rate"] is not None
        ],
    }


def _csv(rows: list[dict]) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="kinerja-instansi.csv"'},
    )


@router.get("/admin/kinerja", response_class=HTMLResponse)
def admin_performance(
    request: Request,
    user: CurrentUser,
    svc: ServicesDep,
    by: str = Query("unit"),
    dari: date | None = Query(None),
    sampai: date | None = Query(None),
    format: str = Query("html"),  # noqa: A002 - the query parameter's name
) -> Response:
    figures = _figures(svc, by, dari, sampai, svc.store.scoped(user))
    if format == "csv":
        return _csv(figures["rows"])
    context = {"user": user, "csrf": csrf_token(request), "public": False, **figures}
    return templates.TemplateResponse(request, "kinerja.html", context)


@router.get("/statistik", response_class=HTMLResponse)
def public_performance(
    request: Request,
    svc: ServicesDep,
    by: str = Query("agency"),
    dari: date | None = Query(None),
    sampai: date | None = Query(None),
    format: str = Query("html"),  # noqa: A002 - the query parameter's name
) -> Response:
    """The same figures for everyone: counts and times only, never a case."""
    figures = _figures(svc, by, dari, sampai, {})
    if format == "csv":
        return _csv(figures["rows"])
    context = {"user": None, "csrf": csrf_token(request), "public": True, **figures}
    return templates.TemplateResponse(request, "statistik.html", context)
