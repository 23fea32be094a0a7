"""No redirect is built from the request's Host header (issue 15): a request with
``Host: evil.example`` must never answer with a Location on evil.example (cache
poisoning, password-reset-style phishing links)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.security.console import make_client

pytestmark = pytest.mark.integration
EVIL = "evil.example"

PATHS = [
    "/",
    "/admin",
    "/admin/triage",
    "/admin/triage/",
    "/admin/cases/LPR-000000-AAAAAAAA/",
    "/api/v1/complaints/",
    "/api/v1/sms/",
    "/login/",
    "/docs/",
    "/docs/assets",
]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", PATHS)
def test_no_location_points_at_the_host_header(stack_settings, path, method):
    with make_client(stack_settings) as client:
        for host in (EVIL, f"{EVIL}:8443"):
            r = client.request(method, path, headers={"host": host})
            location = r.headers.get("location")
            if location is None:
                continue
            assert EVIL not in location, (path, location)
            assert not urlsplit(location).netloc, (path, location)  # same-site paths only
