"""The e-mail's "berhenti" page in a real headless Chromium: opening the link
changes nothing, its button stops the e-mails, the next visit offers to start
them again, and a made-up token is an Indonesian error page."""

from __future__ import annotations

import uuid

from casestore.optouts import OptOuts
from core.contacts import EMAIL, ContactIndex
from tests.browser.test_console import click_and_wait, pytestmark  # noqa: F401


def test_the_link_shows_the_choice_and_its_buttons_stop_and_restart(
    browser,
    server,
    db,
    stack_settings,
):
    from selenium.webdriver.common.by import By

    optouts = OptOuts(db, ContactIndex.from_settings(stack_settings))  # as the notifier's
    index = optouts.index.of(EMAIL, f"warga-{uuid.uuid4().hex[:6]}@contoh.id")
    link = f"{server}/berhenti?t={optouts.index.link_token(index)}"

    browser.get(link)
    assert "menerima kabar" in browser.find_element(By.ID, "state").text
    assert not optouts.stopped_index(index)  # opening the link is no choice
    click_and_wait(browser, browser.find_element(By.ID, "berhenti"))
    assert "tidak akan dikirimi" in browser.find_element(By.ID, "done").text
    assert optouts.stopped_index(index)

    browser.get(link)
    click_and_wait(browser, browser.find_element(By.ID, "mulai"))
    assert "dikirim lagi" in browser.find_element(By.ID, "done").text
    assert not optouts.stopped_index(index)

    browser.get(f"{server}/berhenti?t={'0' * 64}.{'0' * 32}")
    assert "tidak dikenali" in browser.find_element(By.ID, "error-detail").text
