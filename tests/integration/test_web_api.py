"""Public API on the real stack: intake, 422s, size limit, confidential lookups, SMS."""

from __future__ import annotations

import json

import pytest

from lapor.operations import wait_for_cases
from tests.conftest import SMS_SECRET
from tests.security.sms import signed

pytestmark = pytest.mark.integration


def test_submit_then_follow_the_complaint(web_client, stack_settings):
    r = web_client.post(
        "/api/v1/complaints",
        json={
            "text": "Air PDAM mati tiga hari di Kabupaten Sleman",
            "privacy": "public",
            "reporter": {"name": "Budi", "phone": "081234567890", "nik": "3404011508950001"},
        },
    )
    assert r.status_code == 201, r.text
    tracking = r.json()["tracking_id"]
    # a public complaint's token is its reporter's key to act on it (its id is public)
    assert r.json()["secret_token"]
    assert wait_for_cases(stack_settings, [tracking], timeout=120) == 1
    got = web_client.get(f"/api/v1/complaints/{tracking}")
    assert got.status_code == 200
    body = got.json()
    assert body["status"] in ("terdisposisi", "menunggu_verifikasi")
    assert body["history"]
    dumped = json.dumps(body)
    assert "Budi" not in dumped and "0812" not in dumped and "3404011508950001" not in dumped


def test_confidential_complaint_needs_its_token(web_client, stack_settings):
    r = web_client.post(
        "/api/v1/complaints",
        json={"text": "Kepala desa minta uang BLT di Kab. Garut", "privacy": "rahasia"},
    )
    tracking, token = r.json()["tracking_id"], r.json()["secret_token"]
    assert token
    assert wait_for_cases(stack_settings, [tracking], timeout=120) == 1
    assert web_client.get(f"/api/v1/complaints/{tracking}").status_code == 404
    assert web_client.get(f"/api/v1/complaints/{tracking}?token=wrong").status_code == 404
    ok = web_client.get(f"/api/v1/complaints/{tracking}", headers={"x-lapor-token": token})
    assert ok.status_code == 200 and ok.json()["tracking_id"] == tracking


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "ok", "privacy": "secret"}, "privacy"),
        ({"text": "ok", "colour": "red"}, "colour"),
        ({"text": 42}, "text"),
        ({"text": "ok", "reporter": {"nik": "123"}}, "reporter.nik"),
        ({"text": "\u200b\u200b\u200d"}, "text"),  # only zero-width characters
        ({"text": "\x00\x07 \t"}, "text"),  # only control characters and spaces
    ],
)
def test_validation_errors_are_readable(web_client, payload, field):
    r = web_client.post("/api/v1/complaints", json=payload)
    assert r.status_code == 422
    assert any(e["field"] == field for e in r.json()["errors"]), r.json()
    detail = r.json()["detail"]
    assert field in detail and detail.startswith("Permintaan tidak dapat diterima.")
    english = ("Field required", "should be", "Extra inputs", "Value error", "String should")
    assert not any(word in detail for word in english), detail  # Indonesian for citizens


def test_oversized_body_is_refused(web_client):
    r = web_client.post(
        "/api/v1/complaints",
        content=json.dumps({"text": "a" * 200_000}),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    assert "terlalu besar" in r.json()["detail"]


def test_sms_gateway_uses_the_same_intake(web_client, stack_settings):
    r = web_client.post(
        "/api/v1/sms",
        **signed(
            SMS_SECRET, {"from": "081299990000", "message": "BANJAR jln rusak parah di desa sungai"}
        ),
    )
    assert r.status_code == 200
    tracking = r.json()["tracking_id"]
    assert tracking in r.json()["reply"]
    assert wait_for_cases(stack_settings, [tracking], timeout=120) == 1
    from casestore.store import CaseStore, connect
    from lapor import stack

    store = CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )
    case = store.cases.find_one({"_id": tracking})
    assert case["channel"] == "sms"
    assert case["decision"]["regency_code"] == "63.03"
    assert case["reporter_sealed"] and "081299990000" not in json.dumps(case, default=str)


def test_openapi_and_security_headers(web_client):
    r = web_client.get("/openapi.json")
    assert r.status_code == 200 and "/api/v1/complaints" in r.json()["paths"]
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
