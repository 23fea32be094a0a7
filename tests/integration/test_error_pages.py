"""Refusals and unknown pages as pages in a browser, JSON for programs: an admin
or liaison reads the reason in Indonesian in the console's look; API clients
keep their JSON bodies."""

from __future__ import annotations

import pytest

from casestore.store import connect
from casestore.users import UserStore
from lapor import stack
from tests.integration.test_security import csrf, login, make_client

pytestmark = pytest.mark.integration

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # what a browser sends


@pytest.fixture(scope="module")
def accounts(stack_settings):
    store = UserStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )
    store.create("err-admin", "sandi-admin-err1", "national_admin")
    store.create("err-liaison", "sandi-liaison-err", "agency_liaison", "kabupaten_kota:34.04:pdam")


def test_an_unknown_case_is_a_page_for_a_browser_and_json_for_a_program(stack_settings, accounts):
    with make_client(stack_settings) as client:
        assert login(client, "err-admin", "sandi-admin-err1").status_code == 303
        page = client.get("/admin/cases/TIDAK-ADA-0001", headers=HTML)
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert '<h1 id="error-title">Tidak ditemukan</h1>' in page.text
        assert "Aduan tidak ditemukan." in page.text and 'href="/admin/triage"' in page.text
        assert page.headers["content-security-policy"]  # the console's headers still apply

        data = client.get("/admin/cases/TIDAK-ADA-0001", headers={"accept": "application/json"})
        assert data.status_code == 404 and data.json() == {"detail": "Aduan tidak ditemukan."}


def test_a_refused_action_says_why_on_a_page(stack_settings, accounts):
    with make_client(stack_settings) as client:
        assert login(client, "err-liaison", "sandi-liaison-err").status_code == 303
        page = client.get("/admin/templat", headers=HTML)
        assert page.status_code == 403
        assert '<h1 id="error-title">Akses ditolak</h1>' in page.text
        assert "Hanya admin nasional dan koordinator wilayah" in page.text


def test_a_bad_form_and_an_unknown_address_in_indonesian(stack_settings, accounts):
    with make_client(stack_settings) as client:
        assert login(client, "err-admin", "sandi-admin-err1").status_code == 303
        token = csrf(client, "/admin/triage")
        bad = client.post(
            "/admin/cases/TIDAK-ADA-0001/override", data={"csrf_token": token}, headers=HTML
        )
        assert bad.status_code == 422
        assert '<h1 id="error-title">Isian tidak valid</h1>' in bad.text
        assert "Permintaan tidak dapat diterima." in bad.text and "wajib diisi" in bad.text

        lost = client.get("/admin/tidak-ada", headers=HTML)
        assert lost.status_code == 404 and "Halaman yang Anda cari tidak ada." in lost.text
        assert client.get("/tidak-ada", headers=HTML).text.count('href="/"') >= 1


def test_machine_interfaces_keep_json_whatever_they_accept(stack_settings):
    with make_client(stack_settings) as client:
        api = client.get("/api/v1/complaints/TIDAK-ADA-0001", headers=HTML)
        assert api.status_code == 404 and api.headers["content-type"] == "application/json"
        bad = client.post("/api/v1/complaints", json={"text": ""}, headers=HTML)
        assert bad.status_code == 422 and bad.json()["errors"]
