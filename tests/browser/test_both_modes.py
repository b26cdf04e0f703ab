"""The whole product in a browser, in both modes: an admin starts the organization at Microsoft's pages, a member
signs in with Microsoft, books with two colleagues, and sees what the colleague and Outlook did afterwards.

The live app server, a real Celery worker (in-process broker, or Redis when REDIS_URL is set), and the emulator's
own sign-in and consent pages; the colleague's decline and the organizer's cancellation in Outlook are made in the
emulator, and Overlap learns them by reading back as it does in production (the periodic task, My meetings).
Every page visited passes axe-core's WCAG 2.1 AA rules.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import Membership
from booking.models import Booking, Participant
from booking.tasks import read_back_due
from localtime import reading
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import ADELE, ALEX, copies
from tests.browser_fixtures import assert_accessible
from tests.integrations.helpers import CONTOSO_ID

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PARIS, NEW_YORK = "Europe/Paris", "America/New_York"


def checked(page: Page) -> None:
    """axe-core finds nothing against WCAG 2.1 AA, and the page does not scroll sideways at its width."""
    assert_accessible(page)
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{page.url} scrolls sideways"


def eventually(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        time.sleep(0.1)


def at_microsoft(page: Page, login: str) -> None:
    """Microsoft's sign-in (the emulator's page): the account, then Accept on each consent page it shows."""
    page.locator("input[name=login]").fill(login)
    checked(page)
    page.get_by_role("button", name="Next").click()
    page.wait_for_load_state()
    while page.get_by_role("button", name="Accept").count():
        checked(page)  # Microsoft's consent, as the emulator shows it
        page.get_by_role("button", name="Accept").click()
        page.wait_for_load_state()


def start_the_organization(browser: Browser, base: str, mode: str) -> tuple[BrowserContext, str]:
    """Adele, a Global Administrator, starts Contoso with Microsoft 365 and picks the mode; returns her browser
    and the organization's URL prefix."""
    admin = browser.new_context(viewport={"width": 1280, "height": 860}, timezone_id=PARIS)
    page = admin.new_page()
    page.goto(f"{base}/")
    page.get_by_role("button", name="Start with Microsoft 365").click()
    at_microsoft(page, ADELE)
    expect(page.get_by_text("Connected. Overlap checked the connection")).to_be_visible()
    checked(page)
    org = page.url.split("/integrations/")[0]
    eventually(lambda: Membership.objects.filter(organization__name="Contoso").count() > 30)  # the directory
    if mode == "delegated":
        page.get_by_label("Individual (each person connects)").check()
        page.get_by_role("button", name="Save", exact=True).click()
        checked(page)  # what the switch changes, asked first
        page.get_by_role("button", name="Switch to individual", exact=True).click()
        expect(page.get_by_text("Switched to individual mode.")).to_be_visible()
        checked(page)
    page.goto(f"{org}/book/")  # Adele has used Overlap: her browser told it her zone
    expect(page.locator("#tz")).to_have_attribute("data-stored", PARIS)
    checked(page)
    return admin, org


def sign_in_with_microsoft(browser: Browser, base: str, org: str, mode: str) -> tuple[BrowserContext, Page]:
    # One mode on a desktop, the other on a 360 px phone: every page of the journey is seen at both widths.
    viewport = ViewportSize(width=1280, height=860) if mode == "domain_wide" else ViewportSize(width=360, height=780)
    member = browser.new_context(viewport=viewport, timezone_id=NEW_YORK)
    page = member.new_page()
    page.goto(f"{base}/")
    checked(page)
    page.get_by_role("button", name="Sign in with Microsoft").click()  # straight to Microsoft
    at_microsoft(page, ALEX)
    expect(page.get_by_role("heading", name="Contoso")).to_be_visible()
    checked(page)
    if mode == "delegated":
        page.goto(f"{org}/integrations/microsoft/calendar/")
        checked(page)
        if page.get_by_role("button", name="Connect my calendar").count():  # not already by the sign-in
            page.get_by_role("button", name="Connect my calendar").click()
            page.wait_for_load_state()
            while page.get_by_role("button", name="Accept").count():
                page.get_by_role("button", name="Accept").click()
                page.wait_for_load_state()
        expect(page.locator("[data-status=connected]")).to_be_visible()
        checked(page)
    return member, page


def add(page: Page, typed: str, name: str) -> None:
    page.get_by_label("Find colleagues").fill(typed)
    page.get_by_role("button", name=f"Add {name} as required").click()


def book_a_time(page: Page, search_url: str, which: int) -> Booking:
    page.goto(search_url)
    expect(page.get_by_role("heading", name="Best times")).to_be_visible()
    before = set(Booking.objects.values_list("pk", flat=True))
    page.get_by_role("link", name="Pick this time").nth(which).click()
    expect(page.get_by_role("heading", name="Confirm the meeting")).to_be_visible()
    checked(page)
    page.get_by_role("button", name="Book this meeting").click()
    expect(page.locator("#booking-status")).to_contain_text("Confirmed", timeout=20_000)  # the worker's doing
    checked(page)
    return Booking.objects.exclude(pk__in=before).get()


