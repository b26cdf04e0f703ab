"""The meeting page in headless Chromium: "Creating your meeting…" turns into the confirmed meeting without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from booking.models import Booking
from booking.tasks import confirm_booking
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import book, form, free_slot, meeting_url, world_in
from tests.browser_fixtures import assert_accessible, screenshot, sign_in
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


def test_the_page_updates_itself_from_creating_to_confirmed(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    start = free_slot(world, [world.megan, world.adele])
    book(world.client(world.megan), world.org, form(start, required=[world.adele]), run_tasks=False)
    booking = Booking.objects.get()
    # Live-server tests commit at once, so the task already ran: put the booking back to where the worker
    # has sent the create but not stored its answer (the task then adopts the meeting by its tag).
    Booking.objects.filter(pk=booking.pk).update(state=Booking.State.PENDING)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server.url, world.megan.user)

    page.goto(f"{live_server.url}{meeting_url(booking)}")
    expect(page.get_by_role("heading", name="Creating your meeting…")).to_be_visible()
    assert_accessible(page)
    page.evaluate("window.stayedOnThisPage = true")
    confirm_booking.delay(booking.pk)

    expect(page.locator("#booking-status")).to_contain_text("Confirmed", timeout=10_000)
    expect(page.get_by_role("link", name="Join the Teams meeting")).to_be_visible()
    assert page.evaluate("window.stayedOnThisPage") is True  # updated in place, no reload
    screenshot(page, "meeting-confirmed")
    assert_accessible(page)
    context.close()
