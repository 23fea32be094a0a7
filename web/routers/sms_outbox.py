"""The outbound SMS queue the SMS gateway pulls (like SMSSync's task polling).

    POST /api/v1/sms/outbox/fetch  {"limit": 20}                   -> {"messages": [...]}
    POST /api/v1/sms/outbox/ack    {"sent": [id], "failed": [{"id", "reason"}]}

Signed exactly like the inbound webhook (``web/sms.py``: ``X-Lapor-Timestamp``,
``X-Lapor-Signature`` over the raw body with the gateway's shared secret), and
off (503) without ``LAPOR_SMS_SECRET``. A fetched message is leased to the
gateway: not acknowledged, it is offered again after the lease (doubling each
time) and dead-lettered after ``LAPOR_NOTIFY_MAX_ATTEMPTS`` fetches; the gateway
sends each ``id`` once (a message fetched twice has the same id). ``failed``
reports a message the gateway can never send (a number that does not exist):
it is dead-lettered with that reason. The queue holds no number in clear: each
is opened from the reporter's sealed identity as its message is fetched.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from casestore.deliveries import SMS, DeliveryStore
from web.deps import Services, ServicesDep, sms_rate_limit
from web.sms import SignedRequest

router = APIRouter(prefix="/api/v1/sms/outbox", tags=["channels"])
SIGNED = {
    401: {"description": "Tanda tangan gateway tidak ada, salah, atau kedaluwarsa"},
    503: {"description": "Kanal SMS belum diaktifkan (LAPOR_SMS_SECRET kosong)"},
}


class FetchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(20, ge=1, le=100, description="Most messages to take")


class OutgoingSms(BaseModel):
    id: str = Field(description="Send it once; acknowledge it with this id")
    to: str = Field(description="The reporter's number")
    message: str


class FetchOut(BaseModel):
    messages: list[OutgoingSms]


class Failure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(max_length=200)
    reason: str = Field(min_length=1, max_length=500)


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sent: list[str] = Field(default_factory=list, max_length=500)
    failed: list[Failure] = Field(default_factory=list, max_length=500)


class AckOut(BaseModel):
    sent: int = Field(description="Messages newly marked sent")
    failed: int = Field(description="Messages newly dead-lettered")


def deliveries(svc: Services) -> DeliveryStore:
    return DeliveryStore(svc.store.db, svc.settings.notify_max_attempts)


@router.post("/fetch", response_model=FetchOut, responses=SIGNED)
def fetch(
    body: FetchIn,
    svc: ServicesDep,
    signed: SignedRequest = Depends(sms_rate_limit),
) -> FetchOut:
    """Take up to ``limit`` SMS to send, leased to this gateway."""
    taken = deliveries(svc).take_sms(
        signed.gateway.name,
        svc.clock(),
        body.limit,
        svc.settings.sms_outbox_lease_seconds,
        svc.sealer,
        svc.optouts,
    )
    return FetchOut(
        messages=[OutgoingSms(id=m["id"], to=m["to"], message=m["text"]) for m in taken]
    )


@router.post("/ack", response_model=AckOut, responses=SIGNED)
def ack(
    body: AckIn,
    svc: ServicesDep,
    signed: SignedRequest = Depends(sms_rate_limit),
) -> AckOut:
    """Report what was sent, and what can never be sent (with the reason)."""
    store, now = deliveries(svc), svc.clock()
    dead = sum(
        store.dead([f.id], f"SMS gateway {signed.gateway.name}: {f.reason}", now, SMS)
        for f in body.failed
    )
    return AckOut(sent=store.ack_sms(body.sent, now), failed=dead)
