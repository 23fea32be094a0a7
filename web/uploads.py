"""Photos arriving over HTTP (API multipart, the citizen page, Open311 ``media``).

Read with a cap, checked and re-encoded off the event loop (``casestore/photos.py``),
stored keyed by the complaint's tracking id before the complaint is published; the
record then carries only their ids. An interactive channel takes all the photos or
none: the first bad file is refused with a 4xx naming it, and the sender still
holds the whole complaint (the citizen page shows the form again, filled in).
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import HTTPException, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from casestore.photos import MAX_BYTES, Photo, PhotoError, check_photos
from core.events import new_tracking_id
from web.deps import Services


async def read_uploads(files: Sequence[object]) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each uploaded file; an empty file input (no file
    chosen in a form) is skipped. At most ``MAX_BYTES`` + 1 bytes of each are
    read: enough to say it is too large."""
    found = []
    for item in files:
        if not isinstance(item, UploadFile | StarletteUpload):
            continue
        raw = await item.read(MAX_BYTES + 1)
        if raw or item.filename:
            found.append((item.filename or "", raw))
    return found


async def checked_photos(files: Sequence[tuple[str, bytes]]) -> list[Photo]:
    """The photos re-encoded, or an HTTPException (413/415/422) naming the bad one."""
    if not files:
        return []
    try:
        return await run_in_threadpool(check_photos, files)
    except PhotoError as exc:
        raise HTTPException(exc.status, str(exc)) from None


async def attach_photos(
    svc: Services, record: dict, photos: list[Photo]
) -> tuple[dict, str | None]:
    """Store ``photos`` under the id the record will be published under (the
    intake's tagged tracking id when it brings none, ``Intake.reserve``) and name
    them on the record; returns it with the secret token (rahasia) to publish it
    with. A complaint whose publish then fails leaves its photos orphaned; the
    worker removes them after 72 hours."""
    if not photos:
        return record, None
    record, token = svc.intake.reserve(record)
    record["id"] = record.get("id") or new_tracking_id()
    record["photo_ids"] = await run_in_threadpool(svc.photos.put, record["id"], photos)
    return record, token
