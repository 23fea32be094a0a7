"""Web security on the real stack: role scoping on every admin route, CSRF,
session expiry, rate limiting, headers, escaping. Sessions, login throttling and
passwords have their own files in tests/security/."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient

from casestore.store import CaseStore, connect
from casestore.users import UserStore
from lapor import stack
from lapor.operations import submit_records, wait_for_cases
from web.main import create_app

pytestmark = pytest.mark.integration


def make_client(settings, client_address: str = "testclient", **overrides) -> TestClient:
    endpoints = stack.endpoints(settings)
    app = create_app(
        settings.model_copy(update=overrides), endpoints.kafka_bootstrap, endpoints.mongodb_uri
    )
    return TestClient(app, follow_redirects=False, client=(client_address, 50000))


def csrf(client: TestClient, path: str = "/login") -> str:
    html = client.get(path).text
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client: TestClient, username: str, password: str):
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf(client)}
    )


@pytest.fixture(scope="module")
def users(stack_settings):
    db = connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    store = UserStore(db)
    store.create("sec-admin", "sandi-admin-123", "national_admin")
    store.create("sec-liaison", "sandi-liaison-1", "agency_liaison", "kabupaten_kota:34.04:pdam")
    store.create("sec-coord", "sandi-koord-123", "regional_coordinator", "35")
    return store


@pytest.fixture(scope="module")
def foreign_case(stack_settings, worker):
    """A case in Kalimantan Selatan: outside the liaison's unit and the coordinator's province."""
    ids = submit_records(
        stack_settings,
        [{"id": "SEC-FOREIGN", "text": "<b>Jalan</b> rusak di Kab. Banjar <script>x</script>"}],
        progress=False,
    )
    assert wait_for_cases(stack_settings, ids, timeout=120) == 1
    return ids[0]


def flatten(routes):
    for route in routes:
        inner = getattr(route, "original_router", None) or getattr(route, "routes", None)
        if inner is not None and not hasattr(route, "endpoint"):
            yield from flatten(getattr(inner, "routes", inner))
        else:
            yield route


@pytest.fixture(scope="module")
def app_routes(stack_settings):
    """Every console route the app serves, found by walking the app (so a new route
    is covered without editing this test)."""
    client = make_client(stack_settings)
    routes = [r for r in flatten(client.app.routes) if getattr(r, "path", "").startswith("/admin")]
    assert len(routes) >= 8, [r.path for r in routes]
    return routes


def test_every_admin_route_needs_a_login(stack_settings, app_routes, foreign_case):
    client = make_client(stack_settings)
    with client:
        for route in app_routes:
            path = route.path.replace("{case_id}", foreign_case).replace("{number}", "1")
            for method in route.methods - {"HEAD"}:
                r = client.request(method, path)
                assert r.status_code in (303, 403), (method, path, r.status_code)
                if method == "GET":
                    home = route.path == "/admin"  # itself only a redirect to the queue
                    assert r.headers["location"] == ("/admin/triage" if home else "/login")


@pytest.mark.parametrize(
    "username, password", [("sec-liaison", "sandi-liaison-1"), ("sec-coord", "sandi-koord-123")]
)
def test_lower_roles_cannot_reach_a_foreign_case_on_any_route(
    stack_settings, users, foreign_case, app_routes, username, password
):
    with make_client(stack_settings) as client:
        assert login(client, username, password).status_code == 303
        token = csrf(client, "/admin/triage")
        case_routes = [r for r in app_routes if "{case_id}" in r.path]
        assert len(case_routes) >= 3
        for route in case_routes:
            path = route.path.replace("{case_id}", foreign_case).replace("{number}", "1")
            for method in route.methods - {"HEAD"}:
                data = {
                    "csrf_token": token,
                    "agency": "pdam",
                    "topic": "air_bersih_mati",
                    "tier": "kabupaten_kota",
                    "reason": "coba",
                    "to": "terverifikasi",
                }
                r = client.request(method, path, data=data if method == "POST" else None)
                assert r.status_code == 404, (username, method, path, r.status_code)
        assert foreign_case not in client.get("/admin/cases").text
        assert foreign_case not in client.get("/admin/triage").text
        dash = client.get("/admin/dashboard").text
        store = CaseStore(
            connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
        )
        own = store.count(users.get(username).case_filter())
        assert f'id="total">{own}<' in dash


def test_national_admin_sees_the_foreign_case_escaped(stack_settings, users, foreign_case):
    with make_client(stack_settings) as client:
        login(client, "sec-admin", "sandi-admin-123")
        page = client.get(f"/admin/cases/{foreign_case}").text
        assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page


def test_forms_without_csrf_token_are_refused(stack_settings, users, foreign_case):
    with make_client(stack_settings) as client:
        r = client.post("/login", data={"username": "sec-admin", "password": "sandi-admin-123"})
        assert r.status_code == 403
        login(client, "sec-admin", "sandi-admin-123")
        r = client.post(
            f"/admin/cases/{foreign_case}/status",
            data={"to": "terverifikasi", "reason": "x", "csrf_token": "forged"},
        )
        assert r.status_code == 403


def test_session_cookie_flags_and_expiry(stack_settings, users):
    with make_client(stack_settings, session_hours=1 / 3600) as client:  # one second
        r = login(client, "sec-admin", "sandi-admin-123")
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert client.get("/admin/triage").status_code == 200
        time.sleep(2.2)
        r = client.get("/admin/triage")
        assert r.status_code == 303 and r.headers["location"] == "/login"


def test_public_intake_is_rate_limited(stack_settings):
    with make_client(stack_settings, intake_rate_per_minute=3) as client:
        codes = [
            client.post("/api/v1/complaints", json={"text": f"jalan rusak {i}"}).status_code
            for i in range(4)
        ]
        assert codes == [201, 201, 201, 429]
        r = client.post("/api/v1/complaints", json={"text": "lagi"})
        assert int(r.headers["retry-after"]) >= 1 and "coba lagi" in r.json()["detail"]


def test_rate_limit_is_shared_by_web_processes(stack_settings):
    """Two app instances (two web processes behind a balancer) share one window."""
    a = make_client(stack_settings, "198.51.100.7", intake_rate_per_minute=3)
    b = make_client(stack_settings, "198.51.100.7", intake_rate_per_minute=3)
    with a, b:
        codes = [
            client.post("/api/v1/complaints", json={"text": f"lampu jalan mati {i}"}).status_code
            for i, client in enumerate([a, b, a, b])
        ]
    assert codes == [201, 201, 201, 429]


def test_unreachable_rate_limit_storage_falls_back_to_a_per_process_limit(stack_settings, caplog):
    """Intake goes on when the shared storage is down, still limited, logged once."""
    dead = f"mongodb://127.0.0.1:{stack.free_port()}"
    with make_client(
        stack_settings, "198.51.100.8", intake_rate_per_minute=2, rate_limit_storage=dead
    ) as client:
        codes = [
            client.post("/api/v1/complaints", json={"text": f"sampah menumpuk {i}"}).status_code
            for i in range(3)
        ]
    assert codes == [201, 201, 429]
    outage = [r for r in caplog.records if "rate-limit storage unreachable" in r.getMessage()]
    assert len(outage) == 1


def test_security_headers_on_console_pages(stack_settings):
    with make_client(stack_settings) as client:
        r = client.get("/login")
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in r.headers["content-security-policy"]


def test_console_filters_and_override_form_offer_the_whole_contract(
    stack_settings, users, foreign_case
):
    """Taxonomy v2: the agency filter and the override form come from the contract
    (39 agencies, 62 topics), so an admin can send a case to Imigrasi or OJK."""
    from core.taxonomy import taxonomy

    tax = taxonomy()
    with make_client(stack_settings) as client:
        assert login(client, "sec-admin", "sandi-admin-123").status_code == 303
        listing = client.get("/admin/cases").text
        detail = client.get(f"/admin/cases/{foreign_case}").text
    offered = set(re.findall(r'<option value="([a-z0-9_]+)"', listing))
    assert set(tax.agencies) <= offered, sorted(set(tax.agencies) - offered)
    in_form = set(re.findall(r'<option value="([a-z0-9_]+)"', detail))
    assert set(tax.agencies) | set(tax.topics) <= in_form
    assert len(tax.agencies) == 39 and len(tax.topics) == 62
