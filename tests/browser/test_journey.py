"""The booking flow with the keyboard alone, and the pictures of the main pages the README shows.

One live server and the session's Chromium; the confirm task runs in-process (eager), as in the other
live-server tests. Every page visited is checked by axe-core and must not scroll sideways at 360 px.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import Membership
from booking.models import Booking
from m365_emulator.testing import EmulatorProcess
from tests.booking.world import connected
from tests.browser_fixtures import assert_accessible
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = ViewportSize(width=360, height=780)
DESKTOP = ViewportSize(width=1280, height=860)
WEEK = (date(2030, 3, 4), date(2030, 3, 8))  # Monday to Friday, in the member's zone
MOMENTS_AT_ONE_WIDTH = (
    "time.moment { display:inline-block; width:12em; overflow:hidden; white-space:nowrap; vertical-align:bottom; }"
)


def tab_to(page: Page, target: Locator, most: int = 80) -> None:
    """Press Tab until `target` has the focus: it is reachable by keyboard, in the page's own order."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{target} never got the focus after {most} presses of Tab")


def picture(page: Page, name: str, at: str = "") -> None:
    """Check the page (axe, no sideways scrolling) and keep it under docs/screenshots/ at its width.

    `at`: a selector to scroll to the top of the picture (the suggestions sit below the search form).
    """
    assert_accessible(page)
    if at:
        page.locator(at).evaluate("el => el.scrollIntoView({block: 'start'})")
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{page.url} scrolls sideways"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The first screenful, as a person sees it; moments (a sync, a consent, an entry of the history) blanked at one
    # width whatever the date, so that a picture taken again is the same file unless the page itself changed.
    # A constructed stylesheet, added by script: the page's Content-Security-Policy refuses inline <style> (and the
    # browser fixtures fail a test on any violation), and the pictures' style is the test's, not the product's.
    page.evaluate(
        "css => { const sheet = new CSSStyleSheet(); sheet.replaceSync(css);"
        " document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]; }",
        MOMENTS_AT_ONE_WIDTH,
    )
    # Fonts loaded and two frames laid out: a card edge otherwise sometimes lands a pixel apart.
    page.evaluate(
        "document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))"
    )
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)
    page.screenshot(
        path=str(SCREENSHOTS / f"{name}-{width}.png"),
        mask=[page.locator("time.moment")],
        mask_color="#dfe3e8",
        animations="disabled",
    )


def test_a_member_books_with_the_keyboard_alone_and_every_main_page_is_pictured(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess
) -> None:
    adele = connected(org, emulator_settings, "domain_wide", organizer="Adele Vance")
    Membership.objects.filter(pk=adele.pk).update(role=Membership.Role.ADMIN)
    member = browser.new_context(viewport=DESKTOP, timezone_id="Europe/Berlin")
    page = member.new_page()

    page.goto(f"{live_server.url}/")
    picture(page, "first-screen")
    # Entra ID governs Adele's account: she signs in with Microsoft (the emulator's pages), by keyboard too.
    tab_to(page, page.get_by_role("button", name="Sign in with Microsoft"))
    page.keyboard.press("Enter")
    tab_to(page, page.locator("input[name=login]"))
    page.keyboard.type(adele.user.email)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    while page.get_by_role("button", name="Accept").count():
        tab_to(page, page.get_by_role("button", name="Accept"))
        page.keyboard.press("Enter")
        page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Contoso")).to_be_visible()

    page.goto(f"{live_server.url}/orgs/{org.code}/book/")
    expect(page.locator("#tz")).to_have_attribute("data-stored", "Europe/Berlin")
    tab_to(page, page.get_by_label("Find colleagues"))
    page.keyboard.type("alex")
    add_alex = page.get_by_role("button", name="Add Alex Wilber as required")
    expect(add_alex).to_be_visible()
    tab_to(page, add_alex)
    page.keyboard.press("Enter")
    expect(page.locator("#chosen .chip .name")).to_have_text(["Alex Wilber"])
    expect(page.locator("#chosen-status")).to_have_text("Alex Wilber added, required")
    tab_to(page, page.get_by_label("From"))  # a fixed week, so that the pictures stay the same from day to day
    page.keyboard.type(f"{WEEK[0]:%m%d%Y}")
    tab_to(page, page.get_by_label("To"))
    page.keyboard.type(f"{WEEK[1]:%m%d%Y}")
    tab_to(page, page.get_by_label("Subject"))
    page.keyboard.type("Plans for spring")
    tab_to(page, page.get_by_role("button", name="Find times"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Best times")).to_be_visible()
    expect(page.locator("#best .local").first).to_contain_text("Alex Wilber")
    search_url = page.url
    picture(page, "booking", at="body")  # the form as filled in, from the top
    picture(page, "booking-suggestions", at="#results")

    tab_to(page, page.get_by_role("link", name="Pick this time").first)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Confirm the meeting")).to_be_visible()
    confirm_url = page.url
    picture(page, "confirm")
    tab_to(page, page.get_by_role("button", name="Book this meeting"))
    page.keyboard.press("Enter")
    expect(page.locator("#booking-status")).to_contain_text("Confirmed", timeout=15_000)
    assert Booking.objects.get().state == Booking.State.CONFIRMED
    meeting_url = page.url
    page.reload()  # as a person opening it finds it, whether the status came with the page or by its polling
    picture(page, "meeting-confirmed")

    page.goto(f"{live_server.url}/orgs/{org.code}/meetings/")
    expect(page.get_by_role("link", name="Plans for spring")).to_be_visible()
    picture(page, "my-meetings")
    page.goto(f"{live_server.url}/orgs/{org.code}/invitations/")
    assert_accessible(page)
    page.goto(f"{live_server.url}/orgs/{org.code}/no-such-page")
    expect(page.get_by_role("heading", name="There is nothing here")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server.url}/orgs/{org.code}/people/")
    expect(page.get_by_role("button", name="Make Alex Wilber an admin")).to_be_visible()
    picture(page, "people")
    page.goto(f"{live_server.url}/orgs/{org.code}/integrations/microsoft/")
    picture(page, "settings")
    page.goto(f"{live_server.url}/orgs/{org.code}/book/rules")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)  # the admin's rules form, whose help the checkboxes point to

    phone = browser.new_context(viewport=PHONE, timezone_id="Europe/Berlin", storage_state=member.storage_state())
    small = phone.new_page()
    for name, url, at in [
        ("booking", search_url, ""),
        ("booking-suggestions", search_url, "#results"),
        ("confirm", confirm_url, ""),
        ("meeting-confirmed", meeting_url, ""),
        ("my-meetings", f"{live_server.url}/orgs/{org.code}/meetings/", ""),
        ("people", f"{live_server.url}/orgs/{org.code}/people/", ""),
        ("settings", f"{live_server.url}/orgs/{org.code}/integrations/microsoft/", ""),
    ]:
        small.goto(url)
        picture(small, name, at)
    phone.close()

    page.goto(meeting_url)
    tab_to(page, page.get_by_role("link", name="Find a new time"))  # a reschedule, still without the mouse
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Pick a new time")).to_be_visible()
    assert_accessible(page)
    before = Booking.objects.get().start
    tab_to(page, page.get_by_role("button", name="Move the meeting to").first)
    page.keyboard.press("Enter")
    expect(page.locator("#booking-status")).to_contain_text("Confirmed", timeout=15_000)
    assert Booking.objects.get().start != before
    assert_accessible(page)

    member.close()
    visitor = browser.new_context(viewport=PHONE)
    first = visitor.new_page()
    first.goto(f"{live_server.url}/")
    picture(first, "first-screen")
    visitor.close()
