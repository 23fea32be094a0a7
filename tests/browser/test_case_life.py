"""The case's whole life in a real headless Chromium (issue 14): a citizen files on
``/``, an admin dispatches from triage, the unit's liaison answers with a
template, the citizen disputes on ``/lacak``, the liaison answers again, the
citizen confirms and rates, and the unit's figures on ``/admin/kinerja`` change;
the liaison's attempt to re-route is refused."""

from __future__ import annotations

import re
import uuid

import pytest

from casestore.users import UserStore
from lapor.operations import wait_for_cases
from tests.browser.test_console import (  # noqa: F401 - fixtures
    CHROMEDRIVER,
    CHROMIUM,
    browser,
    click_and_wait,
    db,
    login,
    redispatch,
    server,
)

pytestmark = pytest.mark.integration
if not (CHROMIUM and CHROMEDRIVER):
    pytestmark = [pytestmark, pytest.mark.skipif(True, reason="chromium is not installed")]

RUN = uuid.uuid4().hex[:4]
ADMIN, LIAISON, PASSWORD = f"life{RUN}-admin", f"life{RUN}-pdam", f"sandi-life-{RUN}-kuat!"
SLEMAN_PDAM = "kabupaten_kota:34.04:pdam"


@pytest.fixture(scope="module")
def accounts(db):  # noqa: F811
    users = UserStore(db)
    users.create(ADMIN, PASSWORD, "national_admin")
    users.create(LIAISON, PASSWORD, "agency_liaison", SLEMAN_PDAM)
    return users


def unit_row(browser, server):  # noqa: F811
    """The PDAM Sleman row of the unit ranking: (satisfaction count, row text)."""
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/admin/kinerja?by=unit")
    for row in browser.find_elements(By.CSS_SELECTOR, "#kinerja tr"):
        if "Sleman" in row.text and "PDAM" in row.text.upper():
            cell = row.find_element(By.CLASS_NAME, "satisfaction").text
            count = int(re.search(r"\((\d+)\)", cell).group(1)) if "(" in cell else 0
            return count, row.text
    return 0, ""


