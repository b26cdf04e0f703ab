"""The pages carry a Content-Security-Policy, and the browser tests' watch (tests/browser_fixtures.py) catches a
page that breaks it: every other browser test fails on any violation on any page it visits."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from tests.browser_fixtures import CSP_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_injected_inline_script_is_blocked_and_reported(page: Page, live_server: LiveServer) -> None:
    response = page.goto(f"{live_server.url}/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    seen = len(CSP_VIOLATIONS)

    page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.ran = 1";
                             document.head.appendChild(s); }""")
    page.wait_for_timeout(200)

    assert page.evaluate("() => window.ran") is None  # the inline script did not run
    caught = CSP_VIOLATIONS[seen:]
    assert any("script-src" in line for line in caught), caught
    del CSP_VIOLATIONS[seen:]  # expected here: this test's own injection, not a page's fault
