"""Photos on the real parts: API multipart, the citizen page and Open311 store them in
GridFS on the embedded store; the worker keeps their ids on the case; the console
serves them within the case's scope; the public sees only a public complaint's."""

from __future__ import annotations

import io
import json
import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from casestore.photos import PhotoStore, check_photo
from casestore.store import CaseStore, connect
from casestore.users import UserStore
from lapor import stack
from lapor.operations import wait_for_cases
from tests.photos_util import image_bytes, jpeg_with_gps
from tests.security.console import csrf, login, make_client, unique

pytestmark = pytest.mark.integration
TEXT = (
    "Jalan berlubang besar di Jalan Kaliurang km 12 Kabupaten Sleman, sudah dua motor "
    "jatuh minggu ini. Mohon segera ditambal."
)


@pytest.fixture(scope="module")
def db(stack_settings):
    return connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)


@pytest.fixture(scope="module")
def accounts(db):
    users = UserStore(db)
    admin, liaison = unique("foto-admin"), unique("foto-unit")
    users.create(admin, "sandi-admin-foto-123", "national_admin")
    users.create(liaison, "sandi-unit-foto-123", "agency_liaison", "kabupaten_kota:63.03:pdam")
    return {"admin": (admin, "sandi-admin-foto-123"), "liaison": (liaison, "sandi-unit-foto-123")}


@pytest.fixture(scope="module")
def client(stack_settings, worker):
    with make_client(stack_settings) as c:
        yield c


