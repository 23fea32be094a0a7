"""A request body over the limit answers 413, also when it is streamed in chunks
without a Content-Length (issue 15): the limit is counted on the bytes received,
whatever the route does with them. The body goes through the real ASGI app."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from tests.security.console import make_client

pytestmark = pytest.mark.integration
LIMIT = 4096


def chunks(total: int, size: int = 1024):
    """A JSON complaint of about ``total`` bytes, sent as a generator: chunked."""
    body = json.dumps({"text": "jalan rusak " * (total // 12)}).encode()
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.parametrize(
    "path, kind",
    [
        ("/api/v1/complaints", "application/json"),
        ("/api/v1/sms", "application/json"),  # read whole before its signature is checked
        ("/login", "application/x-www-form-urlencoded"),
        ("/login", "multipart/form-data; boundary=x"),
    ],
)
def test_a_chunked_body_over_the_limit_is_413(stack_settings, path, kind):
    with make_client(
        stack_settings, max_body_bytes=LIMIT, sms_secret=SecretStr("k" * 32)
    ) as client:
        r = client.post(path, content=chunks(LIMIT * 4), headers={"content-type": kind})
        assert "content-length" not in r.request.headers  # really streamed
        assert r.request.headers.get("transfer-encoding") == "chunked"
        assert r.status_code == 413, r.text
        assert "terlalu besar" in r.json()["detail"]


def test_an_announced_body_over_the_limit_is_413(stack_settings):
    with make_client(stack_settings, max_body_bytes=LIMIT) as client:
        body = b"".join(chunks(LIMIT * 4))
        r = client.post(
            "/api/v1/complaints", content=body, headers={"content-type": "application/json"}
        )
        assert r.status_code == 413


def test_a_chunked_body_under_the_limit_is_read_whole(stack_settings):
    with make_client(stack_settings, max_body_bytes=LIMIT) as client:
        r = client.post(
            "/api/v1/complaints",
            content=chunks(LIMIT // 2, size=100),
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 201, r.text
