"""Rooms in headless Chromium: a member asks for a room for four at headquarters, sees times that each name a
room, books one and sees the room accept; a room taken in Outlook before it answered shows declined on My
meetings, and one click books another room for the same time. At 1280 px and on a 360 px phone (no sideways
scroll), WCAG 2.1 AA by axe, the Content-Security-Policy kept; the admin's rooms section pictured too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from booking.models import Booking
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import World, book, form, free_slot, meeting_url, world_in
from tests.booking.rooms_world import (
    DOMAIN,
    HQ_LIST,
    LISBON,
    OSLO,
    book_in_outlook,
    clear_rooms,
    room,
    room_list,
    rooms_on,
)
from tests.booking.world import connected
from tests.browser_fixtures import ARTIFACTS, PASSWORD, assert_accessible, screenshot, sign_in, sign_in_with_password
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIZES = [(1280, 900), (360, 780)]
HEADQUARTERS_ROOMS = ("Room 1.12 Lisbon", "Room 2.04 Oslo", "Room 3.01 Vienna", "Boardroom 4.01 Amstel")


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{page.url} scrolls sideways"


def _looked_at(page: Page, name: str) -> None:
    """The page as a person sees it: pictured, no sideways scroll, WCAG 2.1 AA."""
    screenshot(page, name)
    _no_sideways_scroll(page)
    assert_accessible(page)


def _megan_in(browser: Browser, base_url: str, world: World, width: int, height: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height}, timezone_id="Europe/Amsterdam")
    page = context.new_page()
    sign_in(page, base_url, world.megan.user)
    return page


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_member_asks_for_a_room_for_four_at_headquarters_books_a_time_with_its_room_and_sees_it_accept(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess, width: int, height: int
) -> None:
    # Adele works in Amsterdam, at headquarters, as Diego and Johanna do: their working days meet.
    adele = connected(org, emulator_settings, "domain_wide", organizer="Adele Vance")
    rooms_on(org, emulator_settings)
    context = browser.new_context(viewport={"width": width, "height": height}, timezone_id="Europe/Amsterdam")
    page = context.new_page()
    sign_in(page, live_server.url, adele.user)
    page.goto(f"{live_server.url}/orgs/{org.code}/book/")
    expect(page.locator("#tz")).to_have_attribute("data-stored", "Europe/Amsterdam")
    for colleague in ("diego", "johanna"):
        page.get_by_label("Find colleagues").fill(colleague)
        found = page.locator(f'#people-found [data-q="{colleague}"]')  # this query's answer, swapped in
        found.get_by_role("button", name="Required").first.click()
    expect(page.locator("#chosen .chip .name")).to_have_text(["Diego Ruiz", "Johanna Lorenz"])
    page.get_by_label("Subject").fill("Roadmap with a room")
    page.get_by_label("In person").check()
    page.get_by_label("Seats").fill("4")
    page.get_by_label("Building or room list").select_option(label="Headquarters rooms")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#room-fields").screenshot(path=str(ARTIFACTS / f"rooms-fields-{width}.png"))
    _looked_at(page, f"rooms-booking-page-{width}")
    page.get_by_role("button", name="Find times").click()

    expect(page.locator("#rooms-answer")).to_contain_text("You asked for a room with 4 seats, to meet in person.")
    expect(page.get_by_role("heading", name="Best times")).to_be_visible()
    best, every = page.locator("#best li.slot"), page.locator("#every ul.times li")
    assert best.count() and every.count()
    assert best.locator("p.room").count() == best.count(), "a best time without its room"
    assert every.locator("span.room").count() == every.count(), "a time of the day lists without its room"
    named = {text.removeprefix("· ").strip() for text in every.locator("span.room").all_inner_texts()}
    assert named and named <= set(HEADQUARTERS_ROOMS), f"rooms outside headquarters or too small: {named}"
    _looked_at(page, f"rooms-times-{width}")
    room_name = best.first.locator("p.room strong").inner_text()
    best.first.get_by_role("link", name="Pick this time").click()

    expect(page.locator("#room")).to_contain_text(room_name)
    _looked_at(page, f"rooms-confirm-{width}")
    page.get_by_role("button", name="Book this meeting").click()

    booking = Booking.objects.get(subject="Roadmap with a room")
    expect(page.locator("#booking-status")).to_contain_text("Confirmed", timeout=15_000)
    line = page.locator(f"#room-{booking.code}")
    expect(line).to_contain_text(f"Room: {room_name}")
    expect(line).to_contain_text("not answered yet")
    emulator_settings.control("POST", "/rooms/answer", {"tenant": DOMAIN})
    page.goto(live_server.url + reverse("meetings", kwargs={"code": org.code}))  # My meetings reads them back
    expect(page.locator(f"#room-{booking.code}")).to_contain_text("accepted")
    page.goto(live_server.url + meeting_url(booking))

    expect(page.locator(f"#room-{booking.code}")).to_contain_text(f"Room: {room_name}: accepted")
    _looked_at(page, f"rooms-meeting-accepted-{width}")
    assert Booking.objects.get(pk=booking.pk).room_response == "accepted"


def _declined_in_outlook(world: World) -> Booking:
    """Megan's meeting with Lisbon (four seats at headquarters), its time booked in Outlook before the room
    answered: the room declines it."""
    rooms_on(world.org, world.emulator)
    start = free_slot(world, [world.megan, world.adele])
    clear_rooms(world.emulator, start - timedelta(hours=2), start + timedelta(hours=3))
    ask = {"room_mode": "in_person", "seats": "4", "room_list": str(room_list(world.org, HQ_LIST).code)}
    fields = form(start, required=[world.adele], subject="Budget in a room") | ask
    book(world.client(world.megan), world.org, fields | {"room": str(room(world.org, LISBON).code)})
    book_in_outlook(world.emulator, LISBON, start, 30)
    world.emulator.control("POST", "/rooms/answer", {"tenant": DOMAIN})
    return Booking.objects.get(subject="Budget in a room")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_room_taken_in_outlook_shows_declined_on_my_meetings_and_one_click_books_another_room_for_the_time(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess, width: int, height: int
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    booking = _declined_in_outlook(world)
    start = booking.start
    page = _megan_in(browser, live_server.url, world, width, height)

    page.goto(live_server.url + reverse("meetings", kwargs={"code": org.code}))

    line = page.locator(f"#room-{booking.code}")
    expect(line).to_contain_text("Room: Room 1.12 Lisbon: declined")
    another = page.get_by_role("button", name="Find another room for this time")
    expect(another).to_be_visible()
    _looked_at(page, f"rooms-declined-{width}")
    another.click()

    expect(page.get_by_text("Room 2.04 Oslo is booked for this meeting")).to_be_visible()
    expect(page.locator(f"#room-{booking.code}")).to_contain_text("Room: Room 2.04 Oslo: not answered yet")
    _looked_at(page, f"rooms-rebooked-{width}")
    booking.refresh_from_db()
    assert (booking.room_address, booking.start, booking.state) == (OSLO, start, Booking.State.CONFIRMED)


def test_the_admin_reads_what_rooms_add_on_the_settings_page(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess
) -> None:
    world_in(org, emulator_settings, "domain_wide")
    rooms_on(org, emulator_settings)
    org.admin.set_password(PASSWORD)
    org.admin.save()
    for width, height in SIZES:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        sign_in_with_password(page, live_server.url, org.admin.email)

        page.goto(live_server.url + reverse("integration_settings", kwargs={"code": org.code}))

        rooms = page.locator("#rooms")
        expect(rooms).to_contain_text("Place.Read.All")
        expect(rooms).to_contain_text("Rooms on")
        rooms.screenshot(path=str(ARTIFACTS / f"rooms-settings-section-{width}.png"))
        _looked_at(page, f"rooms-settings-{width}")
        context.close()
