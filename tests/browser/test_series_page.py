"""The series search in headless Chromium: ask for a weekly meeting, see each time judged on every occurrence."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from m365_emulator.testing import EmulatorProcess
from tests.browser_fixtures import adele_picks_alex_in_berlin, assert_accessible, screenshot
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_asks_for_a_weekly_series_and_sees_each_time_judged_on_every_occurrence(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess
) -> None:
    context, page = adele_picks_alex_in_berlin(browser, live_server.url, org, emulator_settings)
    expect(page.locator("#chosen .chip .name")).to_have_text(["Alex Wilber"])
    page.get_by_label("Repeats").select_option("weekly")
    page.get_by_label("Ends").select_option("count")
    page.get_by_label("Times").fill("26")
    page.get_by_role("button", name="Find times").click()

    series = page.locator("#series")
    expect(series.get_by_role("heading")).to_contain_text("26 times, until")
    # The demo calendars are drawn afresh each week: some time works every week, or says which weeks clash.
    expect(series.locator("li").first).to_contain_text(re.compile(r"works all 26 times|\d+ of 26 clash: "))
    assert_accessible(page)
    screenshot(page, "booking-series-1280")
    series.get_by_role("link").first.click()

    expect(page.get_by_role("heading", name="Confirm the meeting")).to_be_visible()
    expect(page.locator("#series")).to_contain_text("Weekly on")
    expect(page.get_by_role("button", name="Book this series")).to_be_visible()
    screenshot(page, "booking-series-confirm-1280")
    context.close()
