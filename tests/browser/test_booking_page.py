"""The booking page in headless Chromium: find a colleague as you type, search without a reload, pick a time."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from booking.search.page import FIRST_DAYS
from m365_emulator.testing import EmulatorProcess
from tests.booking.world import connected
from tests.browser_fixtures import adele_picks_alex_in_berlin, assert_accessible, screenshot, sign_in
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (360, 780)])
def test_a_member_finds_a_colleague_sees_times_in_their_zone_and_picks_one(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess, width: int, height: int
) -> None:
    adele = connected(org, emulator_settings, "domain_wide", organizer="Adele Vance")
    context = browser.new_context(viewport={"width": width, "height": height}, timezone_id="Europe/Berlin")
    page = context.new_page()
    sign_in(page, live_server.url, adele.user)

    page.goto(f"{live_server.url}/orgs/{org.code}/book/")
    expect(page.locator("#tz")).to_have_attribute("data-stored", "Europe/Berlin")  # detected, stored, reloaded
    assert User.objects.get(pk=adele.user.pk).time_zone == "Europe/Berlin"
    assert_accessible(page)
    page.get_by_label("Find colleagues").fill("alex")
    page.get_by_role("button", name="Required").first.click()
    expect(page.locator("#chosen .chip .name")).to_have_text(["Alex Wilber"])
    page.get_by_label("Subject").fill("Plans for spring")
    page.get_by_role("button", name="Find times").click()

    expect(page.get_by_role("heading", name="Best times")).to_be_visible()
    expect(page.locator("#best .local").first).to_contain_text("Alex Wilber")
    screenshot(page, f"booking-page-{width}")
    assert_accessible(page)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=f"test-artifacts/booking-top-{width}.png")
    page.get_by_role("link", name="Pick this time").first.click()

    expect(page.get_by_role("heading", name="Confirm the meeting")).to_be_visible()
    expect(page.locator("#summary")).to_contain_text("Alex Wilber")
    expect(page.locator("#summary")).to_contain_text("Plans for spring")
    screenshot(page, f"booking-confirm-{width}")
    assert_accessible(page)
    context.close()


QUERIES = ("a", "e", "o", "i", "n", "r", "l", "s")


def search_colleagues(page: Page, query: str) -> list[Locator]:
    """Type `query` in the colleague search and wait for its answer; the "Required" buttons it shows."""
    field = page.get_by_label("Find colleagues")
    field.fill("")  # the same query typed again changes nothing, and htmx would send nothing
    with page.expect_response(lambda response: "/book/people" in response.url and f"q={query}" in response.url):
        field.fill(query)
    answer = page.locator(f'#people-found [data-q="{query}"]')
    # Swapped in: the buttons of the last answer are gone (on a busy machine the swap comes later).
    answer.wait_for(state="attached")
    return answer.locator("button[data-add=required]").all()


def pick_colleagues(page: Page, count: int) -> set[str]:
    """Add `count` different colleagues as required, searching as a person would (a search shows a few)."""
    picked: set[str] = set()
    for query in QUERIES:
        for button in search_colleagues(page, query):
            uuid = str(button.get_attribute("data-uuid"))
            if uuid not in picked and len(picked) < count:
                button.click()
                picked.add(uuid)
        if len(picked) == count:
            return picked
    raise AssertionError(f"the demo directory gave only {len(picked)} colleagues")


def test_the_colleague_limits_are_stated_from_the_start_and_a_20th_required_colleague_is_refused_in_place(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess
) -> None:
    # The directory sync brings the demo's people in; Megan organizes from her own mailbox.
    megan = connected(org, emulator_settings, "domain_wide")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Europe/Berlin")
    page = context.new_page()
    sign_in(page, live_server.url, megan.user)
    page.goto(f"{live_server.url}/orgs/{org.code}/book/")
    expect(page.locator("#tz")).to_have_attribute("data-stored", "Europe/Berlin")  # stored, and reloaded once
    expect(page.locator("#chosen-limit")).to_have_text(
        "Up to 19 required colleagues (with you, the 20 people Microsoft 365 reads at once) and 20 optional ones."
    )

    picked = pick_colleagues(page, 19)
    expect(page.locator("#chosen .chip")).to_have_count(19)
    expect(page.locator("#chosen-full")).to_be_hidden()
    twentieth = next(
        b for q in QUERIES for b in search_colleagues(page, q) if b.get_attribute("data-uuid") not in picked
    )
    name = twentieth.get_attribute("data-name")
    twentieth.click()

    expect(page.locator("#chosen .chip")).to_have_count(19)
    expect(page.locator("#chosen-full")).to_have_text(
        f"At most 19 required colleagues in one meeting: make someone optional or remove someone to add {name} "
        "as required."
    )
    screenshot(page, "booking-colleague-limit")
    assert_accessible(page)
    page.locator("#chosen select[data-role]").first.select_option("optional")
    expect(page.locator("#chosen-full")).to_be_hidden()
    twentieth.click()
    expect(page.locator("#chosen .chip .name").last).to_have_text(str(name))
    expect(page.locator("#chosen input[type=hidden][name=required]")).to_have_count(19)
    page.locator("#chosen select[data-role]").first.select_option("required")  # a 20th required: refused, kept
    expect(page.locator("#chosen select[data-role]").first).to_have_value("optional")
    expect(page.locator("#chosen-full")).to_contain_text("At most 19 required colleagues")
    context.close()


def test_the_first_days_show_and_show_more_days_adds_the_rest_in_place_with_the_focus_on_the_first_added(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess
) -> None:
    context, page = adele_picks_alex_in_berlin(browser, live_server.url, org, emulator_settings)
    start = page.get_by_label("From").input_value()
    page.get_by_label("To").fill(str(date.fromisoformat(start) + timedelta(days=13)))
    page.get_by_role("button", name="Find times").click()

    every = page.locator("#every h3")
    expect(every).to_have_count(FIRST_DAYS)
    more = page.get_by_role("link", name="Show more days")
    expect(more).to_be_visible()
    screenshot(page, "booking-first-days")
    assert_accessible(page)
    more.click()

    expect(page.locator("#first-added-day")).to_be_focused()
    assert every.count() > FIRST_DAYS
    expect(page.get_by_role("link", name="Show more days")).to_have_count(0)
    expect(page.locator("#more-days [role=status]")).to_contain_text("more day")
    screenshot(page, "booking-more-days")
    assert_accessible(page)
    context.close()


def test_without_script_show_more_days_is_a_page_with_the_next_days(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess
) -> None:
    adele = connected(org, emulator_settings, "domain_wide", organizer="Adele Vance")
    signing_in = browser.new_context(timezone_id="Europe/Berlin")
    sign_in(signing_in.new_page(), live_server.url, adele.user)
    context = browser.new_context(
        java_script_enabled=False, timezone_id="Europe/Berlin", storage_state=signing_in.storage_state()
    )
    signing_in.close()
    page = context.new_page()
    alex = User.objects.get(name="Alex Wilber")
    first = date.today() + timedelta(days=7)
    query = f"required={alex.uuid}&minutes=30&start_date={first}&end_date={first + timedelta(days=13)}"
    page.goto(f"{live_server.url}/orgs/{org.code}/book/?{query}")
    expect(page.locator("#every h3")).to_have_count(FIRST_DAYS)

    page.get_by_role("link", name="Show more days").click()

    expect(page.get_by_role("heading", name="Every time, by day")).to_be_visible()
    assert page.locator("#every h3").count() > 0 and page.locator("#every a[href*='/book/confirm']").count() > 0
    screenshot(page, "booking-more-days-no-script")
    context.close()
