"""A tenant admin starts an organization from the sign-in page, in a real browser, against the emulator."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import Membership
from m365_emulator.testing import EmulatorProcess
from tests.browser_fixtures import assert_accessible, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_tenant_admin_starts_with_microsoft_365_in_one_path(
    page: Page, live_server: LiveServer, emulator_settings: EmulatorProcess
) -> None:
    page.goto(f"{live_server.url}/")
    assert_accessible(page)
    page.get_by_role("button", name="Start with Microsoft 365").click()  # straight to Microsoft, no page between
    page.locator("input[name=login]").fill("diego.siciliani@fabrikam.onmicrosoft.com")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Accept").click()  # signing in to Overlap, the first time in this tenant
    page.get_by_role("button", name="Accept").click()  # the admin consent for the whole organization

    expect(page.get_by_text("Connected. Overlap checked the connection")).to_be_visible()
    expect(page.locator("[data-status=active]")).to_be_visible()
    screenshot(page, "start-with-microsoft-365-connected")
    assert_accessible(page)
    admin = Membership.objects.get(user__email="diego.siciliani@fabrikam.onmicrosoft.com")
    assert admin.role == "admin" and admin.organization.name == "Fabrikam"
