"""The admin console in a real headless Chromium (Debian chromium + chromedriver)."""

from __future__ import annotations

import json
import shutil
import threading
import time

import pytest
from kafka import KafkaConsumer

from casestore.store import CaseStore, connect
from casestore.users import UserStore
from lapor import stack
from lapor.operations import submit_records, wait_for_cases
from lapor.stack import free_port

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):  # .ci/run installs both; say so plainly elsewhere
    pytestmark = [
        pytestmark,
        pytest.mark.skipif(
            True,
            reason="Debian chromium and "
            "chromium-driver are not installed (apt-get install chromium chromium-driver)",
        ),
    ]


@pytest.fixture(scope="module")
def server(stack_settings, worker):
    import uvicorn

    from web.main import create_app

    endpoints = stack.endpoints(stack_settings)
    port = free_port()
    app = create_app(stack_settings, endpoints.kafka_bootstrap, endpoints.mongodb_uri)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def db(stack_settings):
    return connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)


@pytest.fixture(scope="module")
def accounts(db):
    users = UserStore(db)
    users.create("nasional", "kata-sandi-nasional", "national_admin")
    users.create("pdam-sleman", "kata-sandi-liaison", "agency_liaison", "kabupaten_kota:34.04:pdam")
    return users


@pytest.fixture(scope="module")
def cases(stack_settings):
    records = [
        {"id": "BR-TRIAGE", "text": "sampah tidak diangkut sudah seminggu, bau sekali"},
        {"id": "BR-PDAM", "text": "Air PDAM mati tiga hari di Kabupaten Sleman"},
    ]
    ids = submit_records(stack_settings, records, progress=False)
    assert wait_for_cases(stack_settings, ids, timeout=120) == 2
    return ids


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def click_and_wait(browser, element):
    """Click something that loads a new page and wait until the old one is gone.

    Like ``expected_conditions.staleness_of``, but ChromeDriver asked about an
    element while the new document replaces the old one can also answer "Node with
    given id does not belong to the document": that, too, means the old page is gone.
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def old_page_gone(_driver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    element.click()
    WebDriverWait(browser, 10).until(old_page_gone)


def login(browser, server, username, password):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/login")
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(password)
    click_and_wait(browser, browser.find_element(By.ID, "login"))


def redispatch(browser, agency, topic, region, reason, tier="kabupaten_kota"):
    """Fill and send the case page's re-dispatch form."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "o-agency")).select_by_value(agency)
    Select(browser.find_element(By.ID, "o-topic")).select_by_value(topic)
    Select(browser.find_element(By.ID, "o-tier")).select_by_visible_text(tier)
    browser.find_element(By.ID, "o-region").send_keys(region)
    browser.find_element(By.ID, "o-reason").send_keys(reason)
    click_and_wait(browser, browser.find_element(By.ID, "override-submit"))


