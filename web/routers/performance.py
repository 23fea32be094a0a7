"""Agency performance pages: the hub's ranking (scoped like every console page)
and the public statistics page with the same figures and no personal data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from casestore.performance import GROUPINGS, performance
from casestore.users import User
from web.deps import Services, csrf_token, current_user, services, templates

router = APIRouter(include_in_schema=False)
DEFAULT_DAYS = 30
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
    return {"rows": rows, "by": by, "since": since.date(), "until": until.date()}


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
    by: str = Query("unit"),
    dari: date | None = Query(None),
    sampai: date | None = Query(None),
    format: str = Query("html"),  # noqa: A002 - the query parameter's name
    user: User = Depends(current_user),
    svc: Services = Depends(services),
) -> Response:
    figures = _figures(svc, by, dari, sampai, svc.store.scoped(user))
    if format == "csv":
        return _csv(figures["rows"])
    context = {"user": user, "csrf": csrf_token(request), "public": False, **figures}
    return templates.TemplateResponse(request, "kinerja.html", context)


@router.get("/statistik", response_class=HTMLResponse)
def public_performance(
    request: Request,
    by: str = Query("agency"),
    dari: date | None = Query(None),
    sampai: date | None = Query(None),
    format: str = Query("html"),  # noqa: A002 - the query parameter's name
    svc: Services = Depends(services),
) -> Response:
    """The same figures for everyone: counts and times only, never a case."""
    figures = _figures(svc, by, dari, sampai, {})
    if format == "csv":
        return _csv(figures["rows"])
    context = {"user": None, "csrf": csrf_token(request), "public": True, **figures}
    return templates.TemplateResponse(request, "statistik.html", context)
