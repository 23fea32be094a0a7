"""The citizen's pages: file a complaint, follow it with the tracking id.

``/`` was the admin login; a citizen had no page at all. Here the reporter files
a complaint through the same intake as every channel and reads the case in
Indonesian words: status, the unit handling it, deadlines in WIB and the history
(what a person wrote, masked again). A confidential case opens only with its
secret token and otherwise answers exactly like an unknown id.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import partial

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from kafka.errors import KafkaError
from starlette.concurrency import run_in_threadpool

from casestore import feedback
from casestore.public_view import case_for_actor, citizen_history
from casestore.workflow import DITINDAKLANJUTI, SELESAI, STATUS_LABELS
from core.privacy import token_hash
from streams.intake import IntakeError
from web.deps import (
    Services,
    ServicesDep,
    check_csrf,
    csrf_token,
    intake_rate_limit,
    templates,
)
from web.routers.public import LABELS, find_for_reporter
from web.uploads import attach_photos, checked_photos, read_uploads

router = APIRouter(include_in_schema=False)
WIB = timezone(timedelta(hours=7))
EMPTY_TEXT = "Isi aduan wajib diisi (paling banyak 20.000 karakter). Periksa lalu kirim lagi."
MONTHS = (
    "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
).split()


def wib(value: datetime | None) -> str:
    """'6 Desember 2026 17.00 WIB' (how Indonesian offices write a time)."""
    if value is None:
        return "-"
    local = value.astimezone(WIB)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} {local:%H.%M} WIB"


def _page(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    context = {"csrf": csrf_token(request), "labels": LABELS, "wib": wib, **context}
    return templates.TemplateResponse(request, name, context, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return _page(request, "warga_home.html", receipt=None, error=None, form={})


@router.post(
    "/aduan",
    response_class=HTMLResponse,
    dependencies=[Depends(check_csrf), Depends(intake_rate_limit)],
)
async def file_complaint(
    request: Request,
    svc: ServicesDep,
    text: str = Form(""),
    region_hint: str = Form(""),
    privacy: str = Form("public"),
    name: str = Form(""),
    phone: str = Form(""),
    email: str = Form(""),
) -> HTMLResponse:
    record = {
        "text": text if any(ch.isalnum() for ch in text) else "",
        "region_hint": region_hint or None,
        "privacy": privacy if privacy in ("public", "anonim", "rahasia") else "public",
        "reporter": {"name": name, "phone": phone, "email": email},
    }
    # on any error the form comes back filled in: only the photos are chosen again
    form = {"text": text, "region_hint": region_hint, "privacy": privacy, "name": name}
    form.update(phone=phone, email=email)

    def again(status: int, error: str) -> HTMLResponse:
        return _page(request, "warga_home.html", status, receipt=None, error=error, form=form)

    if not record["text"]:
        return again(422, EMPTY_TEXT)
    try:
        # from the form itself: a browser sends an empty part when no file is chosen
        files = await read_uploads((await request.form()).getlist("photos"))
        checked = await checked_photos(files)
    except HTTPException as exc:
        return again(exc.status_code, f"{exc.detail} Aduan belum terkirim: pilih ulang fotonya.")
    try:
        record, token = await attach_photos(svc, record, checked)
        receipt = await run_in_threadpool(
            partial(svc.intake.submit, default_channel="web", wait=10, secret_token=token), record
        )
    except IntakeError:
        return again(422, EMPTY_TEXT)
    except KafkaError:
        return again(503, "Layanan sedang sibuk; aduan belum tersimpan. Coba lagi sebentar lagi.")
    return _page(
        request,
        "warga_home.html",
        receipt=receipt,
        privacy=record.get("privacy"),
        error=None,
        form={},
    )


@router.get("/lacak", response_class=HTMLResponse)
def follow(
    request: Request,
    svc: ServicesDep,
    id: str = Query("", max_length=64),  # noqa: A002 - the form's field name
    token: str = Query("", max_length=100),
) -> HTMLResponse:
    return _tracking_page(request, svc, id.strip(), token.strip())


@router.post(
    "/lacak/{action}",
    response_class=HTMLResponse,
    dependencies=[Depends(check_csrf), Depends(intake_rate_limit)],
)
def citizen_action(
    request: Request,
    action: str,
    svc: ServicesDep,
    id: str = Form("", max_length=64),  # noqa: A002 - the form's field name
    token: str = Form("", max_length=100),
    text: str = Form(""),
    reason: str = Form(""),
    score: str = Form(""),
    comment: str = Form(""),
) -> HTMLResponse:
    """The tracking page's forms: reply, confirm, dispute, rate; the same checks and
    messages as the API (``casestore.feedback.act``). The page is shown again with
    the outcome (no redirect: the token stays out of the address bar)."""
    tracking_id, token = id.strip(), token.strip()
    case = case_for_actor(svc.store.cases, tracking_id, token_hash(token) if token else None)
    if case is None:  # unknown, or not this reporter's (no or wrong token): alike
        return _page(request, "warga_lacak.html", 404, case=None, tracking_id=tracking_id)
    if action not in ACTIONS:
        return _tracking_page(request, svc, tracking_id, token, "", "Tindakan tidak dikenal.", 404)
    fields = {"text": text, "reason": reason, "score": score, "comment": comment}
    try:
        feedback.act(svc.store, case, ACTIONS[action], fields, svc.clock())
    except feedback.Refused as exc:
        return _tracking_page(request, svc, tracking_id, token, error=str(exc), status=exc.status)
    return _tracking_page(request, svc, tracking_id, token, message=DONE[ACTIONS[action]])


# the forms' paths (Indonesian) -> casestore.feedback's actions
ACTIONS = {"tanggapan": "reply", "selesai": "confirm", "sanggah": "dispute", "nilai": "rating"}
DONE = {
    "reply": "Tanggapan Anda terkirim ke unit.",
    "confirm": "Terima kasih; aduan dinyatakan selesai. Beri nilai penanganannya di bawah.",
    "dispute": "Sanggahan terkirim; aduan dibuka kembali dan dikembalikan ke unit.",
    "rating": "Terima kasih atas penilaian Anda.",
}


def _tracking_page(
    request: Request,
    svc: Services,
    tracking_id: str,
    token: str,
    message: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The case as its reporter sees it, with the forms its status allows; an issued
    id whose case is not stored (yet) answers its state (``find_for_reporter``)."""
    case = find_for_reporter(svc, tracking_id, token or None)
    if case is None:
        return _page(request, "warga_lacak.html", 404, case=None, tracking_id=tracking_id)
    decision = case.get("decision") or {}
    view = {
        "id": case["_id"],
        "status": case["status"],
        "reason": case.get("reason"),
        "unit": decision.get("unit_name"),
        "submitted_at": case.get("submitted_at"),
        "deadline_at": case.get("deadline_at"),
        "auto_close_at": case.get("auto_close_at"),
        "text": case.get("text"),
        "history": citizen_history(case),
        "answers": case.get("answers") or [],
        "replies": case.get("replies") or [],
        "rating": case.get("rating"),
        "may_reply": case["status"] in STATUS_LABELS
        and case["status"] not in feedback.NO_REPLY_AFTER_CLOSE,
        "may_settle": case["status"] == DITINDAKLANJUTI,
        "may_rate": case["status"] == SELESAI and not case.get("rating"),
    }
    return _page(
        request,
        "warga_lacak.html",
        status,
        case=view,
        tracking_id=tracking_id,
        token=token,
        message=message,
        error=error,
    )
