"""The hardest search in headless Chromium: five people in three zones, one out of office all week. Nothing fits;
the page says who blocks each day and the ways out, and one click applies one."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from m365_emulator.testing import EmulatorProcess
from tests.booking.world import connected, event, member, next_week, next_week_days, plant
from tests.browser_fixtures import assert_accessible, screenshot
from tests.conftest import Org, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_hard_search_shows_who_blocks_and_a_way_out_that_one_click_applies(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess
) -> None:
    alex = connected(org, emulator_settings, "domain_wide", organizer="Alex Wilber")  # New York
    oliver, grady, debra = (member(org, name) for name in ("Oliver Smith", "Grady Archie", "Debra Berger"))
    christie = member(org, "Christie Cline")
    start, end = next_week()
    for person in (alex, oliver, grady, debra, christie):
        emulator_settings.clear(person.user.email, start - timedelta(days=1), end + timedelta(days=1))
    plant(emulator_settings, debra.user.email, event(start, 5 * 24 * 60, "Parental leave", showAs="oof"))
    first, last = next_week_days()
    query = urlencode(
        {
            "minutes": "30",
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
            "required": [str(m.user.uuid) for m in (oliver, grady, christie)],  # London, Los Angeles, New York
            "optional": [str(debra.user.uuid)],
        },
        doseq=True,
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    session = signed_in(alex.user).cookies["sessionid"].value  # Alex signed in (with Microsoft, as the others test)
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = context.new_page()

    page.goto(f"{live_server.url}{reverse('booking_page', kwargs={'code': org.code})}?{query}")

    expect(page.get_by_role("heading", name="Ways out")).to_be_visible()
    ways = page.locator("#ways-out li a")
    expect(ways.first).to_contain_text("16:30 works if Grady Archie starts 30 minutes early (08:30 for Grady Archie)")
    expect(ways.nth(1)).to_contain_text("17:00 works if Oliver Smith stays 30 minutes late (17:30 for Oliver Smith)")
    expect(ways.nth(2)).to_contain_text("is optional")
    assert ways.count() == 3  # the earliest time beyond the range is no help: their hours never meet
    grid = page.get_by_role("table").first
    expect(grid.get_by_role("rowheader", name="Oliver Smith")).to_be_visible()
    expect(page.locator("#who-blocks")).to_contain_text("their working hours never overlap for the meeting")
    assert "Parental leave" not in page.content()
    assert_accessible(page)
    screenshot(page, "hard-search")

    ways.first.click()
    page.wait_for_load_state()

    expect(page.get_by_role("heading", name="Best times")).to_be_visible()
    expect(page.locator("#best .slot").first).to_contain_text("outside Grady Archie's working hours")
    screenshot(page, "hard-search-applied")
    context.close()