def test_admin_overrides_a_triage_case(browser, server, accounts, cases, db, stack_settings):
    from selenium.webdriver.common.by import By

    login(browser, server, "nasional", "kata-sandi-nasional")
    assert "Antrean triase" in browser.page_source
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "BR-TRIAGE"))
    assert "menunggu verifikasi" in browser.find_element(By.ID, "case-status").text.lower()

    redispatch(
        browser,
        "dinas_lingkungan_hidup",
        "sampah_tidak_diangkut",
        "Kabupaten Bantul",
        "Pelapor menelepon: lokasi di Bantul",
    )

    unit = browser.find_element(By.ID, "unit-name").text
    assert unit == "Dinas Lingkungan Hidup Kabupaten Bantul"
    assert browser.find_element(By.ID, "case-status").text == "Terdisposisi"
    audit = browser.find_element(By.ID, "audit").text
    assert "override" in audit and "nasional" in audit and "lokasi di Bantul" in audit
    history = browser.find_element(By.ID, "history").text
    assert "dialihkan ke Dinas Lingkungan Hidup Kabupaten Bantul" in history
    assert browser.find_element(By.ID, "decision-version").text == "2"
    browser.save_screenshot(str(stack_settings.state_dir / "console-case.png"))

    case = CaseStore(db).cases.find_one({"_id": "BR-TRIAGE"})
    assert (
        case["overridden"]
        and case["decision"]["unit_id"] == "kabupaten_kota:34.02:dinas_lingkungan_hidup"
    )
    consumer = KafkaConsumer(
        stack_settings.topic_overridden,
        bootstrap_servers=stack.endpoints(stack_settings).kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    events = [json.loads(m.value) for m in consumer]
    consumer.close()
    assert any(e["complaint_id"] == "BR-TRIAGE" and e["by"] == "nasional" for e in events)

    browser.get(f"{server}/admin/dashboard")
    rate = browser.find_element(By.CSS_SELECTOR, ".override-rate[data-agency]").text
    assert "%" in rate


def test_liaison_cannot_open_another_units_case(browser, server, accounts, cases):
    from selenium.webdriver.common.by import By

    login(browser, server, "pdam-sleman", "kata-sandi-liaison")
    table = browser.find_element(By.ID, "cases").text
    assert "BR-TRIAGE" not in table
    browser.get(f"{server}/admin/cases/BR-TRIAGE")
    assert "Aduan tidak ditemukan" in browser.page_source
    browser.get(f"{server}/admin/cases/BR-PDAM")
    assert "Air PDAM mati" in browser.find_element(By.ID, "case-text").text


def test_a_liaison_hands_a_case_back_and_the_admin_redispatches_it(
    browser, server, accounts, db, stack_settings, worker
):
    """Issue 14: the liaison has no route form; it declares bukan wewenang with a
    reason; the case waits in the hub's queue with that reason; an admin re-dispatches."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    ids = submit_records(
        stack_settings,
        [{"id": "BR-BW", "text": "Air PDAM mati dua hari di Kabupaten Sleman, tolong"}],
        progress=False,
    )
    assert wait_for_cases(stack_settings, ids, timeout=120) == 1
    CaseStore(db).cases.update_one(  # as if the hub had verified it already
        {"_id": "BR-BW", "status": "menunggu_verifikasi"}, {"$set": {"status": "terdisposisi"}}
    )
    login(browser, server, "pdam-sleman", "kata-sandi-liaison")
    browser.get(f"{server}/admin/cases/BR-BW")
    assert not browser.find_elements(By.ID, "override-form")
    assert "tidak mengalihkan" in browser.find_element(By.ID, "liaison-note").text
    options = [
        o.get_attribute("value") for o in Select(browser.find_element(By.ID, "s-to")).options
    ]
    assert set(options) <= {"ditindaklanjuti", "selesai", "bukan_wewenang"}
    Select(browser.find_element(By.ID, "s-to")).select_by_value("bukan_wewenang")
    browser.find_element(By.ID, "s-reason").send_keys("Pipa di lokasi milik PDAM Bantul")
    click_and_wait(browser, browser.find_element(By.ID, "status-submit"))
    assert browser.find_element(By.ID, "case-status").text == "Bukan wewenang"

    browser.delete_all_cookies()
    login(browser, server, "nasional", "kata-sandi-nasional")
    browser.get(f"{server}/admin/triage?queue=dialihkan")
    row = browser.find_element(By.LINK_TEXT, "BR-BW").find_element(By.XPATH, "./ancestor::tr")
    assert "bukan wewenang" in row.find_element(By.CLASS_NAME, "reasons").text
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "BR-BW"))
    assert browser.find_element(By.ID, "bw-note").is_displayed()
    browser.find_element(By.ID, "o-region").send_keys("Kabupaten Bantul")
    browser.find_element(By.ID, "o-reason").send_keys("Jaringan PDAM Bantul")
    click_and_wait(browser, browser.find_element(By.ID, "override-submit"))
    assert browser.find_element(By.ID, "case-status").text == "Terdisposisi"
    unit = browser.find_element(By.ID, "unit-name").text
    assert "Bantul" in unit
    assert f"dialihkan ke {unit}" in browser.find_element(By.ID, "history").text


def test_wrong_password_is_refused(browser, server, accounts):
    from selenium.webdriver.common.by import By

    login(browser, server, "nasional", "salah-sandi-nya")
    assert "salah" in browser.find_element(By.ID, "login-error").text


def test_the_api_docs_render_offline_under_the_csp(browser, server):
    """/docs was blank (issue 15): the CSP blocked the CDN bundle and its inline
    start script. Served from the app, it renders every public operation."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/docs")
    WebDriverWait(browser, 20).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    )
    paths = {
        e.text.replace("\u200b", "")
        for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    }
    assert {"/api/v1/complaints", "/api/v1/complaints/{tracking_id}", "/api/v1/sms"} <= paths
    csp = [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]
    assert not csp, csp


def test_a_citizen_files_a_complaint_and_follows_it(browser, server, stack_settings):
    """/ was the admin login: a citizen had no page. Now: file, get the tracking
    id, follow the case in Indonesian words; a confidential one needs its token."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(f"{server}/")
    browser.find_element(By.ID, "text").send_keys(
        "Air PDAM mati tiga hari di Kabupaten Sleman, hubungi saya 0812-3456-7890"
    )
    Select(browser.find_element(By.ID, "privacy")).select_by_value("rahasia")
    click_and_wait(browser, browser.find_element(By.ID, "kirim"))
    tracking = browser.find_element(By.ID, "tracking-id").text
    token = browser.find_element(By.ID, "secret-token").text
    assert tracking.startswith("LPR-") and token
    assert wait_for_cases(stack_settings, [tracking], timeout=120) == 1

    browser.get(f"{server}/lacak?id={tracking}")  # without the token: as if unknown
    assert browser.find_element(By.ID, "not-found").is_displayed()
    browser.get(f"{server}/")
    browser.find_element(By.ID, "id").send_keys(tracking)
    browser.find_element(By.ID, "token").send_keys(token)
    click_and_wait(browser, browser.find_element(By.ID, "cari"))
    status = browser.find_element(By.ID, "status").text
    assert status in {"Terdisposisi", "Menunggu verifikasi"}
    assert "WIB" in browser.find_element(By.ID, "deadline").text
    page = browser.page_source
    assert "0812-3456-7890" not in page and "&lt;telepon&gt;" in page
    history = browser.find_element(By.ID, "history").text
    assert "wilayah:" not in history  # routing internals stay internal


def test_the_case_page_shows_related_complaints(browser, server, accounts, stack_settings, db):
    from selenium.webdriver.common.by import By

    text = "Lampu PJU mati total sepanjang Jalan Magelang km 7 Kabupaten Sleman sejak Senin."
    ids = submit_records(
        stack_settings,
        [{"id": "BR-REL-1", "text": text}, {"id": "BR-REL-2", "text": f"Tolong pak. {text}"}],
        progress=False,
    )
    assert wait_for_cases(stack_settings, ids, timeout=120) == 2
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not db["cases"].find_one(
        {"_id": "BR-REL-2", "related": "BR-REL-1"}
    ):
        time.sleep(0.5)
    login(browser, server, "nasional", "kata-sandi-nasional")
    browser.get(f"{server}/admin/cases/BR-REL-2")
    related = browser.find_element(By.ID, "related").text
    assert "1 aduan terkait" in related and "BR-REL-1" in related
