"""Complaint photos in the console: served only through the case's own scope.

A unit sees the photos of the cases it may see (``_case_or_404``: a case outside
the scope, or a photo number it does not have, is a 404). Public and anonim
complaints alike: the photos are for the units; the public sees only a public
complaint's photos, through Open311 ``media_url`` (``web/routers/open311.py``).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import Response

from casestore.photos import MAX_PHOTOS
from web.deps import CurrentUser, ServicesDep
from web.routers.console import _case_or_404

router = APIRouter(tags=["console"], include_in_schema=False)


@router.get("/admin/cases/{case_id}/photos/{number}")
def case_photo(
    case_id: str,
    user: CurrentUser,
    svc: ServicesDep,
    number: int = Path(ge=1, le=MAX_PHOTOS),
) -> Response:
    case = _case_or_404(svc, user, case_id)
    ids = case.get("photo_ids") or []
    found = svc.photos.read(ids[number - 1]) if number <= len(ids) else None
    if found is None:
        raise HTTPException(404, "Foto tidak ditemukan.")
    data, content_type = found
    return Response(
        data,
        media_type=content_type,
        headers={"cache-control": "private, no-store", "content-disposition": "inline"},
    )
