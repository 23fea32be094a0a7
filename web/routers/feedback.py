"""The citizen's side in the JSON API: reply, confirm, dispute, rate a complaint.

Bound to the tracking id plus the secret token the receipt gave (in the body or
the ``X-Lapor-Token`` header): a public complaint's tracking id is public (Open311
lists it), so the id alone lets nobody act on a case filed with a token; a
missing or wrong token answers exactly like an unknown id (404)
(``casestore.public_view.case_for_actor``). The same checks and messages as the tracking
page's forms (``casestore.feedback.act``) and the same rate limit as intake; no
CSRF (no cookie is involved).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from casestore import feedback
from casestore.public_view import case_for_actor
from casestore.workflow import STATUS_LABELS
from core.privacy import token_hash
from web.deps import Services, ServicesDep, intake_rate_limit

router = APIRouter(prefix="/api/v1", tags=["public"], dependencies=[Depends(intake_rate_limit)])
NOT_FOUND = "Aduan tidak ditemukan (aduan baru tercatat beberapa detik setelah dikirim)."
MESSAGES = {
    "reply": "Tanggapan Anda diterima dan diteruskan ke unit.",
    "confirm": "Terima kasih; aduan dinyatakan selesai. Beri nilai penanganannya.",
    "dispute": "Sanggahan diterima; aduan dibuka kembali dan dikembalikan ke unit.",
    "rating": "Terima kasih atas penilaian Anda.",
}
REFUSALS = {
    404: {"description": "Aduan tidak ditemukan (atau token salah)"},
    409: {"description": "Status aduan tidak mengizinkan tindakan ini (pesan menjelaskan)"},
}


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str | None = Field(None, max_length=100, description="Token dari tanda terima aduan")


class ReplyIn(TokenIn):
    text: str = Field(min_length=1, max_length=feedback.REPLY_MAX_CHARS)


class DisputeIn(TokenIn):
    reason: str = Field(min_length=1, max_length=feedback.REASON_MAX_CHARS)


class RatingIn(TokenIn):
    score: int = Field(ge=1, le=5, description="1 (sangat buruk) sampai 5 (sangat baik)")
    comment: str | None = Field(None, max_length=feedback.COMMENT_MAX_CHARS)


class ActionOut(BaseModel):
    tracking_id: str
    status: str
    status_label: str
    message: str


def _act(
    svc: Services, tracking_id: str, body: TokenIn, header: str | None, action: str
) -> ActionOut:
    given = body.token or header
    case = case_for_actor(svc.store.cases, tracking_id, token_hash(given) if given else None)
    if case is None:
        raise HTTPException(404, NOT_FOUND)
    fields = body.model_dump(exclude={"token"})
    try:
        after = feedback.act(svc.store, case, action, fields, svc.clock())
    except feedback.Refused as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return ActionOut(
        tracking_id=after["_id"],
        status=after["status"],
        status_label=STATUS_LABELS.get(after["status"], after["status"]),
        message=MESSAGES[action],
    )


@router.post("/complaints/{tracking_id}/replies", response_model=ActionOut, responses=REFUSALS)
def reply(
    tracking_id: str,
    body: ReplyIn,
    svc: ServicesDep,
    x_lapor_token: str | None = Header(None),
) -> ActionOut:
    """Add information or reply to the unit (masked; the status stays)."""
    return _act(svc, tracking_id, body, x_lapor_token, "reply")


@router.post("/complaints/{tracking_id}/confirm", response_model=ActionOut, responses=REFUSALS)
def confirm(
    tracking_id: str,
    body: TokenIn,
    svc: ServicesDep,
    x_lapor_token: str | None = Header(None),
) -> ActionOut:
    """Accept the unit's answer (ditindaklanjuti -> selesai)."""
    return _act(svc, tracking_id, body, x_lapor_token, "confirm")


@router.post("/complaints/{tracking_id}/dispute", response_model=ActionOut, responses=REFUSALS)
def dispute(
    tracking_id: str,
    body: DisputeIn,
    svc: ServicesDep,
    x_lapor_token: str | None = Header(None),
) -> ActionOut:
    """Dispute the unit's answer with a reason (ditindaklanjuti -> dibuka_kembali:
    back to the same unit with a fresh deadline, counted against it)."""
    return _act(svc, tracking_id, body, x_lapor_token, "dispute")


@router.post("/complaints/{tracking_id}/rating", response_model=ActionOut, responses=REFUSALS)
def rate(
    tracking_id: str,
    body: RatingIn,
    svc: ServicesDep,
    x_lapor_token: str | None = Header(None),
) -> ActionOut:
    """Rate the handling 1-5 with an optional comment, once, when the case is selesai."""
    return _act(svc, tracking_id, body, x_lapor_token, "rating")
