"""The hardest search in headless Chromium, in both modes: five people in three zones, one out of office all week.
Nothing fits; the page says who blocks each day and the ways out, one click applies one, and it books."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from booking.models import Booking
from m365_emulator.testing import EmulatorProcess
from tests.booking.world import connected, event, member, next_week, next_week_days, plant, set_zone
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
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="UTC")  # times read in UTC
    session = signed_in(alex.user).cookies["sessionid"].value  # Alex signed in (with Microsoft, as the others test)
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = context.new_page()

    page.goto(f"{live_server.url}{reverse('booking_page', kwargs={'code': org.code})}?{query}")
    expect(page.locator("#tz")).to_have_attribute("data-stored", "UTC")  # stored, and reloaded once

    expect(page.get_by_role("heading", name="Ways out")).to_be_visible()
    ways = page.locator("#ways-out li a")
    expect(ways.first).to_contain_text(
        "4:30\u00a0PM works if Grady Archie starts 30 minutes early (8:30\u00a0AM for Grady Archie)"
    )
    expect(ways.nth(1)).to_contain_text(
        "5:00\u00a0PM works if Oliver Smith stays 30 minutes late (5:30\u00a0PM for Oliver Smith)"
    )
    expect(ways.nth(2)).to_contain_text("is optional")
    expect(ways).to_have_count(3)  # the earliest time beyond the range is no help: their hours never meet
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


BERLIN, LONDON, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("Europe/London"), ZoneInfo("America/New_York")


def _shared_hours(day: date) -> tuple[datetime, datetime]:
    """When Berlin's, London's and New York's 09:00-17:00 all meet on `day`, in UTC (it moves with each clock)."""
    starts = [datetime.combine(day, time(9), tzinfo=zone).astimezone(UTC) for zone in (BERLIN, LONDON, NEW_YORK)]
    ends = [datetime.combine(day, time(17), tzinfo=zone).astimezone(UTC) for zone in (BERLIN, LONDON, NEW_YORK)]
    return max(starts), min(ends)


def test_in_individual_mode_the_hardest_search_shows_who_blocks_three_ways_out_and_one_click_books(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess
) -> None:
    adele = connected(org, emulator_settings, "delegated", organizer="Adele Vance")  # Berlin, her own calendar
    set_zone(adele, "Europe/Berlin")
    diego, oliver, alex, debra = (member(org, n) for n in ("Diego Ruiz", "Oliver Smith", "Alex Wilber", "Debra Berger"))
    start, end = next_week()
    for person in (adele, diego, oliver, alex, debra):
        emulator_settings.clear(person.user.email, start - timedelta(days=1), end + timedelta(days=1))
    plant(emulator_settings, debra.user.email, event(start, 5 * 24 * 60, "Parental leave", showAs="oof"))
    for offset in range(5):  # Alex (New York) is busy all his day but for the last half hour the three zones share
        day = (start + timedelta(days=offset)).date()
        shared_start, shared_end = _shared_hours(day)
        his_start = datetime.combine(day, time(9), tzinfo=NEW_YORK).astimezone(UTC)  # the planted events are in UTC
        gap = shared_end - timedelta(minutes=30)
        plant(
            emulator_settings,
            alex.user.email,
            event(his_start, int((gap - his_start).seconds // 60), "Custody hearing"),
        )
        plant(emulator_settings, alex.user.email, event(shared_end, 8 * 60, "Custody hearing"))
        assert shared_start < gap
    first, last = next_week_days()
    query = urlencode(
        {
            "minutes": "60",
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
            "required": [str(m.user.uuid) for m in (diego, oliver, alex)],  # Berlin, London, New York
            "optional": [str(debra.user.uuid)],  # out of office all week
        },
        doseq=True,
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Europe/Berlin")
    session = signed_in(adele.user).cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = context.new_page()

    page.goto(f"{live_server.url}{reverse('booking_page', kwargs={'code': org.code})}?{query}")

    expect(page.get_by_role("heading", name="Ways out")).to_be_visible()
    ways = page.locator("#ways-out li a")
    expect(ways).to_have_count(3)
    expect(ways.nth(0)).to_contain_text("A 30-minute meeting fits on Monday")
    expect(ways.nth(1)).to_contain_text("works if Alex Wilber is optional")
    expect(ways.nth(2)).to_contain_text("The earliest time for everyone is")
    blocks = page.locator("#who-blocks")
    expect(blocks.locator("h3")).to_have_count(5)  # every day of the week
    expect(blocks.locator("li", has_text="Alex Wilber: busy through their working hours")).to_have_count(5)
    expect(page.get_by_role("rowheader", name="Debra Berger")).to_have_count(0)  # optional: she blocks nobody
    content = page.content()
    assert "Parental leave" not in content and "Custody" not in content
    assert_accessible(page)
    screenshot(page, "hard-search-individual")

    ways.first.click()
    expect(page.get_by_role("heading", name="Best times")).to_be_visible()
    screenshot(page, "hard-search-individual-applied")
    before = set(Booking.objects.values_list("pk", flat=True))
    page.get_by_role("link", name="Pick this time").first.click()
    expect(page.get_by_role("heading", name="Confirm the meeting")).to_be_visible()
    page.get_by_role("button", name="Book this meeting").click()
    expect(page.locator("#booking-status")).to_contain_text("Confirmed", timeout=20_000)
    screenshot(page, "hard-search-individual-booked")
    booking = Booking.objects.exclude(pk__in=before).get()
    assert booking.end - booking.start == timedelta(minutes=30)
    assert booking.start == _shared_hours(booking.start.date())[1] - timedelta(minutes=30)
    context.close()
