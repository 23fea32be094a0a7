"""Open311 GeoReport v2 on the real stack: services from the taxonomy, a request
through intake and the worker, the public read with its filters, JSON and XML,
errors in the specification's format."""

from __future__ import annotations

import json
import subprocess
import sys
from xml.etree import ElementTree

import pytest

from casestore.api_clients import ApiClientStore
from casestore.store import connect
from core.taxonomy import taxonomy
from lapor import stack
from lapor.operations import wait_for_cases

pytestmark = pytest.mark.integration
BASE = "/open311/v2"
# the fields of the specification's documented examples (GeoReport v2)
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
POST_FIELDS = {"service_request_id", "service_notice", "account_id"}


@pytest.fixture(scope="module")
def clients(stack_settings):
    store = ApiClientStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )
    store.ensure_indexes()
    return store


@pytest.fixture(scope="module")
def api_key(clients):
    return clients.add("aplikasi-warga-uji", created_by="nasional")


def _post(web_client, api_key, **fields):
    form = {
        "api_key": api_key,
        "service_code": "jalan_rusak",
        "description": "Jalan berlubang besar di depan SD, hubungi saya 0812-3456-7890",
        "lat": "-7.7156",
        "long": "110.3556",
        "address_string": "Kabupaten Sleman",
        "first_name": "Budi",
        "last_name": "Santoso",
        **fields,
    }
    return web_client.post(f"{BASE}/requests.json", data=form)


def test_services_are_the_taxonomy_topics_in_json_and_xml(web_client):
    services = web_client.get(f"{BASE}/services.json").json()
    tax = taxonomy()
    assert len(services) == len(tax.topics) == 62
    assert all(set(s) == SERVICE_FIELDS for s in services)
    passport = next(s for s in services if s["service_code"] == "paspor_izin_tinggal")
    assert passport["group"] == tax.agencies["imigrasi"].name
    assert passport["type"] == "realtime" and passport["metadata"] is False
    xml = web_client.get(f"{BASE}/services.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "services" and len(root.findall("service")) == 62
    assert {child.tag for child in root.find("service")} == SERVICE_FIELDS


def test_a_service_definition_and_errors_in_the_spec_format(web_client):
    ok = web_client.get(f"{BASE}/services/listrik_padam.json").json()
    assert ok == {"service_code": "listrik_padam", "attributes": []}
    missing = web_client.get(f"{BASE}/services/tidak_ada.json")
    assert missing.status_code == 404
    assert [set(e) for e in missing.json()] == [{"code", "description"}]
    xml = web_client.get(f"{BASE}/services/tidak_ada.xml")
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "errors" and root.find("error/code").text == "404"
    assert web_client.get(f"{BASE}/services.yaml").status_code == 404


def test_a_request_needs_a_valid_api_key(web_client, clients):
    refused = _post(web_client, "bukan-kunci")
    assert refused.status_code == 403 and "api_key" in refused.json()[0]["description"]
    key = clients.add("klien-dicabut", created_by="nasional")
    clients.revoke("klien-dicabut")
    assert _post(web_client, key).status_code == 403


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"service_code": "tidak_ada"}, "service_code"),
        ({"lat": "", "long": "", "address_string": ""}, "lokasi"),
        ({"lat": "utara"}, "lat"),
        ({"description": "  "}, "description"),
        ({"attribute[privacy]": "rahasia sekali"}, "privacy"),
    ],
)
def test_bad_requests_are_400_in_indonesian(web_client, api_key, fields, words):
    answer = _post(web_client, api_key, **fields)
    assert answer.status_code == 400 and words in answer.json()[0]["description"]


def test_a_request_becomes_a_case_and_reads_back_masked(web_client, api_key, stack_settings):
    posted = _post(web_client, api_key)
    assert posted.status_code == 200, posted.text
    (receipt,) = posted.json()
    assert set(receipt) == POST_FIELDS
    request_id = receipt["service_request_id"]
    assert wait_for_cases(stack_settings, [request_id], timeout=120) == 1

    (found,) = web_client.get(f"{BASE}/requests/{request_id}.json").json()
    assert set(found) == REQUEST_FIELDS
    assert found["status"] == "open" and found["service_code"] == "jalan_rusak"
    assert "0812-3456-7890" not in found["description"] and "<telepon>" in found["description"]
    assert (found["lat"], found["long"]) == (-7.7156, 110.3556)
    assert found["agency_responsible"] and found["requested_datetime"].endswith("+07:00")
    xml = ElementTree.fromstring(web_client.get(f"{BASE}/requests/{request_id}.xml").content)
    assert xml.tag == "service_requests" and xml.find("request/service_request_id").text == (
        request_id
    )

    listed = web_client.get(f"{BASE}/requests.json?service_code=jalan_rusak&status=open").json()
    assert request_id in {r["service_request_id"] for r in listed}
    closed = web_client.get(f"{BASE}/requests.json?service_code=jalan_rusak&status=closed").json()
    assert request_id not in {r["service_request_id"] for r in closed}
    later = web_client.get(f"{BASE}/requests.json?start_date=2099-01-01T00:00:00Z").json()
    assert later == []
    by_id = web_client.get(f"{BASE}/requests.json?service_request_id={request_id},nope").json()
    assert [r["service_request_id"] for r in by_id] == [request_id]


def test_a_confidential_request_is_never_public(web_client, api_key, stack_settings):
    posted = _post(web_client, api_key, **{"attribute[privacy]": "rahasia"})
    (receipt,) = posted.json()
    assert "token" in receipt["service_notice"]  # the reporter's only way to follow it
    request_id = receipt["service_request_id"]
    assert wait_for_cases(stack_settings, [request_id], timeout=120) == 1
    assert web_client.get(f"{BASE}/requests/{request_id}.json").status_code == 404
    listed = web_client.get(f"{BASE}/requests.json?service_code=jalan_rusak").json()
    assert request_id not in {r["service_request_id"] for r in listed}


def test_lapor_open311_add_client_prints_a_key_that_works(web_client, stack_env):
    run = subprocess.run(
        [sys.executable, "-m", "lapor.cli", "open311", "add-client", "klien-cli", "--by", "nas"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    key = json.loads(run.stdout)["api_key"]
    assert _post(web_client, key).status_code == 200
