"""The admin console: login, triage queue, cases, overrides, status actions,
manual entry and the dashboard. Server-rendered; every query is scoped by role."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from kafka.errors import KafkaError

from casestore.answers import ANSWERABLE, AnswerTemplates
from casestore.deliveries import CHANNEL_LABELS, DELIVERY_LABELS, REASON_LABELS, DeliveryStore
from casestore.monitoring import MonitoringStore
from casestore.outbox import KIND_LABELS
from casestore.store import Stale
from casestore.users import Throttled, User, UserError
from casestore.workflow import (
    ALLOWED,
    CITIZEN_STATUSES,
    LIAISON_STATUSES,
    REDISPATCHABLE,
    STATUS_LABELS,
    TRIAGE_REASONS,
    TransitionError,
    is_overdue,
    triage_reasons,
)
from core.events import CaseOverridden, ComplaintSubmitted, routed_event
from core.privacy import Sealer, mask_identifiers
from routing_rules.regions import region_codes
from streams.intake import IntakeError
from web.deps import (
    CurrentUser,
    Services,
    ServicesDep,
    StoreDep,
    check_csrf,
    csrf_token,
    templates,
)

CHANGED_MEANWHILE = "Aduan ini baru saja diubah orang lain; periksa lalu coba lagi."
router = APIRouter(tags=["console"])
PAGE = 50
TRIAGE_QUEUES = {  # the triage page's tabs: query value -> label
    "": "Semua",
    "verifikasi": "Menunggu verifikasi",
    "dialihkan": "Dialihkan / bukan wewenang",
    "lewat": "Lewat tenggat",
}
# the decision fields an overridden event carries before and after
OVERRIDE_FIELDS = (
    "agency",
    "topic",
    "tier",
    "unit_id",
    "unit_name",
    "province_code",
    "province",
    "regency_code",
    "regency",
)
NO_REDISPATCH = (
    "Penghubung instansi tidak dapat mengalihkan aduan. Jika aduan ini bukan wewenang "
    "unit Anda, ubah statusnya ke Bukan wewenang dengan alasan: admin akan mengalihkannya."
)
LIAISON_ONLY = (
    "Penghubung instansi hanya dapat menindaklanjuti, menyelesaikan, atau menyatakan "
    "aduan bukan wewenang; verifikasi dan pengalihan dilakukan admin."
)

CITIZEN_ONLY = (
    "Hanya pelapor yang dapat membuka kembali aduan (dengan menyanggah tindak lanjut "
    "di halaman lacak)."
)


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
    svc: ServicesDep,
    username: str = Form(...),
    password: str = Form(...),
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
def logout(request: Request, svc: ServicesDep) -> Response:
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


def paged(svc: Services, user: User, query: dict, number: int) -> dict:
    """One page of a case list (newest first) and where it is among the pages."""
    total = svc.store.count_for(user, query)
    pages = max(1, math.ceil(total / PAGE))
    number = min(max(1, number), pages)
    cases = svc.store.list_for(user, query, limit=PAGE, skip=(number - 1) * PAGE)
    return {"cases": cases, "total": total, "page": number, "pages": pages}


def page_link(request: Request, number: int) -> str:
    """The same list with the same filters, another page."""
    url = request.url.include_query_params(page=number)
    return f"{url.path}?{url.query}"


@router.get("/admin/triage", response_class=HTMLResponse)
def triage(
    request: Request,
    user: CurrentUser,
    svc: ServicesDep,
    queue: str = "",
    page_number: int = Query(1, alias="page", ge=1, le=100_000),
) -> HTMLResponse:
    """Every case waiting for the hub, a page at a time, each with why it is there."""
    if queue not in TRIAGE_QUEUES:
        queue = ""
    now = datetime.now(UTC)
    listing = paged(svc, user, svc.store.triage_query(now, queue), page_number)
    return page(
        request,
        "cases.html",
        user,
        title="Antrean triase",
        **listing,
        filters={"queue": queue},
        queues=TRIAGE_QUEUES,
        reasons_of=lambda case: triage_reasons(case, now),
        page_link=lambda number: page_link(request, number),
        REASON_LABELS=TRIAGE_REASONS,
        now=now,
        is_overdue=is_overdue,
    )


@router.get("/admin/cases", response_class=HTMLResponse)
def case_list(
    request: Request,
    user: CurrentUser,
    svc: ServicesDep,
    status: str = "",
    tier: str = "",
    agency: str = "",
    q: str = "",
    page_number: int = Query(1, alias="page", ge=1, le=100_000),
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
    return page(
        request,
        "cases.html",
        user,
        title="Daftar aduan",
        **paged(svc, user, query, page_number),
        page_link=lambda number: page_link(request, number),
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
    user: CurrentUser,
    svc: ServicesDep,
    error: str = "",
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
        next_statuses=sorted(
            (
                ALLOWED[case["status"]]
                if user.may_redispatch
                else ALLOWED[case["status"]] & LIAISON_STATUSES
            )
            - CITIZEN_STATUSES
        ),
        can_answer=case["status"] in ANSWERABLE,
        answer_templates=AnswerTemplates(svc.store.db).for_case(case),
        can_redispatch=user.may_redispatch and case["status"] in REDISPATCHABLE,
        agencies=tax.agencies,
        topics=tax.topics,
        tiers=tax.tiers,
        overdue=is_overdue(case),
        # related and merged cases this user may see (a coordinator's scope applies)
        related_cases=svc.store.list_for(
            user, {"_id": {"$in": (case.get("related") or []) + (case.get("merged") or [])}}
        ),
        deliveries=DeliveryStore(svc.store.db).by_event(case_id),
        labels={
            "kind": KIND_LABELS,
            "channel": CHANNEL_LABELS,
            "delivery": DELIVERY_LABELS,
            "reason": REASON_LABELS,
        },
    )


def back(case_id: str, message: str = "") -> Response:
    """Back to the case, with a message for the person when something was wrong."""
    where = f"/admin/cases/{quote(case_id)}"
    return RedirectResponse(f"{where}?error={quote(message)}" if message else where, 303)


@router.post("/admin/cases/{case_id}/override", dependencies=[Depends(check_csrf)])
def override(
    case_id: str,
    user: CurrentUser,
    svc: ServicesDep,
    agency: str = Form(...),
    topic: str = Form(...),
    tier: str = Form(...),
    region: str = Form(""),
    reason: str = Form(""),
) -> Response:
    """Re-dispatch: the case gets a new decision version, the new unit a fresh
    deadline, the citizen a history line; a routed event tells the new unit's
    systems and an overridden event records the correction for training."""
    case = _case_or_404(svc, user, case_id)  # outside the scope: 404, as for any URL
    if not user.may_redispatch:
        raise HTTPException(403, NO_REDISPATCH)
    tax = svc.router.taxonomy
    if agency not in tax.agencies or topic not in tax.topics or tier not in tax.tiers:
        return back(case_id, "Instansi, topik atau tingkat tidak dikenal.")
    if tax.agency_of(topic) != agency:
        return back(case_id, f"Topik {topic} milik {tax.agency_of(topic)}, bukan {agency}.")
    if not reason.strip():
        return back(case_id, "Alasan koreksi wajib diisi.")
    if case["status"] not in REDISPATCHABLE:
        label = STATUS_LABELS[case["status"]]
        return back(case_id, f"Aduan berstatus {label} tidak dapat dialihkan.")
    old = case["decision"]
    try:
        province, regency = (
            region_codes(region)
            if region.strip()
            else (old.get("province_code"), old.get("regency_code"))
        )
    except ValueError:
        return back(
            case_id, f"Wilayah {region!r} tidak dikenal (pakai nama resmi atau kode Kemendagri)."
        )
    masked_reason = mask_identifiers(reason.strip())
    decision = svc.router.decision_for(
        agency,
        topic,
        tier,
        province,
        regency,
        region_source="admin" if region.strip() else old.get("region_source"),
        region_candidates=[] if region.strip() else old.get("region_candidates", []),
        reasons=[f"koreksi:{user.username} — {masked_reason}"[:500]],
    ).to_dict()
    if decision["unit_id"] is None:
        return back(
            case_id, "Wilayah belum cukup untuk tingkat ini: isi kabupaten/kota atau provinsi."
        )
    if not user.covers(decision):
        raise HTTPException(
            403,
            f"Unit tujuan di luar wilayah cakupan Anda ({user.scope}). Biarkan aduan di "
            "antrean Dialihkan / bukan wewenang: admin nasional akan mengalihkannya.",
        )
    now = svc.clock()
    try:
        version, before = svc.store.redispatch(user, case, decision, reason, now)
    except Stale:
        return back(case_id, CHANGED_MEANWHILE)
    try:
        publish_redispatch(svc, case, decision, version, before, user, masked_reason, now)
    except KafkaError:
        return back(
            case_id,
            "Rute tersimpan, tetapi pemberitahuan ke unit baru gagal terkirim "
            "(broker tidak terjangkau). Simpan koreksi sekali lagi.",
        )
    return back(case_id)


def publish_redispatch(
    svc: Services,
    case: dict,
    decision: dict,
    version: int,
    before: dict,
    user: User,
    reason: str,
    now: datetime,
) -> None:
    """The routed event of the new decision version (the new unit hears of the
    case) and the overridden event (the correction, for training), both keyed by
    the case id, so they stay in order with the case's earlier events."""
    complaint = ComplaintSubmitted(
        complaint_id=case["_id"],
        submitted_at=case["submitted_at"],
        channel=case["channel"],
        text=case["text"],
        region_hint=case.get("region_hint"),
        privacy=case["privacy"],
        reporter_sealed=case.get("reporter_sealed"),
        access_token_hash=case.get("access_token_hash"),
        content_sha256=case.get("content_sha256"),
    )
    # masked again by the constructor: a case stored before the masker knew a
    # format still had it
    routed = routed_event(
        complaint,
        case["prediction"],
        decision,
        decision_version=version,
        decided_by=user.username,
        reason=reason,
        routed_at=now,
    )
    overridden = CaseOverridden(
        complaint_id=case["_id"],
        decision_version=version,
        by=user.username,
        reason=reason,
        before={k: before.get(k) for k in OVERRIDE_FIELDS},
        after={k: decision.get(k) for k in OVERRIDE_FIELDS},
        text=mask_identifiers(complaint.text),
        model_agency=case["prediction"].get("agency"),
        model_topic=case["prediction"].get("topic"),
        at=now,
    )
    key = case["_id"].encode()
    svc.producer.send(svc.settings.topic_routed, key=key, value=routed)
    svc.producer.send(
        svc.settings.topic_overridden, key=key, value=overridden.model_dump_json().encode()
    )
    svc.producer.flush(10)


