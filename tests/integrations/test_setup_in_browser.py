"""A new admin finishes the set-up from the pages alone, in a real browser, against the emulator."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from m365_emulator.testing import EmulatorProcess
from tests.browser_fixtures import assert_accessible, screenshot
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_connects_the_organization_from_the_pages_alone(
    page: Page,
    live_server: LiveServer,
    org: Org,
    emulator_settings: EmulatorProcess,
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill(org.admin.email)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in", exact=True).click()

    page.get_by_role("link", name="Microsoft 365 integration settings").click()
    expect(page.get_by_text("Not configured").first).to_be_visible()
    page.get_by_label("Azure AD (Entra ID) tenant").fill("contoso.onmicrosoft.com")
    page.get_by_label("Domain-wide (recommended)").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Awaiting consent").first).to_be_visible()

    page.get_by_role("button", name="Grant admin consent").click()
    page.locator("input[name=login]").fill("adele.vance@contoso.onmicrosoft.com")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Accept").click()  # signing in to Overlap, the first time in this tenant
    screenshot(page, "integration-admin-consent-at-microsoft")
    page.get_by_role("button", name="Accept").click()

    expect(page.get_by_text("Connected. Overlap checked the connection")).to_be_visible()
    expect(page.locator("[data-status=active]")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Last synchronised")).to_be_visible()
    screenshot(page, "integration-settings-connected")
    assert_accessible(page)