def test_the_case_life_from_filing_to_rating(
    browser,  # noqa: F811
    server,  # noqa: F811
    accounts,
    stack_settings,
    worker,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    # the citizen files on / (no region: the hub must dispatch it)
    browser.get(f"{server}/")
    browser.find_element(By.ID, "text").send_keys(
        f"Air PDAM tidak mengalir sudah tiga hari di rumah kami, tolong segera ({RUN})"
    )
    click_and_wait(browser, browser.find_element(By.ID, "kirim"))
    tracking = browser.find_element(By.ID, "tracking-id").text
    # the receipt's token is the reporter's key to act on the case; its link carries it
    key = browser.find_element(By.ID, "secret-token").text
    follow = browser.find_element(By.ID, "follow-link").get_attribute("href")
    assert follow.endswith(f"/lacak?id={tracking}&token={key}")
    assert wait_for_cases(stack_settings, [tracking], timeout=120) == 1

    # the admin writes a template, notes the unit's figures, dispatches the case
    login(browser, server, ADMIN, PASSWORD)
    browser.get(f"{server}/admin/templat")
    Select(browser.find_element(By.ID, "t-agency")).select_by_value("pdam")
    browser.find_element(By.ID, "t-title").send_keys(f"Gangguan pipa {RUN}")
    browser.find_element(By.ID, "t-body").send_keys("Pipa sudah diperbaiki petugas kami hari ini.")
    click_and_wait(browser, browser.find_element(By.ID, "template-submit"))
    assert f"Gangguan pipa {RUN}" in browser.find_element(By.ID, "templates").text
    rated_before, row_before = unit_row(browser, server)
    assert browser.find_elements(By.CSS_SELECTOR, "#chart-score svg, #chart-score p")

    browser.get(f"{server}/admin/cases/{tracking}")
    redispatch(browser, "pdam", "air_bersih_mati", "Kabupaten Sleman", "Pelapor di Sleman")
    assert browser.find_element(By.ID, "case-status").text == "Terdisposisi"

    # the liaison cannot re-route (no form; a forged post is refused), it answers
    browser.delete_all_cookies()
    login(browser, server, LIAISON, PASSWORD)
    browser.get(f"{server}/admin/cases/{tracking}")
    assert not browser.find_elements(By.ID, "override-form")
    browser.execute_script(
        """const f = document.createElement('form'); f.method = 'post';
        f.action = arguments[0];
        for (const [k, v] of Object.entries(arguments[1])) {
          const i = document.createElement('input'); i.name = k; i.value = v; f.appendChild(i);
        }
        document.body.appendChild(f); f.submit();""",
        f"/admin/cases/{tracking}/override",
        {
            "csrf_token": browser.find_element(By.NAME, "csrf_token").get_attribute("value"),
            "agency": "pdam",
            "topic": "air_bersih_mati",
            "tier": "kabupaten_kota",
            "region": "Kabupaten Bantul",
            "reason": "pindahkan",
        },
    )
    browser.find_element(By.TAG_NAME, "body")
    assert "tidak dapat mengalihkan" in browser.page_source

    browser.get(f"{server}/admin/cases/{tracking}")
    Select(browser.find_element(By.ID, "an-template")).select_by_visible_text(
        f"Gangguan pipa {RUN}"
    )
    text = browser.find_element(By.ID, "an-text").get_attribute("value")
    assert text == "Pipa sudah diperbaiki petugas kami hari ini."  # the template, to edit
    click_and_wait(browser, browser.find_element(By.ID, "answer-submit"))
    assert browser.find_element(By.ID, "case-status").text == "Ditindaklanjuti"

    # the citizen disputes on /lacak
    browser.delete_all_cookies()
    browser.get(f"{server}/lacak?id={tracking}&token={key}")
    assert "Pipa sudah diperbaiki" in browser.find_element(By.ID, "answers").text
    browser.find_element(By.ID, "reason").send_keys("Air masih belum mengalir di gang kami")
    click_and_wait(browser, browser.find_element(By.ID, "dispute-submit"))
    assert browser.find_element(By.ID, "status").text == "Dibuka kembali"
    assert "Sanggahan terkirim" in browser.find_element(By.ID, "message").text

    # the liaison sees the dispute and answers again
    login(browser, server, LIAISON, PASSWORD)
    browser.get(f"{server}/admin/cases/{tracking}")
    assert "Dibuka kembali 1×" in browser.find_element(By.ID, "reopened").text
    browser.find_element(By.ID, "an-text").send_keys("Katup di gang Anda sudah dibuka kembali.")
    click_and_wait(browser, browser.find_element(By.ID, "answer-submit"))
    assert browser.find_element(By.ID, "case-status").text == "Ditindaklanjuti"

    # the citizen confirms and rates
    browser.delete_all_cookies()
    browser.get(f"{server}/lacak?id={tracking}&token={key}")
    assert "Katup di gang" in browser.find_element(By.ID, "answers").text
    click_and_wait(browser, browser.find_element(By.ID, "confirm-submit"))
    assert browser.find_element(By.ID, "status").text == "Selesai"
    Select(browser.find_element(By.ID, "score")).select_by_value("5")
    browser.find_element(By.ID, "comment").send_keys("Akhirnya beres, terima kasih")
    click_and_wait(browser, browser.find_element(By.ID, "rating-submit"))
    assert "5/5" in browser.find_element(By.ID, "rating").text
    assert not browser.find_elements(By.ID, "rating-form")  # once per case

    # the unit's figures changed
    login(browser, server, ADMIN, PASSWORD)
    rated_after, row_after = unit_row(browser, server)
    assert rated_after == rated_before + 1 and row_after != row_before
    rects = browser.find_elements(By.CSS_SELECTOR, "#chart-satisfaction rect.bar-value")
    assert any("Sleman" in r.get_attribute("data-label") for r in rects)
    csp = [e["message"] for e in browser.get_log("browser") if "Content Security" in e["message"]]
    assert not csp, csp