@router.post("/admin/cases/{case_id}/status", dependencies=[Depends(check_csrf)])
def change_status(
    case_id: str,
    user: CurrentUser,
    svc: ServicesDep,
    to: str = Form(...),
    reason: str = Form(""),
) -> Response:
    _case_or_404(svc, user, case_id)
    if not user.may_redispatch and to not in LIAISON_STATUSES:
        raise HTTPException(403, LIAISON_ONLY)
    if to in CITIZEN_STATUSES:
        raise HTTPException(403, CITIZEN_ONLY)
    try:
        svc.store.change_status(user, case_id, to, reason, svc.clock())
    except TransitionError as exc:
        return back(case_id, str(exc))
    except Stale:
        return back(case_id, CHANGED_MEANWHILE)
    return back(case_id)


@router.post("/admin/cases/{case_id}/ask", dependencies=[Depends(check_csrf)])
def ask_for_information(
    case_id: str,
    user: CurrentUser,
    svc: ServicesDep,
    question: str = Form(""),
) -> Response:
    """The unit (or an admin) asks the reporter for more information: a history
    line the citizen sees on the tracking page; the status does not change."""
    _case_or_404(svc, user, case_id)
    if not question.strip():
        return back(case_id, "Pertanyaan untuk pelapor wajib diisi.")
    try:
        svc.store.ask(user, case_id, mask_identifiers(question.strip()), svc.clock())
    except Stale:
        return back(case_id, CHANGED_MEANWHILE)
    return back(case_id)


@router.get("/admin/entry", response_class=HTMLResponse)
def entry_form(request: Request, user: CurrentUser) -> HTMLResponse:
    return page(request, "entry.html", user, receipt=None, error=None)


@router.post("/admin/entry", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def entry(
    request: Request,
    user: CurrentUser,
    svc: ServicesDep,
    text: str = Form(""),
    region_hint: str = Form(""),
    privacy: str = Form("public"),
    reporter_name: str = Form(""),
    reporter_phone: str = Form(""),
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
def dashboard(request: Request, user: CurrentUser, store: StoreDep) -> HTMLResponse:
    # model health is national: the model serves every region
    health = MonitoringStore(store.db).latest_run() if user.is_national else None
    return page(
        request,
        "dashboard.html",
        user,
        stats=store.dashboard(user),
        health=health,
        STATUS_LABELS=STATUS_LABELS,
    )
