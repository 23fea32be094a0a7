"""Merge complaints into one and split them again (``casestore/merge.py``)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.responses import Response

from casestore.merge import MergeError, merge, split
from web.deps import CurrentUser, ServicesDep, check_csrf
from web.routers.console import _case_or_404, back

router = APIRouter(tags=["console"], include_in_schema=False)
ADMINS_ONLY = "Hanya admin nasional atau koordinator wilayah yang dapat menggabungkan aduan."


@router.post("/admin/cases/{case_id}/merge", dependencies=[Depends(check_csrf)])
def merge_related(
    case_id: str,
    user: CurrentUser,
    svc: ServicesDep,
    others: list[str] = Form([]),
    nomor: str = Form("", max_length=2_000),
    reason: str = Form(""),
) -> Response:
    """Merge the chosen related cases, and the cases whose numbers were typed in
    ``nomor`` (separated by commas or spaces), into this one (the primary)."""
    others = [*others, *(n for n in re.split(r"[\s,;]+", nomor) if n)]
    _case_or_404(svc, user, case_id)
    if not user.may_redispatch:
        raise HTTPException(403, ADMINS_ONLY)
    try:
        merge(svc.store, user, case_id, others, reason, svc.clock())
    except LookupError:
        raise HTTPException(404, "Aduan tidak ditemukan.") from None
    except MergeError as exc:
        return back(case_id, str(exc))
    return back(case_id)


@router.post("/admin/cases/{case_id}/split", dependencies=[Depends(check_csrf)])
def split_merged(
    case_id: str,
    user: CurrentUser,
    svc: ServicesDep,
    reason: str = Form(""),
) -> Response:
    """ "Pisahkan": this case runs on its own again."""
    _case_or_404(svc, user, case_id)
    if not user.may_redispatch:
        raise HTTPException(403, ADMINS_ONLY)
    try:
        split(svc.store, user, case_id, reason, svc.clock())
    except MergeError as exc:
        return back(case_id, str(exc))
    return back(case_id)
