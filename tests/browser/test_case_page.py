"""The console's case page in Chromium: location, photos, related complaints, merge
and split (real broker, worker, store and web server)."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from casestore.store import CaseStore
from casestore.users import UserStore
from lapor.operations import wait_for_cases
from tests.browser.test_console import click_and_wait, login, pytestmark  # noqa: F401
from tests.photos_util import image_bytes, jpeg_with_gps

TEXT = (
    "Lampu penerangan jalan mati total di Jalan Magelang km 7 Kabupaten Sleman sejak lima "
    "hari, malam hari gelap gulita dan rawan begal. Mohon segera diperbaiki."
)


def file(server: str, text: str, photos: list[tuple[str, bytes]]) -> str:
    complaint = {"text": text, "lat": -7.7417, "long": 110.3619}
    response = httpx.post(
        f"{server}/api/v1/complaints/multipart",
        data={"complaint": json.dumps(complaint)},
        files=[("photos", p) for p in photos],
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()["tracking_id"]


@pytest.fixture(scope="module")
def pair(server, db, stack_settings):
    """Two reports of one broken street light, linked by the worker."""
    first = file(server, TEXT, [("a.jpg", jpeg_with_gps()), ("b.png", image_bytes("PNG"))])
    assert wait_for_cases(stack_settings, [first], timeout=120) == 1
    second = file(server, "Selamat malam. " + TEXT, [])
    assert wait_for_cases(stack_settings, [second], timeout=120) == 1
    cases = CaseStore(db).cases
    deadline = time.monotonic() + 120  # linking runs behind storing
    while time.monotonic() < deadline:
        if second in (cases.find_one({"_id": first}).get("related") or []):
            return first, second
        time.sleep(0.5)
    raise AssertionError("the worker did not link the pair")


@pytest.fixture(scope="module")
def admin(db):
    UserStore(db).create("gabung-admin", "kata-sandi-gabung-1", "national_admin")
    return "gabung-admin", "kata-sandi-gabung-1"


def test_case_page_shows_location_photos_and_merges_and_splits(
    browser, server, pair, admin, db, stack_settings
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    first, second = pair
    third = file(server, "Lampu jalan di depan rumah saya mati, Kabupaten Sleman", [])
    assert wait_for_cases(stack_settings, [third], timeout=120) == 1
    login(browser, server, *admin)
    browser.get(f"{server}/admin/cases/{first}")
    assert browser.find_element(By.ID, "latlong").text == "-7.741700, 110.361900"
    osm = browser.find_element(By.ID, "osm-link").get_attribute("href")
    assert osm.startswith("https://www.openstreetmap.org/?mlat=-7.7417&mlon=110.3619")
    thumbs = browser.find_elements(By.CSS_SELECTOR, "#photos img.thumb")
    assert len(thumbs) == 2
    loaded = [browser.execute_script("return arguments[0].naturalWidth", t) for t in thumbs]
    assert all(width > 0 for width in loaded), loaded  # served through the scoped route
    card = browser.find_element(By.ID, "related-card")
    assert "1 aduan terkait" in card.text and second in card.text

    # a number outside everything: refused, in Indonesian, nothing merged
    browser.find_element(By.ID, "merge-numbers").send_keys("LPR-000000-TIDAKADA")
    browser.find_element(By.ID, "merge-reason").send_keys("lampu yang sama")
    click_and_wait(browser, browser.find_element(By.ID, "merge-submit"))
    assert "LPR-000000-TIDAKADA tidak ditemukan" in browser.find_element(By.ID, "error").text
    # the related one ticked, and a re-report the linker did not relate typed in
    browser.find_element(By.CSS_SELECTOR, f'input.merge-choice[value="{second}"]').click()
    browser.find_element(By.ID, "merge-numbers").send_keys(f" {third} ")
    browser.find_element(By.ID, "merge-reason").send_keys("lampu yang sama")
    click_and_wait(browser, browser.find_element(By.ID, "merge-submit"))
    table = browser.find_element(By.ID, "related-table").text
    assert table.count("digabung ke aduan ini") == 2 and third in table

    status = Select(browser.find_element(By.ID, "s-to"))
    status.select_by_index(0)
    browser.find_element(By.ID, "s-reason").send_keys("Petugas PJU sudah dijadwalkan")
    click_and_wait(browser, browser.find_element(By.ID, "status-submit"))
    cases = CaseStore(db).cases
    primary, merged = cases.find_one({"_id": first}), cases.find_one({"_id": second})
    assert merged["merged_into"] == first and merged["status"] == primary["status"]
    assert cases.find_one({"_id": third})["merged_into"] == first
    browser.get(f"{server}/lacak?id={second}")  # the second citizen reads the answer
    assert "Petugas PJU sudah dijadwalkan" in browser.find_element(By.TAG_NAME, "body").text

    browser.get(f"{server}/admin/cases/{second}")
    assert first in browser.find_element(By.ID, "merged-into").text
    browser.find_element(By.ID, "split-reason").send_keys("ternyata lampu lain")
    click_and_wait(browser, browser.find_element(By.ID, "split-submit"))
    assert not browser.find_elements(By.ID, "merged-into")
    assert "merged_into" not in cases.find_one({"_id": second})
    kinds = [a["kind"] for a in db["audit"].find({"case_id": second})]
    assert kinds.count("merge") == 1 and kinds.count("split") == 1
