"""The browser tests' shared fixtures (a live server, a Chromium, the store), defined
in test_console.py and offered here to the other browser test files."""

from tests.browser.test_console import browser, db, server  # noqa: F401
