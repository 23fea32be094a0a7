"""What every request may need: the shared services, the logged-in user, CSRF."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates
from kafka import KafkaProducer

from casestore.api_clients import ApiClientStore
from casestore.optouts import OptOuts
from casestore.photos import PhotoStore
from casestore.sessions import SessionStore
from casestore.store import CaseStore
from casestore.users import ROLE_LABELS, User, UserStore
from casestore.workflow import STATUS_LABELS
from core.contacts import ContactIndex
from core.privacy import Sealer
from core.settings import Settings
from core.tracking import TrackingIds
from routing_rules.engine import Router
from streams.intake import Intake
from web.ratelimit import IntakeLimiter
from web.sms import Gateway, SignatureError, SignedRequest, verify

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(STATUS_LABELS=STATUS_LABELS, ROLE_LABELS=ROLE_LABELS)


@dataclass
class Services:
    settings: Settings
    store: CaseStore
    users: UserStore
    intake: Intake
    producer: KafkaProducer
    router: Router
    sealer: Sealer
    limiter: IntakeLimiter
    sms_limiter: IntakeLimiter  # per SMS gateway (web/sms.py)
    sms_sender_limiter: IntakeLimiter  # complaints per sender number (its blind index)
    sms_gateways: list[Gateway]  # empty: the SMS webhook is disabled
    sessions: SessionStore
    api_clients: ApiClientStore
    photos: PhotoStore  # complaint photos (GridFS, casestore/photos.py)
    clock: Callable[[], datetime]  # the server's time; tests move it instead of sleeping
    tracking: TrackingIds  # issues and checks tracking ids (core/tracking.py)
    contacts: ContactIndex  # blind index of numbers and addresses (core/contacts.py)
    optouts: OptOuts  # channels reporters stopped (SMS BERHENTI, the e-mail's link)


def services(request: Request) -> Services:
    return request.app.state.services


# the dependencies routes declare, FastAPI's ``Annotated`` way (its full-stack template)
ServicesDep = Annotated[Services, Depends(services)]


def case_store(svc: ServicesDep) -> CaseStore:
    return svc.store


StoreDep = Annotated[CaseStore, Depends(case_store)]


class LoginRequired(Exception):
    """Raised for console pages without a valid session; answered with a redirect."""


def current_user(request: Request, svc: ServicesDep) -> User:
    """The user of the request's server-side session (``casestore/sessions.py``).

    The cookie only names the session: an ended, idle or expired session, or
    one older than its user's last lock, password or role change, is refused.
    """
    token = request.session.get("sid")
    live = svc.sessions.resolve(token, svc.clock()) if isinstance(token, str) else None
    user = svc.users.for_session(live["user"], live["version"]) if live else None
    if user is None:
        request.session.clear()
        raise LoginRequired()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> None:
    """Every console form carries the session's token; a forged cross-site post has none."""
    form = await request.form()
    sent = str(form.get("csrf_token") or "")
    expected = request.session.get("csrf") or ""
    if not expected or not secrets.compare_digest(sent, expected):
        raise HTTPException(403, "Token formulir tidak valid; muat ulang halaman dan coba lagi.")


def intake_rate_limit(request: Request, svc: ServicesDep) -> None:
    """Public intake: at most N submissions per client address per minute (429 beyond)."""
    client = request.client.host if request.client else "unknown"
    retry = svc.limiter.hit(client)
    if retry:
        raise HTTPException(
            429,
            f"Terlalu banyak aduan dari alamat ini; coba lagi dalam {retry} detik.",
            headers={"Retry-After": str(retry)},
        )


async def signed_sms(request: Request, svc: ServicesDep) -> SignedRequest:
    """The SMS webhook's caller: a gateway whose secret signed this very body
    (``web/sms.py``). Without a configured secret the webhook is off, not open."""
    if not svc.sms_gateways:
        raise HTTPException(
            503,
            "Kanal SMS belum diaktifkan di server ini: pengelola perlu mengisi "
            "LAPOR_SMS_SECRET (rahasia bersama dengan gateway SMS).",
        )
    body = await request.body()
    try:
        return verify(
            svc.sms_gateways,
            body,
            request.headers.get("x-lapor-timestamp"),
            request.headers.get("x-lapor-signature"),
            svc.clock(),
            svc.settings.sms_max_skew_seconds,
        )
    except SignatureError:
        raise HTTPException(
            401,
            "Permintaan tidak sah: tanda tangan gateway SMS (X-Lapor-Signature, "
            "X-Lapor-Timestamp) tidak ada, salah, atau kedaluwarsa.",
        ) from None


def sms_rate_limit(svc: ServicesDep, signed: SignedRequest = Depends(signed_sms)) -> SignedRequest:
    """At most N calls per gateway per minute: a gateway relays a whole country's
    SMS from a few addresses, so it is limited by its identity, not its address."""
    retry = svc.sms_limiter.hit(signed.gateway.name)
    if retry:
        raise HTTPException(
            429,
            f"Terlalu banyak SMS dari gateway ini; coba lagi dalam {retry} detik.",
            headers={"Retry-After": str(retry)},
        )
    return signed