def noise_png(side: int = 300) -> bytes:
    """A photo that does not compress: its body alone is far over the 64 KiB limit."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, format="PNG")
    return out.getvalue()


def file_with(client, privacy: str, photos: list[tuple[str, bytes]], **extra) -> str:
    complaint = {"text": TEXT, "privacy": privacy, **extra}
    response = client.post(
        "/api/v1/complaints/multipart",
        data={"complaint": json.dumps(complaint)},
        files=[("photos", (name, raw, "image/jpeg")) for name, raw in photos],
    )
    assert response.status_code == 201, response.text
    return response.json()["tracking_id"]


@pytest.fixture(scope="module")
def filed(client, stack_settings):
    """Three complaints with photos, routed and stored by the worker."""
    ids = {
        "public": file_with(
            client,
            "public",
            [("jalan.jpg", jpeg_with_gps()), ("besar.png", noise_png())],
            lat=-7.7128,
            long=110.4123,
        ),
        "anonim": file_with(client, "anonim", [("a.png", image_bytes("PNG"))]),
        "rahasia": file_with(client, "rahasia", [("r.webp", image_bytes("WEBP"))]),
    }
    assert wait_for_cases(stack_settings, list(ids.values()), timeout=120) == 3
    return ids


def test_photos_are_stored_without_metadata_and_referenced_by_the_case(filed, db):
    case = CaseStore(db).cases.find_one({"_id": filed["public"]})
    assert len(case["photo_ids"]) == 2 and (case["lat"], case["long"]) == (-7.7128, 110.4123)
    data, kind = PhotoStore(db).read(case["photo_ids"][0])
    assert kind == "image/jpeg" and b"Exif" not in data and b"KameraHP" not in data
    stored = db["photos.files"].find({"metadata.complaint_id": filed["public"]})
    assert sorted(str(f["_id"]) for f in stored) == sorted(case["photo_ids"])


def test_the_console_serves_photos_only_within_the_case_scope(filed, accounts, stack_settings):
    case_id = filed["rahasia"]  # units see a rahasia complaint's photos; the public never
    with make_client(stack_settings) as admin:
        login(admin, *accounts["admin"])
        photo = admin.get(f"/admin/cases/{case_id}/photos/1")
        assert photo.status_code == 200 and photo.headers["content-type"] == "image/webp"
        assert "no-store" in photo.headers["cache-control"]
        assert admin.get(f"/admin/cases/{case_id}/photos/2").status_code == 404
        page = admin.get(f"/admin/cases/{filed['public']}").text
        assert f'src="/admin/cases/{filed["public"]}/photos/2"' in page
        assert "openstreetmap.org/?mlat=-7.7128&amp;mlon=110.4123" in page
    with make_client(stack_settings) as unit:
        login(unit, *accounts["liaison"])  # a unit in Kalimantan: not its case
        assert unit.get(f"/admin/cases/{case_id}/photos/1").status_code == 404
    with make_client(stack_settings) as nobody:
        assert nobody.get(f"/admin/cases/{case_id}/photos/1").status_code == 303  # to login


def test_open311_media_url_only_for_public_complaints(filed, client, stack_settings):
    public = client.get(f"/open311/v2/requests/{filed['public']}.json").json()[0]
    path = f"/open311/v2/media/{filed['public']}/1"
    # absolute, as the specification's examples are: the site's public address
    assert public["media_url"] == stack_settings.public_url.rstrip("/") + path
    image = client.get(path)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    anonim = client.get(f"/open311/v2/requests/{filed['anonim']}.json").json()[0]
    assert anonim["media_url"] is None
    for which in ("anonim", "rahasia"):
        assert client.get(f"/open311/v2/media/{filed[which]}/1").status_code == 404
    xml = client.get(f"/open311/v2/requests/{filed['public']}.xml").text
    assert (
        f"<media_url>{stack_settings.public_url.rstrip('/')}/open311/v2/media/{filed['public']}/1</media_url>"
        in xml
    )


def test_a_bad_photo_refuses_the_request_and_stores_nothing(client, db):
    before = db["photos.files"].count_documents({})
    response = client.post(
        "/api/v1/complaints/multipart",
        data={"complaint": json.dumps({"text": TEXT})},
        files=[
            ("photos", ("baik.png", image_bytes("PNG"), "image/png")),
            ("photos", ("virus.jpg", b"MZ\x90\x00 bukan gambar", "image/jpeg")),
        ],
    )
    assert response.status_code == 415
    assert "foto 2 (virus.jpg) bukan gambar JPEG, PNG, atau WebP" in response.json()["detail"]
    four = [("photos", (f"{i}.png", image_bytes("PNG"), "image/png")) for i in range(4)]
    response = client.post(
        "/api/v1/complaints/multipart", data={"complaint": json.dumps({"text": TEXT})}, files=four
    )
    assert response.status_code == 422 and "Paling banyak 3 foto" in response.json()["detail"]
    bad_json = client.post("/api/v1/complaints/multipart", data={"complaint": '{"text": ""}'})
    assert bad_json.status_code == 422 and bad_json.json()["errors"][0]["field"].startswith(
        "complaint"
    )
    assert db["photos.files"].count_documents({}) == before


def test_the_body_limit_grows_only_for_multipart_on_photo_routes(client):
    big = "x" * (70 * 1024)
    as_json = client.post(
        "/api/v1/complaints/multipart",
        content=json.dumps({"complaint": big}),
        headers={"content-type": "application/json"},
    )
    assert as_json.status_code == 413
    elsewhere = client.post(
        "/api/v1/complaints", files=[("photos", ("b.png", noise_png(), "image/png"))]
    )
    assert elsewhere.status_code == 413


def test_the_citizen_page_takes_photos_and_keeps_the_form_on_a_bad_one(client, db):
    token = csrf(client, "/")
    form = {"text": TEXT, "region_hint": "Sleman", "privacy": "public", "csrf_token": token}
    bad = client.post(
        "/aduan", data=form, files=[("photos", ("x.png", b"bukan gambar", "image/png"))]
    )
    assert bad.status_code == 415 and "pilih ulang fotonya" in bad.text
    assert TEXT in bad.text and 'value="Sleman"' in bad.text  # nothing typed is lost
    good = client.post("/aduan", data=form, files=[("photos", ("ok.jpg", jpeg_with_gps(), "x"))])
    assert good.status_code == 200
    tracking = re.search(r'id="tracking-id">([^<]+)<', good.text).group(1)
    assert db["photos.files"].count_documents({"metadata.complaint_id": tracking}) == 1
    empty = client.post(  # a form without a chosen file sends an empty part
        "/aduan", data=form, files=[("photos", ("", b"", "application/octet-stream"))]
    )
    assert empty.status_code == 200 and "tracking-id" in empty.text


def test_open311_takes_media_files(client, db):
    from casestore.api_clients import ApiClientStore

    key = ApiClientStore(db).add(unique("foto-app"), "tester")
    response = client.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "jalan_rusak", "lat": "-7.7", "long": "110.4"}
        | {"description": TEXT},
        files=[("media", ("m.jpg", jpeg_with_gps(), "image/jpeg"))],
    )
    assert response.status_code == 200, response.text
    tracking = response.json()[0]["service_request_id"]
    assert db["photos.files"].count_documents({"metadata.complaint_id": tracking}) == 1
    refused = client.post(
        "/open311/v2/requests.xml",
        data={"api_key": key, "service_code": "jalan_rusak", "address_string": "Sleman"}
        | {"description": TEXT},
        files=[("media", ("m.jpg", b"teks", "image/jpeg"))],
    )
    assert refused.status_code == 415 and "<error>" in refused.text


def test_orphan_photos_are_removed_after_72_hours(filed, db):
    photos = PhotoStore(db)
    orphan = photos.put("LPR-000000-NEVERCAS", [check_photo(image_bytes("PNG"))])[0]
    cases = CaseStore(db).cases
    now = datetime.now(UTC)
    assert photos.remove_orphans(cases, now) == 0  # young: its complaint may be in flight
    removed = photos.remove_orphans(cases, now + timedelta(hours=73))
    assert removed >= 1 and photos.read(orphan) is None
    kept = cases.find_one({"_id": filed["public"]})["photo_ids"]
    assert all(photos.read(i) is not None for i in kept)
