"""The admin's health page and the organizer's cancel confirmation in headless Chromium: they read well, pass
WCAG 2.1 AA, and keep the Content-Security-Policy."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from accounts import services as accounts
from accounts.models import Membership
from booking.models import Booking, Participant
from integrations.connection.answering import microsoft_did_not_answer
from integrations.microsoft.errors import Throttled
from integrations.models import CalendarGrant
from tests.browser_fixtures import PASSWORD, assert_accessible, screenshot, sign_in_with_password
from tests.conftest import Org
from tests.factories import reach_found

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AT = datetime(2031, 3, 4, 15, 0, tzinfo=UTC)  # planted meetings; nothing reads a calendar here


def planted(
    organizer: Membership, attendee: Membership, *, state: str, subject: str, hours: int = 0, **fields: object
) -> Booking:
    """A booking `hours` after AT (two at once would meet the double-booking guard)."""
    start = AT + timedelta(hours=hours)
    booking = Booking.objects.create(
        organization=organizer.organization,
        organizer=organizer,
        start=start,
        end=start + timedelta(minutes=30),
        subject=subject,
        state=state,
        **fields,
    )
    for membership, role in ((organizer, "organizer"), (attendee, "required")):
        Participant.objects.create(booking=booking, membership=membership, role=role)
    return booking


def with_password(org: Org) -> tuple[Membership, Membership]:
    for user in (org.admin, org.member):
        user.set_password(PASSWORD)
        user.save()
    admin = Membership.objects.get(organization=org.organization, user=org.admin)
    return admin, Membership.objects.get(organization=org.organization, user=org.member)


def test_the_admin_reads_how_overlap_runs_for_their_organization(
    browser: Browser, live_server: LiveServer, org: Org, other_org: Org
) -> None:
    admin, member = with_password(org)
    reason = "Adele Vance's mailbox is no longer in Microsoft 365: pick another colleague."
    planted(member, admin, state=Booking.State.PENDING, subject="Budget review")
    planted(member, admin, state=Booking.State.FAILED, subject="Hiring panel", failure_reason=reason, hours=2)
    CalendarGrant.objects.create(
        membership=member, status=CalendarGrant.Status.RECONNECT_NEEDED, last_error_message="Sign-in expired."
    )
    reach_found(admin, reachable=False, reason="Not enabled by your admin (outside the security group).")
    microsoft_did_not_answer(organization=org.organization, error=Throttled("Too many requests", retry_after=2))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_with_password(page, live_server.url, org.admin.email)

    page.goto(live_server.url + reverse("integration_settings", kwargs={"code": org.code}))
    expect(page.locator("#not-answering")).to_contain_text("Microsoft 365 is not answering")
    page.get_by_role("link", name="How Overlap is running").click()

    expect(page.get_by_role("heading", name="How Overlap is running")).to_be_visible()
    expect(page.locator("#not-answering")).to_contain_text("Overlap keeps trying by itself")
    expect(page.locator("#bookings")).to_contain_text("Budget review")
    expect(page.locator("#bookings")).to_contain_text(reason)
    expect(page.locator("#throttled")).to_contain_text("1 call gave up")
    expect(page.locator("#people")).to_contain_text("Sign-in expired.")
    screenshot(page, "admin-health")
    assert_accessible(page)
    context.close()


def test_the_organizer_confirms_a_cancellation_on_a_page_that_says_what_will_happen(
    browser: Browser, live_server: LiveServer, org: Org
) -> None:
    admin, member = with_password(org)
    meeting = planted(member, admin, state=Booking.State.CONFIRMED, subject="Quarterly plan", event_id="AAMk-1")
    context = browser.new_context(viewport={"width": 360, "height": 780})
    page = context.new_page()
    sign_in_with_password(page, live_server.url, org.member.email)
    page.goto(live_server.url + reverse("meeting_detail", kwargs={"code": org.code, "booking": meeting.code}))
    page.get_by_label("Message to the attendees (optional)").fill("Numbers are late")
    page.get_by_role("button", name="Cancel the meeting").click()

    expect(page.get_by_role("heading", name="Cancel “Quarterly plan”?")).to_be_visible()
    expect(page.locator("#confirm")).to_contain_text("with your message: “Numbers are late”")
    screenshot(page, "meeting-cancel-confirm")
    assert_accessible(page)
    page.get_by_role("link", name="Keep the meeting").click()
    expect(page.get_by_role("heading", name="Quarterly plan", exact=True)).to_be_visible()
    meeting.refresh_from_db()
    assert meeting.state == Booking.State.CONFIRMED
    context.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_the_admin_reads_and_filters_the_audit_trail_on_any_screen(
    browser: Browser, live_server: LiveServer, org: Org, width: int
) -> None:
    admin, member = with_password(org)
    accounts.membership_set_role(membership=member, role=Membership.Role.ADMIN, by=org.admin)
    planted(member, admin, state=Booking.State.CONFIRMED, subject="Quarterly plan").move(
        Booking.State.CANCELLED, actor=org.member, kind="cancelled_in_outlook", detail="cancelled in Outlook"
    )
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in_with_password(page, live_server.url, org.admin.email)
    page.goto(live_server.url + reverse("organization_health", kwargs={"code": org.code}))
    page.get_by_role("link", name="Audit trail").first.click()

    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    entries = page.get_by_role("table", name="Audit entries")
    expect(entries).to_contain_text("Role changed")
    expect(entries).to_contain_text("Member → Admin")
    expect(entries).to_contain_text("Quarterly plan")
    page.get_by_label("Area").select_option(label="People")
    page.get_by_role("button", name="Show").click()
    expect(entries).to_contain_text("Role changed")
    expect(entries).not_to_contain_text("Quarterly plan")
    expect(page.locator("#download")).to_have_attribute("href", re.compile(r"audit\.csv\?area=people$"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    screenshot(page, f"audit-trail-{width}")
    assert_accessible(page)
    context.close()
