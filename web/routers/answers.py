"""The unit's answer (tindak lanjut) from the console, and the agencies' response
templates (``/admin/templat``, admins only). The answer is what the citizen reads
on the tracking page; see ``casestore/answers.py`` for the rules."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from casestore.answers import AnswerError, AnswerTemplates, answer_update, clean_answer
from casestore.store import Stale
from casestore.users import User
from web.deps import CurrentUser, ServicesDep, StoreDep, check_csrf
from web.routers.console import _case_or_404, back, page

router = APIRouter(tags=["console"], include_in_schema=False)
ADMINS_ONLY = "Hanya admin nasional dan koordinator wilayah yang dapat mengubah templat jawaban."


@router.post("/admin/cases/{case_id}/answer", dependencies=[Depends(check_csrf)])
def answer(
    case_id: str,
    user: CurrentUser,
    svc: ServicesDep,
    text: str = Form(""),
    template_id: str = Form(""),
) -> Response:
    """The unit's answer: shown to the citizen; the first of a stage is the status
    change to ditindaklanjuti. An empty text with a template chosen sends the
    template (the form fills the text from it where scripts run)."""
    case = _case_or_404(svc, user, case_id)
    templates = AnswerTemplates(svc.store.db)
    chosen = next((t for t in templates.for_case(case) if t["_id"] == template_id), None)
    if template_id and chosen is None:
        return back(case_id, "Templat tidak dikenal untuk instansi aduan ini.")
    now = svc.clock()
    try:
        body = clean_answer(text if text.strip() or chosen is None else chosen["body"])
        update = answer_update(case, user.username, body, now, template_id or None)
        svc.store.apply_change(case, update, svc.store.scoped(user))
    except AnswerError as exc:
        return back(case_id, str(exc))
    except Stale:
        return back(case_id, "Aduan ini baru saja diubah orang lain; periksa lalu coba lagi.")
    svc.store.audit(
        "answer", case_id, user.username, body[:200], {"status": case["status"]}, {}, now
    )
    return back(case_id)


def _admin(user: User) -> None:
    if not user.may_redispatch:
        raise HTTPException(403, ADMINS_ONLY)


@router.get("/admin/templat", response_class=HTMLResponse)
def template_list(
    request: Request,
    user: CurrentUser,
    svc: ServicesDep,
    edit: str = "",
    error: str = "",
) -> HTMLResponse:
    _admin(user)
    templates = AnswerTemplates(svc.store.db)
    rows = templates.editable_by(user)
    editing = next((t for t in rows if t["_id"] == edit), None)
    return page(
        request,
        "templat.html",
        user,
        rows=rows,
        editing=editing,
        error=error,
        agencies=svc.router.taxonomy.agencies,
    )


@router.post("/admin/templat", dependencies=[Depends(check_csrf)])
def template_save(
    user: CurrentUser,
    svc: ServicesDep,
    agency: str = Form(""),
    title: str = Form(""),
    body: str = Form(""),
    template_id: str = Form(""),
) -> Response:
    _admin(user)
    if agency not in svc.router.taxonomy.agencies:
        return RedirectResponse("/admin/templat?error=Instansi%20tidak%20dikenal.", 303)
    try:
        AnswerTemplates(svc.store.db).save(
            user, agency, title, body, template_id or None, svc.clock()
        )
    except AnswerError as exc:
        return RedirectResponse(f"/admin/templat?error={quote(str(exc))}", 303)
    except LookupError:
        raise HTTPException(404, "Templat tidak ditemukan.") from None
    return RedirectResponse("/admin/templat", 303)


@router.post("/admin/templat/{template_id}/hapus", dependencies=[Depends(check_csrf)])
def template_delete(template_id: str, user: CurrentUser, store: StoreDep) -> Response:
    _admin(user)
    try:
        AnswerTemplates(store.db).delete(user, template_id)
    except LookupError:
        raise HTTPException(404, "Templat tidak ditemukan.") from None
    return RedirectResponse("/admin/templat", 303)
