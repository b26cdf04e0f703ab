"""The series search in headless Chromium: ask for a weekly meeting, see each time judged on every occurrence; book
a series, move one occurrence and cancel the rest."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from booking.models import Booking, BookingOccurrence
from m365_emulator.testing import EmulatorProcess
from tests.booking.world import address
from tests.browser_fixtures import adele_picks_alex_in_berlin, assert_accessible, screenshot
from tests.conftest import Org

BERLIN = ZoneInfo("Europe/Berlin")  # Adele's browser and page zone
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_asks_for_a_weekly_series_and_sees_each_time_judged_on_every_occurrence(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess
) -> None:
    context, page = adele_picks_alex_in_berlin(browser, live_server.url, org, emulator_settings)
    expect(page.locator("#chosen .chip .name")).to_have_text(["Alex Wilber"])
    # The series' fields show only once "Repeats" is chosen, each only when it applies (CSS, no script).
    expect(page.get_by_label("Ends")).to_be_hidden()
    page.get_by_label("Repeats").select_option("weeks")
    expect(page.get_by_label("Every (weeks)")).to_be_visible()
    expect(page.get_by_label("Until")).to_be_hidden()
    page.get_by_label("Repeats").select_option("weekly")
    expect(page.get_by_label("Every (weeks)")).to_be_hidden()
    page.get_by_label("Ends").select_option("count")
    page.get_by_label("Times").fill("26")
    page.get_by_role("button", name="Find times").click()

    series = page.locator("#series")
    expect(series.get_by_role("heading")).to_contain_text("26 times, until")
    # The demo calendars are drawn afresh each week: some time works every week, or says which weeks clash; late
    # in the day, today's times are too soon and their series start a week later, one time fewer.
    expect(series.locator("li").first).to_contain_text(re.compile(r"works all 2[56] times|\d+ of 2[56] clash(es)?: "))
    assert_accessible(page)
    screenshot(page, "booking-series-1280")
    series.get_by_role("link").first.click()

    expect(page.get_by_role("heading", name="Confirm the meeting")).to_be_visible()
    expect(page.locator("#series")).to_contain_text("Weekly on")
    expect(page.get_by_role("button", name="Book this series")).to_be_visible()
    screenshot(page, "booking-series-confirm-1280")
    context.close()


def test_a_member_books_a_series_moves_one_occurrence_and_cancels_the_rest(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess
) -> None:
    context, page = adele_picks_alex_in_berlin(browser, live_server.url, org, emulator_settings)
    # From the next weekday, not today: late in the day today's working hours are all within the notice.
    first = datetime.now(BERLIN).date() + timedelta(days=1)
    while first.weekday() >= 5:
        first += timedelta(days=1)
    start = datetime.combine(first, time(0), tzinfo=BERLIN)
    for name in ("Adele Vance", "Alex Wilber"):  # the demo calendars are drawn anew: plant the free weeks
        emulator_settings.clear(address(name), start, start + timedelta(weeks=10))
    page.get_by_label("From").fill(first.isoformat())
    page.get_by_label("To").fill((first + timedelta(days=4)).isoformat())
    page.get_by_label("Repeats").select_option("weekly")
    page.get_by_label("Ends").select_option("count")
    page.get_by_label("Times").fill("6")
    page.get_by_role("button", name="Find times").click()
    expect(page.locator("#series li").first).to_contain_text("works all 6 times")
    page.locator("#series li").first.get_by_role("link").first.click()
    page.get_by_role("button", name="Book this series").click()
    expect(page.locator("#booking-status")).to_contain_text("Confirmed", timeout=15_000)
    booking = Booking.objects.get()

    occurrences = page.locator("#occurrences li.occurrence")
    expect(occurrences).to_have_count(6)
    second = occurrences.nth(1)
    second.get_by_text("Change this occurrence").click()
    at = second.get_by_label("New time that day (your clock)")
    hour, minute = (int(part) for part in at.input_value().split(":"))
    at.fill(f"{(hour + 1) % 24:02d}:{minute:02d}")
    second.get_by_role("button", name="Move this occurrence").click()
    expect(page.get_by_text("The occurrence is moved")).to_be_visible()
    expect(occurrences.nth(1)).to_contain_text("moved")

    third = occurrences.nth(2)
    third.get_by_text("Change this occurrence").click()
    third.get_by_label("Message to the attendees (optional)").fill("The project ends early")
    third.get_by_role("button", name="Cancel this and the following").click()
    expect(page.get_by_text("This occurrence and the following ones are cancelled")).to_be_visible()
    expect(page.locator("#occurrences .badge", has_text="cancelled")).to_have_count(4)
    assert_accessible(page)
    screenshot(page, "meeting-series-changed-1280")

    page.goto(f"{live_server.url}/orgs/{org.code}/meetings/")
    expect(page.locator(".series-news")).to_contain_text("moved")
    screenshot(page, "my-meetings-series-1280")
    kept = [o.state for o in booking.occurrences.all()]
    assert kept.count(BookingOccurrence.State.CANCELLED) == 4 and kept.count(BookingOccurrence.State.HELD) == 2
    assert booking.occurrences.filter(moved=True).count() == 1
    context.close()
