"""The e-mail's "berhenti" link: a reporter stops (or restarts) the e-mails.

Every e-mail the notifier sends ends with this page's link and carries it as
``List-Unsubscribe`` with ``List-Unsubscribe-Post`` (RFC 8058), so a mail
client's own "unsubscribe" button works too. The link's token is the blind
index of the address with a MAC (``core/contacts.py``): it names no address and
only the hub can issue one. The token is the authority, so the form needs no
session or CSRF token (a mail provider's one-click POST has neither); a GET
only shows the choice, because mail scanners open links.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from core.contacts import EMAIL
from web.deps import ServicesDep, templates

router = APIRouter(include_in_schema=False)
UNKNOWN = (
    "Tautan berhenti ini tidak dikenali. Buka tautan lengkap dari e-mail LAPOR! yang Anda terima."
)


def _index(svc: ServicesDep, token: str) -> str:
    index = svc.contacts.index_of_token(token)
    if index is None:
        raise HTTPException(404, UNKNOWN)
    return index


def _page(request: Request, token: str, stopped: bool, done: str | None) -> HTMLResponse:
    context = {"token": token, "stopped": stopped, "done": done}
    return templates.TemplateResponse(request, "warga_berhenti.html", context)


@router.get("/berhenti", response_class=HTMLResponse)
def choice(request: Request, svc: ServicesDep, t: str = Query("", max_length=200)) -> HTMLResponse:
    return _page(request, t, svc.optouts.stopped_index(_index(svc, t)), None)


@router.post("/berhenti", response_class=HTMLResponse)
def choose(
    request: Request,
    svc: ServicesDep,
    t: str = Query("", max_length=200),
    aksi: Literal["berhenti", "mulai"] = Form("berhenti"),  # one-click: no field, so stop
) -> HTMLResponse:
    index = _index(svc, t)
    if aksi == "berhenti":
        svc.optouts.stop_index(EMAIL, index, svc.clock(), via="email-link")
        done = "Alamat e-mail ini tidak akan dikirimi kabar aduan LAPOR! lagi."
    else:
        svc.optouts.resume_index(index)
        done = "Kabar aduan LAPOR! akan dikirim lagi ke alamat e-mail ini."
    return _page(request, t, aksi == "berhenti", done)
