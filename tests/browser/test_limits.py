"""A limit reached on the booking page shows, in place, what was limited and when to try again."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from m365_emulator.testing import EmulatorProcess
from tests.booking.world import connected
from tests.browser_fixtures import assert_accessible, screenshot, sign_in
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


def test_a_member_typing_past_the_colleague_search_limit_reads_when_to_try_again(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess, settings: Any
) -> None:
    settings.RATE_LIMIT_PEOPLE_SEARCHES = "2/m"
    adele = connected(org, emulator_settings, "domain_wide", organizer="Adele Vance")
    page = browser.new_page(timezone_id="Europe/Berlin")
    sign_in(page, live_server.url, adele.user)
    page.goto(f"{live_server.url}/orgs/{org.code}/book/")
    # The page stores the zone the browser detects and reloads once: typing before that would be lost.
    expect(page.locator("#tz")).to_have_attribute("data-stored", "Europe/Berlin")
    field = page.get_by_label("Find colleagues")

    for typed in ("al", "ale", "alex"):
        with page.expect_response(lambda response: "/book/people" in response.url):
            field.fill(typed)

    refused = page.locator("#people-found").get_by_role("alert")
    expect(refused).to_contain_text("You have reached the limit for colleague searches (2 a minute). Try again in")
    expect(page.locator("body")).not_to_contain_text("{#")  # no template comment leaks onto the page
    screenshot(page, "limit-people-search")
    assert_accessible(page)
    page.close()
