"""The admin console: login, triage queue, cases, overrides, status actions,
manual entry and the dashboard. Server-rendered; every query is scoped by role."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from casestore.monitoring import MonitoringStore
from casestore.users import Throttled, User, UserError
from casestore.workflow import ALLOWED, STATUS_LABELS, TransitionError, is_overdue
from lapor.privacy import Sealer, mask_identifiers
from routing_rules.regions import region_codes, region_index
from streams.intake import IntakeError
from web.deps import Services, check_csrf, csrf_token, current_user, services, templates

router = APIRouter(tags=["console"])
PAGE = 50


def page(request: Request, name: str, user: User | None, **context: object) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"user": user, "csrf": csrf_token(request), **context}
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return page(request, "login.html", None, error=None)


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    svc: Services = Depends(services),
) -> Response:
    address = request.client.host if request.client else "unknown"
    try:
        user = svc.users.authenticate(username, password, address, svc.clock())
    except UserError as exc:  # the same words for any name (casestore/users.py)
        throttled = isinstance(exc, Throttled)
        return templates.TemplateResponse(
            request,
            "login.html",
            {"user": None, "csrf": csrf_token(request), "error": str(exc)},
            status_code=429 if throttled else 401,
            headers={"Retry-After": str(exc.retry_after)} if throttled else None,
        )
    request.session.clear()  # a fresh session on login: no fixation
    request.session["sid"] = svc.sessions.create(user.username, user.session_version, svc.clock())
    csrf_token(request)
    return RedirectResponse("/admin/triage", status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request, svc: Services = Depends(services)) -> Response:
    """Ends every session of the user, not only this browser's: a copy of the
    cookie (or a session left open elsewhere) must not outlive the logout."""
    token = request.session.get("sid")
    username = svc.sessions.owner(token) if isinstance(token, str) else None
    if username is not None:
        try:
            svc.users.end_sessions(username)
        except UserError:  # the account was deleted meanwhile: nothing left to end
            pass
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/admin")
def admin_home() -> Response:
    return RedirectResponse("/admin/triage", status_code=303)


@router.get("/admin/triage", response_class=HTMLResponse)
def triage(
    request: Request, user: User = Depends(current_user), svc: Services = Depends(services)
) -> HTMLResponse:
    cases = svc.store.list_for(user, svc.store.triage_query(), limit=PAGE)
    return page(
        request,
        "cases.html",
        user,
        title="Antrean triase",
        cases=cases,
        filters={},
        now=datetime.now(UTC),
        is_overdue=is_overdue,
    )


@router.get("/admin/cases", response_class=HTMLResponse)
def case_list(
    request: Request,
    status: str = "",
    tier: str = "",
    agency: str = "",
    q: str = "",
    user: User = Depends(current_user),
    svc: Services = Depends(services),
) -> HTMLResponse:
    query: dict = {}
    if status:
        query["status"] = status
    if tier:
        query["decision.tier"] = tier
    if agency:
        query["decision.agency"] = agency
    if q:
        query["_id"] = q.strip()
    cases = svc.store.list_for(user, query, limit=PAGE)
    return page(
        request,
        "cases.html",
        user,
        title="Daftar aduan",
        cases=cases,
        filters={"status": status, "tier": tier, "agency": agency, "q": q},
        now=datetime.now(UTC),
        is_overdue=is_overdue,
        agencies=svc.router.taxonomy.agencies,
        tiers=svc.router.taxonomy.tiers,
    )


def _case_or_404(svc: Services, user: User, case_id: str) -> dict:
    case = svc.store.find_for(user, case_id)
    if case is None:  # unknown, or not this user's: the same answer either way
        raise HTTPException(404, "Aduan tidak ditemukan.")
    return case


def _reporter_view(case: dict, user: User, sealer: Sealer) -> dict | None:
    """National admins see the reporter; units only when the reporter chose public."""
    if not case.get("reporter_sealed"):
        return None
    if not user.is_national and case.get("privacy") != "public":
        return None
    try:
        return sealer.unseal(case["reporter_sealed"])
    except ValueError:
        return {"error": "identitas tidak dapat dibuka dengan kunci ini"}


@router.get("/admin/cases/{case_id}", response_class=HTMLResponse)
def case_detail(
    request: Request,
    case_id: str,
    error: str = "",
    user: User = Depends(current_user),
    svc: Services = Depends(services),
) -> HTMLResponse:
    case = _case_or_404(svc, user, case_id)
    tax = svc.router.taxonomy
    return page(
        request,
        "case.html",
        user,
        case=case,
        error=error,
        reporter=_reporter_view(case, user, svc.sealer),
        audit=svc.store.audit_for(case_id),
        next_statuses=sorted(ALLOWED[case["status"]]),
        agencies=tax.agencies,
        topics=tax.topics,
        tiers=tax.tiers,
        overdue=is_overdue(case),
    )


@router.post("/admin/cases/{case_id}/override", dependencies=[Depends(check_csrf)])
def override(
    case_id: str,
    agency: str = Form(...),
    topic: str = Form(...),
    tier: str = Form(...),
    region: str = Form(""),
    reason: str = Form(""),
    user: User = Depends(current_user),
    svc: Services = Depends(services),
) -> Response:
    case = _case_or_404(svc, user, case_id)
    tax = svc.router.taxonomy

    def back(message: str) -> Response:
        return RedirectResponse(f"/admin/cases/{case_id}?error={message}", status_code=303)

    if agency not in tax.agencies or topic not in tax.topics or tier not in tax.tiers:
        return back("Instansi, topik atau tingkat tidak dikenal.")
    if tax.agency_of(topic) != agency:
        return back(f"Topik {topic} milik {tax.agency_of(topic)}, bukan {agency}.")
    if not reason.strip():
        return back("Alasan koreksi wajib diisi.")
    try:
        province, regency = (
            region_codes(region)
            if region.strip()
            else (case["decision"].get("province_code"), case["decision"].get("regency_code"))
        )
    except ValueError:
        return back(f"Wilayah {region!r} tidak dikenal (pakai nama resmi atau kode Kemendagri).")
    unit_id, unit_name = svc.router.unit_for(agency, tier, province, regency)
    if unit_id is None:
        return back("Wilayah belum cukup untuk tingkat ini: isi kabupaten/kota atau provinsi.")
    index = region_index()
    decision = {
        "agency": agency,
        "topic": topic,
        "tier": tier,
        "unit_id": unit_id,
        "unit_name": unit_name,
        "province_code": province,
        "regency_code": regency,
        "province": index.provinces[province].name if province else None,
        "regency": index.regencies[regency].name if regency else None,
        "status": "routed",
    }
    before, after = svc.store.record_override(user, case_id, decision, reason)
    event = {
        "schema_version": 1,
        "complaint_id": case_id,
        "by": user.username,
        "reason": reason.strip(),
        "before": before,
        "after": after,
        # masked again: a case stored before the masker knew a format still had it
        "text": mask_identifiers(case["text"]),
        "at": datetime.now(UTC).isoformat(),
    }
    svc.producer.send(
        svc.settings.topic_overridden, key=case_id.encode(), value=json.dumps(event).encode()
    )
    svc.producer.flush(10)
    return RedirectResponse(f"/admin/cases/{case_id}", status_code=303)


@router.post("/admin/cases/{case_id}/status", dependencies=[Depends(check_csrf)])
def change_status(
    case_id: str,
    to: str = Form(...),
    reason: str = Form(""),
    user: User = Depends(current_user),
    svc: Services = Depends(services),
) -> Response:
    _case_or_404(svc, user, case_id)
    try:
        svc.store.change_status(user, case_id, to, reason)
    except TransitionError as exc:
        return RedirectResponse(f"/admin/cases/{case_id}?error={exc}", status_code=303)
    return RedirectResponse(f"/admin/cases/{case_id}", status_code=303)


@router.get("/admin/entry", response_class=HTMLResponse)
def entry_form(request: Request, user: User = Depends(current_user)) -> HTMLResponse:
    return page(request, "entry.html", user, receipt=None, error=None)


@router.post("/admin/entry", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def entry(
    request: Request,
    text: str = Form(""),
    region_hint: str = Form(""),
    privacy: str = Form("public"),
    reporter_name: str = Form(""),
    reporter_phone: str = Form(""),
    user: User = Depends(current_user),
    svc: Services = Depends(services),
) -> HTMLResponse:
    """Complaints received on paper or by phone: the same intake as every channel."""
    record = {
        "text": text,
        "region_hint": region_hint or None,
        "privacy": privacy,
        "channel": "admin",
        "reporter": {"name": reporter_name, "phone": reporter_phone},
    }
    try:
        receipt = svc.intake.submit(record, default_channel="admin", wait=10)
    except IntakeError as exc:
        return templates.TemplateResponse(
            request,
            "entry.html",
            {"user": user, "csrf": csrf_token(request), "receipt": None, "error": str(exc)},
            status_code=422,
        )
    return page(request, "entry.html", user, receipt=receipt, error=None)


@router.get("/admin/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request, user: User = Depends(current_user), svc: Services = Depends(services)
) -> HTMLResponse:
    # model health is national: the model serves every region
    health = MonitoringStore(svc.store.db).latest_run() if user.is_national else None
    return page(
        request,
        "dashboard.html",
        user,
        stats=svc.store.dashboard(user),
        health=health,
        STATUS_LABELS=STATUS_LABELS,
    )