def read_back_soon() -> None:
    """As if the read-back's interval had passed; the periodic task then runs on the worker."""
    Booking.objects.update(read_back_at=None)
    read_back_due.delay()


def in_outlook(emulator: EmulatorProcess, mailbox: str, event_id: str, action: str, body: dict[str, str]) -> None:
    emulator.control("POST", f"/tenants/{CONTOSO_ID}/mailboxes/{mailbox}/events/{event_id}/{action}", body)


def clock(instant: datetime, zone: str) -> str:
    """The time of day as an English (US) reader's page writes it ("2:00 PM")."""
    return reading.clock(instant.astimezone(ZoneInfo(zone)), "en")


@pytest.mark.parametrize("mode", ["domain_wide", "delegated"])
def test_an_organization_starts_a_member_books_and_sees_the_decline_the_move_and_both_cancellations(
    browser: Browser, live_server: LiveServer, emulator_settings: EmulatorProcess, real_worker: None, mode: str
) -> None:
    emulator = emulator_settings
    admin, org = start_the_organization(browser, live_server.url, mode)
    member, page = sign_in_with_microsoft(browser, live_server.url, org, mode)
    # In both modes Microsoft tells each colleague's working-hours zone (individual mode reads it from the member's
    # own getSchedule): Adele's Outlook says Berlin, whatever zone her browser last showed Overlap.
    adele_zone = "Europe/Berlin"

    page.goto(f"{org}/book/")
    expect(page.locator("#tz")).to_have_attribute("data-stored", NEW_YORK)
    checked(page)
    add(page, "adele", "Adele Vance")
    add(page, "oliver", "Oliver Smith")
    expect(page.locator("#chosen .chip .name")).to_have_text(["Adele Vance", "Oliver Smith"])
    page.get_by_label("Subject").fill("Plans for spring")
    page.get_by_role("button", name="Find times").click()
    expect(page.get_by_role("heading", name="Best times")).to_be_visible()
    checked(page)
    search_url = page.url
    first = page.locator("#best li.slot").first
    expect(first).to_contain_text("your time")
    expect(first).to_contain_text(f"for Adele Vance ({adele_zone})")
    if mode == "domain_wide":
        expect(first).to_contain_text("for Oliver Smith (Europe/London)")

    booking = book_a_time(page, search_url, 0)
    assert booking.state == Booking.State.CONFIRMED and booking.organizer.user.email == ALEX
    when = page.locator("#when").locator("xpath=..")
    expect(when).to_contain_text(f"{clock(booking.start, NEW_YORK)}")
    adele_row = page.get_by_role("row", name="Adele Vance")
    expect(adele_row).to_contain_text(
        f"{clock(booking.start, adele_zone)}\u2013{clock(booking.end, adele_zone)} ({adele_zone})"
    )
    [adele_copy] = copies(emulator, ADELE, booking.ical_uid)

    in_outlook(emulator, ADELE, adele_copy["id"], "respond", {"response": "declined"})
    read_back_soon()
    eventually(lambda: booking.participants.filter(response=Participant.Response.DECLINED).exists())
    page.reload()
    expect(page.get_by_role("alert")).to_contain_text("Adele Vance declined.")
    expect(page.get_by_role("row", name="Adele Vance")).to_contain_text("Declined")
    checked(page)

    page.get_by_role("link", name="Find a new time").click()
    expect(page.get_by_role("heading", name="Pick a new time")).to_be_visible()
    checked(page)
    page.get_by_role("button", name="Move the meeting to").first.click()
    expect(page.get_by_text("The meeting is moved")).to_be_visible(timeout=20_000)
    booking.refresh_from_db()
    assert booking.state == Booking.State.CONFIRMED and booking.history.filter(kind="rescheduled").exists()
    checked(page)

    page.get_by_label("Message to the attendees (optional)").fill("We settled it by mail.")
    page.get_by_role("button", name="Cancel the meeting").click()
    expect(page.get_by_role("heading", name="Cancel “Plans for spring”?")).to_be_visible()  # it asks first
    checked(page)
    page.get_by_role("button", name="Cancel the meeting").click()
    expect(page.locator("#booking-status")).to_contain_text("This meeting was cancelled", timeout=20_000)
    expect(page.locator("#booking-status")).to_contain_text("We settled it by mail.")
    checked(page)

    second = book_a_time(page, search_url, 1)
    in_outlook(emulator, ALEX, second.event_id, "cancel", {})  # Alex cancels it in Outlook
    Booking.objects.update(read_back_at=None)  # as if a minute had passed: My meetings reads it again
    page.goto(f"{org}/meetings/")
    cancelled = page.locator("li.meeting", has=page.get_by_role("link", name="Plans for spring")).filter(
        has_text="Cancelled in Outlook"
    )
    expect(cancelled).to_have_count(1)
    checked(page)
    page.goto(f"{org}/meetings/{second.code}/")
    expect(page.locator("#booking-status")).to_contain_text("Cancelled in Outlook")
    checked(page)
    member.close()
    admin.close()
