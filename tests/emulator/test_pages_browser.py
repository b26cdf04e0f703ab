"""The sign-in and consent pages in a real browser: plain HTTP (no certificate warning), clickable people."""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from playwright.sync_api import Page, Route, expect

from m365_emulator.testing import EmulatorProcess
from tests.browser_fixtures import screenshot

pytestmark = pytest.mark.browser


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The browser never reaches this "Overlap": the test's route answers for it. A port nothing serves keeps a running
# demo (make run, on 8000) from answering instead.
REDIRECT = f"http://localhost:{_unused_port()}/integrations/microsoft/consent/done/"


def test_an_admin_grants_consent_by_clicking_through_the_pages(page: Page, emulator: EmulatorProcess) -> None:
    landed: list[str] = []

    def app(route: Route) -> None:
        landed.append(route.request.url)
        route.fulfill(status=200, body="back in Overlap", content_type="text/plain")

    page.route(f"{REDIRECT}**", app)
    query = {"client_id": emulator.client_id, "scope": "https://graph.microsoft.com/.default", "redirect_uri": REDIRECT}
    page.goto(
        f"{emulator.browser_url}/{emulator.tenant_domain}/v2.0/adminconsent?{urlencode({**query, 'state': 's1'})}"
    )
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "emulator-sign-in")
    page.get_by_role("button", name="Adele Vance").click()
    expect(page.get_by_role("heading", name="Permissions requested")).to_be_visible()
    expect(page.get_by_text("Calendars.ReadWrite (application)")).to_be_visible()
    screenshot(page, "emulator-admin-consent")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("back in Overlap")).to_be_visible()
    answer = {k: v[0] for k, v in parse_qs(urlparse(landed[-1]).query).items()}
    assert answer["admin_consent"] == "True" and answer["tenant"] == emulator.tenant_id and answer["state"] == "s1"


def test_a_person_types_their_address_and_declines(page: Page, emulator: EmulatorProcess) -> None:
    landed: list[str] = []

    def app(route: Route) -> None:
        landed.append(route.request.url)
        route.fulfill(status=200, body="back in Overlap", content_type="text/plain")

    page.route(f"{REDIRECT}**", app)
    query = {
        "client_id": emulator.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid offline_access User.Read Calendars.ReadWrite",
    }
    page.goto(f"{emulator.browser_url}/organizations/oauth2/v2.0/authorize?{urlencode(query)}")
    page.get_by_label("Email or username").fill("alex.wilber@contoso.onmicrosoft.com")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Calendars.ReadWrite")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("back in Overlap")).to_be_visible()
    assert parse_qs(urlparse(landed[-1]).query)["error"] == ["access_denied"]
