"""Open311 GeoReport v2 under ``/open311/v2/``: the standard civic apps speak.

One service per taxonomy topic (Indonesian names, ``group`` = its agency); a new
request goes through the same intake as every channel (Kafka, tracking id,
privacy, rate limit) with the ``api_key`` of a registered client; requests are
readable by anyone except confidential ones. JSON or XML by the path's suffix,
errors in the specification's error format. Implemented and left out: README,
"Open311 GeoReport v2".
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache, partial
from typing import Any
from xml.etree import ElementTree

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from kafka.errors import KafkaError
from starlette.concurrency import run_in_threadpool

from casestore.public_view import CLOSED_STATUSES, PUBLIC_PHOTOS, public_cases, public_photo
from casestore.workflow import STATUS_LABELS
from classifier.glossary import glossary
from core.taxonomy import taxonomy
from streams.intake import IntakeError
from web.deps import ServicesDep, intake_rate_limit
from web.uploads import attach_photos, checked_photos, read_uploads

router = APIRouter(prefix="/open311/v2", tags=["open311"])
WIB = timezone(timedelta(hours=7), "WIB")
DEFAULT_WINDOW = timedelta(days=90)  # GET requests without dates: the last 90 days
MAX_REQUESTS = 1000
PUBLISH_TIMEOUT = 10.0
PRIVACY = ("public", "anonim", "rahasia")
MEDIA_PATH = "/open311/v2/media"


class Open311Error(Exception):
    """Answered as ``[{"code", "description"}]`` (or ``<errors>``), as the spec says."""

    def __init__(self, code: int, description: str, fmt: str = "json") -> None:
        super().__init__(description)
        self.code, self.description, self.fmt = code, description, fmt


def error_response(request: Request, exc: Open311Error) -> Response:
    return render(
        [{"code": exc.code, "description": exc.description}],
        exc.fmt,
        "errors",
        "error",
        status=exc.code,
    )


def _format(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise Open311Error(404, f"format '{fmt}' tidak didukung: pakai .json atau .xml")
    return fmt


def _xml_value(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(ElementTree.SubElement(element, key), inner)
    elif isinstance(value, list):
        for inner in value:
            _xml_value(ElementTree.SubElement(element, "value"), inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def render(data: Any, fmt: str, root: str, item: str, status: int = 200) -> Response:
    """JSON as is; XML as <root><item>...</item></root> (a dict: one <root>)."""
    if fmt == "json":
        return JSONResponse(data, status_code=status)
    top = ElementTree.Element(root)
    for entry in data if isinstance(data, list) else [data]:
        parent = ElementTree.SubElement(top, item) if isinstance(data, list) else top
        for key, value in entry.items():
            _xml_value(ElementTree.SubElement(parent, key), value)
    body = ElementTree.tostring(top, encoding="unicode", xml_declaration=False)
    return Response(
        '<?xml version="1.0" encoding="utf-8"?>' + body,
        status_code=status,
        media_type="text/xml; charset=utf-8",
    )


@cache  # the glossary is fixed for the process's life
def _keywords(topic: str) -> str:
    """A few terms citizens use for the topic (the reviewed glossary)."""
    terms = [t for c in glossary().values() if c.topic == topic for t in c.terms]
    return ", ".join(terms[:8])


def service(code: str) -> dict:
    tax = taxonomy()
    topic = tax.topics[code]
    return {
        "service_code": code,
        "service_name": topic.name,
        "description": f"{topic.name} ({tax.agencies[topic.agency].name})",
        "metadata": False,  # no extra attributes: the text decides the routing
        "type": "realtime",  # the tracking id comes back at once
        "keywords": _keywords(code),
        "group": tax.agencies[topic.agency].name,
    }


@router.get("/services.{fmt}")
def services_list(fmt: str) -> Response:
    """Every topic of the taxonomy as a service."""
    fmt = _format(fmt)
    return render([service(c) for c in sorted(taxonomy().topics)], fmt, "services", "service")


@router.get("/services/{service_code}.{fmt}")
def service_definition(service_code: str, fmt: str) -> Response:
    fmt = _format(fmt)
    if service_code not in taxonomy().topics:
        raise Open311Error(404, f"service_code '{service_code}' tidak dikenal", fmt)
    return render(
        {"service_code": service_code, "attributes": []}, fmt, "service_definition", "attribute"
    )


def _number(form: dict, name: str, fmt: str) -> float | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} harus berupa angka desimal", fmt) from None


def _request_record(form: dict, fmt: str) -> dict:
    """The POSTed fields -> an intake record, with Open311 errors in Indonesian."""
    code = (form.get("service_code") or "").strip()
    if code not in taxonomy().topics:
        raise Open311Error(400, f"service_code '{code}' tidak dikenal (lihat services.{fmt})", fmt)
    lat, long = _number(form, "lat", fmt), _number(form, "long", fmt)
    address = (form.get("address_string") or form.get("address_id") or "").strip() or None
    if (lat is None) != (long is None) or (lat is None and address is None):
        raise Open311Error(400, "lokasi wajib: lat dan long, atau address_string", fmt)
    description = (form.get("description") or "").strip()
    if not description:
        raise Open311Error(400, "description (isi aduan) wajib diisi", fmt)
    privacy = (form.get("attribute[privacy]") or "public").strip()
    if privacy not in PRIVACY:
        raise Open311Error(400, "attribute[privacy] harus public, anonim atau rahasia", fmt)
    name = " ".join(p for p in (form.get("first_name"), form.get("last_name")) if p) or None
    return {
        "text": description,
        "region_hint": address,
        "lat": lat,
        "long": long,
        "privacy": privacy,
        "requested_topic": code,
        "reporter": {"name": name, "email": form.get("email"), "phone": form.get("phone")},
    }


@router.post("/requests.{fmt}", dependencies=[Depends(intake_rate_limit)])
async def create_request(fmt: str, request: Request, svc: ServicesDep) -> Response:
    """A new complaint from a registered client (``api_key``), through the same
    intake as every channel; the model routes it by its text like any other."""
    fmt = _format(fmt)
    posted = await request.form()
    form = {k: v for k, v in posted.items() if isinstance(v, str)}
    client = svc.api_clients.verify(form.get("api_key"))
    if client is None:
        raise Open311Error(403, "api_key tidak sah atau sudah dicabut", fmt)
    record = _request_record(form, fmt)
    try:  # `media`: up to 3 files (multipart); a POSTed media_url is not fetched
        checked = await checked_photos(await read_uploads(posted.getlist("media")))
    except HTTPException as exc:
        raise Open311Error(exc.status_code, str(exc.detail), fmt) from None
    record, token = await attach_photos(svc, record, checked)
    try:
        receipt = await run_in_threadpool(
            partial(
                svc.intake.submit,
                default_channel="open311",
                wait=PUBLISH_TIMEOUT,
                secret_token=token,
            ),
            record,
        )
    except IntakeError as exc:
        raise Open311Error(400, str(exc), fmt) from None
    except KafkaError:
        raise Open311Error(
            503, "layanan sedang sibuk; aduan belum tersimpan, coba lagi", fmt
        ) from None
    notice = "Aduan diterima dan akan diteruskan ke instansi yang berwenang."
    if record.get("privacy") == "rahasia":
        notice += f" Aduan rahasia: simpan token {receipt.secret_token} untuk memantau aduan."
    elif receipt.secret_token:
        notice += f" Simpan token {receipt.secret_token} untuk menanggapi dan menilai aduan."
    body = [
        {"service_request_id": receipt.tracking_id, "service_notice": notice, "account_id": None}
    ]
    return render(body, fmt, "service_requests", "request")


def _w3c(value: datetime | None) -> str | None:
    return value.astimezone(WIB).isoformat(timespec="seconds") if value else None


def public_request(case: dict, base_url: str = "") -> dict:
    """A stored case as an Open311 request (the text is the stored, masked text).
    ``media_url``: the first photo of a public (not anonim, not rahasia) complaint."""
    decision = case.get("decision") or {}
    topic = taxonomy().topics.get(decision.get("topic", ""))
    status = case.get("status", "")
    unit = decision.get("unit_name")
    notes = STATUS_LABELS.get(status, status) + (f": {unit}" if unit else "")
    return {
        "service_request_id": case["_id"],
        "status": "closed" if status in CLOSED_STATUSES else "open",
        "status_notes": notes,
        "service_name": topic.name if topic else None,
        "service_code": decision.get("topic"),
        "description": case.get("text"),
        "agency_responsible": unit,
        "service_notice": None,
        "requested_datetime": _w3c(case.get("submitted_at")),
        "updated_datetime": _w3c(case.get("status_since")),
        "expected_datetime": _w3c(case.get("deadline_at")),
        "address": case.get("region_hint"),
        "address_id": None,
        "zipcode": None,
        "lat": case.get("lat"),
        "long": case.get("long"),
        "media_url": (
            f"{base_url}{MEDIA_PATH}/{case['_id']}/1"
            if case.get("privacy") == PUBLIC_PHOTOS and case.get("photo_ids")
            else None
        ),
    }


def _date(value: str | None, name: str, fmt: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(
            400, f"{name} harus tanggal W3C, mis. 2026-12-01T00:00:00+07:00", fmt
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=WIB)


@router.get("/requests.{fmt}")
def list_requests(fmt: str, request: Request, svc: ServicesDep) -> Response:
    """Filters of the spec: service_request_id (a comma list; alone decides),
    service_code, start_date, end_date (default: the last 90 days), status."""
    fmt = _format(fmt)
    q = request.query_params
    status = q.get("status")
    if status not in (None, "", "open", "closed"):
        raise Open311Error(400, "status harus open atau closed", fmt)
    ids = (
        [i.strip() for i in q["service_request_id"].split(",")]
        if q.get("service_request_id")
        else None
    )
    start, end = (
        _date(q.get("start_date"), "start_date", fmt),
        _date(q.get("end_date"), "end_date", fmt),
    )
    if ids is None and start is None and end is None:
        start = datetime.now(WIB) - DEFAULT_WINDOW
    found = public_cases(
        svc.store.cases,
        ids=ids,
        topic=q.get("service_code") or None,
        since=start,
        until=end,
        closed=None if not status else status == "closed",
        limit=MAX_REQUESTS,
    )
    base = svc.settings.public_url.rstrip("/")
    return render([public_request(c, base) for c in found], fmt, "service_requests", "request")


@router.get("/requests/{service_request_id}.{fmt}")
def get_request(service_request_id: str, fmt: str, svc: ServicesDep) -> Response:
    fmt = _format(fmt)
    found = public_cases(svc.store.cases, ids=[service_request_id], limit=1)
    if not found:  # unknown and confidential answer alike
        raise Open311Error(404, f"permintaan '{service_request_id}' tidak ditemukan", fmt)
    base = svc.settings.public_url.rstrip("/")
    return render([public_request(found[0], base)], fmt, "service_requests", "request")


@router.get("/media/{service_request_id}/{number}")
def media(service_request_id: str, number: int, svc: ServicesDep) -> Response:
    """A public complaint's photo (``media_url``); anonim and rahasia ones answer
    404 like an unknown id. Stripped of EXIF at intake (casestore/photos.py)."""
    photo_id = public_photo(svc.store.cases, service_request_id, number)
    found = svc.photos.read(photo_id) if photo_id else None
    if found is None:
        raise Open311Error(404, "foto tidak ditemukan")
    data, content_type = found
    return Response(data, media_type=content_type)
