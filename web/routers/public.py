"""Public channels: the web intake API, complaint lookup, the SMS 1708 gateway."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Header, HTTPException, Query, UploadFile
from fastapi.exceptions import RequestValidationError
from kafka.errors import KafkaError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from starlette.concurrency import run_in_threadpool

from casestore.dead_letters import DeadLetterStore
from casestore.public_view import INTAKE_LABELS, reporter_lookup
from casestore.workflow import STATUS_LABELS
from core.contacts import SMS
from core.privacy import token_hash
from streams.intake import IdConflict, IntakeError, stored_lookup
from web import sms
from web.deps import Services, ServicesDep, intake_rate_limit, sms_rate_limit
from web.sms import SignedRequest, channel_keyword, privacy_keyword
from web.uploads import attach_photos, checked_photos, read_uploads

router = APIRouter(prefix="/api/v1", tags=["public"])
PUBLISH_TIMEOUT = 10.0
LABELS = {**STATUS_LABELS, **INTAKE_LABELS}
TRACKING_PREFIX = "LPR-"  # core.events.new_tracking_id: the hub's own ids


def has_words(value: str) -> str:
    """Only spaces, zero-width or control characters is no complaint (issue 15)."""
    if not any(ch.isalnum() for ch in value):
        raise ValueError("harus memuat huruf atau angka; tulis isi aduan Anda")
    return value


class Reporter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=120)
    phone: str | None = Field(None, max_length=30)
    email: str | None = Field(None, max_length=200)
    nik: str | None = Field(None, pattern=r"^\d{16}$")


class RegionHint(BaseModel):
    """Where a mobile app or an integrator says the incident is: a Kemendagri code,
    or names (the text of the complaint still wins where it names another place)."""

    model_config = ConfigDict(extra="forbid")
    code: str | None = Field(None, pattern=r"^\d{2}(\.?\d{2})?$", examples=["34.04"])
    regency: str | None = Field(None, max_length=100, examples=["Kabupaten Sleman"])
    province: str | None = Field(None, max_length=100, examples=["DI Yogyakarta"])


class ComplaintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, AfterValidator(has_words)] = Field(
        min_length=1, max_length=20_000, description="Isi aduan"
    )
    channel: Literal["web", "mobile", "whatsapp", "twitter", "social"] = "web"
    region_hint: Annotated[str, Field(max_length=200)] | RegionHint | None = None
    lat: float | None = Field(None, ge=-90, le=90, description="Lokasi perangkat (WGS 84)")
    long: float | None = Field(None, ge=-180, le=180)
    privacy: Literal["public", "anonim", "rahasia"] = "public"
    reporter: Reporter | None = None

    id: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9._:-]{8,64}$",
        description="Optional id chosen by the sending system (an idempotency key): "
        "sending the same complaint again with it answers with the same tracking id; "
        "the same id with other content is refused (409). Not for rahasia complaints.",
    )

    @field_validator("id")
    @classmethod
    def _own_id_rules(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and value.upper().startswith(TRACKING_PREFIX):
            raise ValueError(f"tidak boleh diawali {TRACKING_PREFIX}: awalan itu milik nomor lacak")
        if value and info.data.get("privacy") == "rahasia":
            raise ValueError(
                "tidak dapat dipakai untuk aduan rahasia: token rahasianya hanya "
                "diberikan sekali, sehingga pengiriman ulang tidak dapat mengembalikannya"
            )
        return value


class Accepted(BaseModel):
    tracking_id: str
    secret_token: str | None = Field(
        None,
        description="The reporter's key: needed to reply to, confirm, dispute or rate the "
        "complaint, and for a rahasia complaint to look it up at all. Shown once.",
    )
    message: str


class SmsIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    sender: str = Field(alias="from", max_length=30)
    message: Annotated[str, AfterValidator(has_words)] = Field(min_length=1, max_length=1_000)


def _publish(  # noqa: ANN202
    svc: Services, record: dict, channel: str, secret_token: str | None = None
):
    try:
        return svc.intake.submit(
            record,
            default_channel=channel,
            wait=PUBLISH_TIMEOUT,
            stored=stored_lookup(svc.store.content_of),
            secret_token=secret_token,
        )
    except IdConflict:
        raise HTTPException(
            409,
            "Id ini sudah dipakai untuk aduan dengan isi lain; aduan ini tidak disimpan. "
            "Kirim ulang tanpa id atau dengan id baru.",
        ) from None
    except IntakeError as exc:
        raise HTTPException(422, str(exc)) from None
    except KafkaError:
        raise HTTPException(
            503, "Layanan sedang sibuk; aduan belum tersimpan. Coba lagi sebentar lagi."
        ) from None


@router.post(
    "/complaints",
    status_code=201,
    response_model=Accepted,
    dependencies=[Depends(intake_rate_limit)],
)
def submit_complaint(body: ComplaintIn, svc: ServicesDep) -> Accepted:
    """File a complaint. Intake publishes to Kafka only; routing happens downstream."""
    record = body.model_dump()  # a structured region hint stays a dict for intake
    receipt = _publish(svc, record, body.channel)
    return Accepted(
        tracking_id=receipt.tracking_id,
        secret_token=receipt.secret_token,
        message="Aduan diterima. Simpan nomor lacak ini untuk memantau tindak lanjut.",
    )


@router.post(
    "/complaints/multipart",
    status_code=201,
    response_model=Accepted,
    dependencies=[Depends(intake_rate_limit)],
    responses={
        413: {"description": "Foto atau permintaan terlalu besar"},
        415: {"description": "Berkas bukan gambar JPEG, PNG, atau WebP"},
    },
)
async def submit_with_photos(
    svc: ServicesDep,
    complaint: str = Form(
        ..., description="The complaint as JSON, the same object as POST /complaints takes"
    ),
    photos: list[UploadFile] = File(
        [], description="Up to 3 photos (JPEG, PNG or WebP, each at most 5 MB, 25 megapixels)"
    ),
) -> Accepted:
    """File a complaint with photos, as a mobile app uploads: ``multipart/form-data``
    with a ``complaint`` part (JSON) and up to three ``photos`` parts. One bad photo
    refuses the whole request (4xx naming it); nothing is stored then."""
    try:
        body = ComplaintIn.model_validate_json(complaint)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("complaint", *e["loc"])} for e in exc.errors()]
        ) from None
    checked = await checked_photos(await read_uploads(photos))
    record, token = await attach_photos(svc, body.model_dump(), checked)
    receipt = await run_in_threadpool(_publish, svc, record, body.channel, token)
    return Accepted(
        tracking_id=receipt.tracking_id,
        secret_token=receipt.secret_token,
        message="Aduan diterima. Simpan nomor lacak ini untuk memantau tindak lanjut.",
    )


class HistoryLine(BaseModel):
    status: str
    at: datetime | None
    note: str | None


class Message(BaseModel):
    at: datetime
    text: str


class Rating(BaseModel):
    model_config = ConfigDict(extra="ignore")
    score: int
    comment: str | None = None
    at: datetime | None = None


class ComplaintStatus(BaseModel):
    tracking_id: str
    status: str = Field(
        description="A case status, or before the case exists: diterima (issued, being "
        "processed) or tidak_dapat_diproses (see reason)"
    )
    status_label: str = Field(description="The status in Indonesian words")
    reason: str | None = Field(None, description="Why it could not be processed (Indonesian)")
    unit: str | None = None
    submitted_at: datetime | None = None
    deadline_at: datetime | None = None
    history: list[HistoryLine] = []
    answers: list[Message] = Field([], description="The unit's answers (masked)")
    replies: list[Message] = Field([], description="What the reporter added (masked)")
    auto_close_at: datetime | None = Field(
        None, description="When an answered case closes itself without a reply"
    )
    rating: Rating | None = None


def find_for_reporter(svc: Services, tracking_id: str, token: str | None) -> dict | None:
    """``casestore.public_view.reporter_lookup`` with this server's tracking-id key:
    the case, a pending or dead-lettered id the system issued, or None."""
    digest = token_hash(token) if token else None
    return reporter_lookup(
        svc.store.cases,
        DeadLetterStore(svc.store.db),
        tracking_id,
        digest,
        svc.tracking.issued(tracking_id, digest),
    )


@router.get(
    "/complaints/{tracking_id}",
    response_model=ComplaintStatus,
    responses={404: {"description": "Tidak ada aduan dengan nomor ini (atau token salah)"}},
)
def lookup(
    tracking_id: str,
    svc: ServicesDep,
    token: str | None = Query(None, description="Secret token of a rahasia complaint"),
    x_lapor_token: str | None = Header(None),
) -> ComplaintStatus:
    """Status and history; never the reporter's identity. A tracking id the system
    issued answers from the start (``diterima`` until its case is stored,
    ``tidak_dapat_diproses`` with a reason if it could not be); a rahasia complaint
    answers only with its secret token, and otherwise exactly like an unknown id."""
    case = find_for_reporter(svc, tracking_id, token or x_lapor_token)
    if case is None:
        raise HTTPException(404, "Aduan tidak ditemukan. Periksa nomor lacak (dan token).")
    decision = case.get("decision") or {}
    return ComplaintStatus(
        tracking_id=case["_id"],
        status=case["status"],
        status_label=LABELS.get(case["status"], case["status"]),
        reason=case.get("reason"),
        unit=decision.get("unit_name"),
        submitted_at=case.get("submitted_at"),
        deadline_at=case.get("deadline_at"),
        # staff notes stay inside; a line meant for the citizen ("dialihkan ke <unit>",
        # a unit's request for information) is shown
        history=[
            HistoryLine(status=h["status"], at=h["at"], note=h.get("public_note"))
            for h in case.get("history", [])
        ],
        # the unit's answers, what the reporter added, and the rating (all masked)
        answers=[Message(at=a["at"], text=a["text"]) for a in case.get("answers", [])],
        replies=[Message(at=r["at"], text=r["text"]) for r in case.get("replies", [])],
        auto_close_at=case.get("auto_close_at"),
        rating=case.get("rating"),
    )


class SmsReply(BaseModel):
    action: Literal["aduan", "berhenti", "mulai"] = Field(
        "aduan", description="A complaint, or a stop/start of the SMS about complaints"
    )
    tracking_id: str | None = Field(None, description="The complaint's (action 'aduan')")
    privacy: str | None = None
    secret_token: str | None = None
    reply: str = Field(description="The text the gateway sends back to the citizen (Indonesian)")


SMS_CHANNEL_REPLIES = {
    sms.STOP: "Nomor ini tidak akan dikirimi SMS kabar aduan LAPOR! lagi. Balas MULAI untuk "
    "menerimanya kembali. Aduan baru tetap dapat dikirim.",
    sms.START: "SMS kabar aduan LAPOR! akan dikirim lagi ke nomor ini. Balas BERHENTI untuk "
    "menghentikannya.",
}


@router.post(
    "/sms",
    tags=["channels"],
    response_model=SmsReply,
    responses={
        401: {"description": "Tanda tangan gateway tidak ada, salah, atau kedaluwarsa"},
        503: {"description": "Kanal SMS belum diaktifkan (LAPOR_SMS_SECRET kosong)"},
    },
)
def sms_gateway(
    body: SmsIn,
    svc: ServicesDep,
    signed: SignedRequest = Depends(sms_rate_limit),
) -> SmsReply:
    """SMS 1708 gateway webhook: ``{"from": "0812...", "message": "BANJAR jalan rusak ..."}``,
    signed by the gateway (``X-Lapor-Timestamp``, ``X-Lapor-Signature``: see README).
    A message starting ``RAHASIA`` or ``ANONIM`` is filed with that privacy; the
    reply to a rahasia one carries its secret token. ``BERHENTI`` alone stops the
    SMS about complaints to the sender's number, ``MULAI`` starts them again."""
    keyword = channel_keyword(body.message)
    if keyword is not None:
        return _sms_channel(svc, body.sender, keyword)
    privacy, text = privacy_keyword(body.message)
    # one number flooding 1708 (a script, a stuck phone) must not drown a gateway's
    # allowance: counted under the number's blind index, never the number
    retry = svc.sms_sender_limiter.hit(svc.contacts.pseudonym(SMS, body.sender))
    if retry:
        raise HTTPException(
            429,
            f"Terlalu banyak aduan dari nomor ini; kirim lagi dalam {-(-retry // 60)} menit.",
            headers={"Retry-After": str(retry)},
        )
    if not any(ch.isalnum() for ch in text):
        raise HTTPException(
            422,
            f"Tulis isi aduan setelah kata {privacy.upper()}, misalnya: {privacy.upper()} "
            "BANJAR jalan rusak di desa ...",
        )
    token = sms.secret_token(signed)  # derived: a retried SMS gets its first token
    record = {  # tagged like every id the hub issues (core/tracking.py)
        "id": svc.tracking.tagged(sms.tracking_id(signed), token_hash(token) if token else None),
        "text": text,
        "privacy": privacy,
        "reporter": {"phone": body.sender},
    }
    receipt = _publish(svc, record, "sms", secret_token=token)
    if privacy == "rahasia":
        reply = (
            f"Aduan RAHASIA diterima. No. lacak {receipt.tracking_id}, token "
            f"{receipt.secret_token}. Simpan token ini: tanpa token aduan tidak dapat dilihat."
        )
    else:
        reply = (
            f"Aduan Anda diterima. No. lacak {receipt.tracking_id}, token "
            f"{receipt.secret_token} (untuk menanggapi/menilai). Terima kasih."
        )
    return SmsReply(
        tracking_id=receipt.tracking_id,
        privacy=privacy,
        secret_token=receipt.secret_token,
        reply=reply,
    )


def _sms_channel(svc: Services, sender: str, keyword: str) -> SmsReply:
    """BERHENTI / MULAI for the sender's number (kept under its blind index only)."""
    index = svc.contacts.of(SMS, sender)
    if index is None:
        raise HTTPException(422, "Nomor pengirim tidak dikenali sebagai nomor telepon.")
    if keyword == sms.STOP:
        svc.optouts.stop_index(SMS, index, svc.clock(), via="sms")
    else:
        svc.optouts.resume_index(index)
    return SmsReply(action=keyword, reply=SMS_CHANNEL_REPLIES[keyword])
