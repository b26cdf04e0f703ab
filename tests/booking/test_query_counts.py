"""The main pages cost a fixed number of database queries, however many meetings, people or events they show.

Each test loads a page with few rows and with many and asserts the same count (no query per row, no N+1),
and that count, so that a new query on a main page is a decision someone makes on purpose.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership
from booking.models import Booking, Participant
from integrations.models import Connection, IntegrationEvent
from m365_emulator.testing import EmulatorProcess
from tests.booking.world import connected, member
from tests.conftest import Org, signed_in
from tests.factories import MembershipFactory, UserFactory

# Queries each page makes, whatever it shows. Three are every signed-in page's (the session, the user, the
# membership) and one the navigation's (the person's organizations). My meetings reads the meetings twice:
# the stale ones to read back, then the page's own (with their series' occurrences). The booking page reads its
# rules, the connection and the organizer's directory record with the membership (one query). A search, as the
# booking page's form sends it (htmx: the results part, with no navigation), reads the colleagues with their reach
# (one query); asking Microsoft reads the connection twice more (the Graph client's mode and tenant).
MY_MEETINGS = 10
MEETING_PAGE = 9
BOOKING_PAGE = 4
# One keeps the working-hours zones Graph told for people new to the search; one finds the organizer's directory
# record (their mailbox), one the colleagues' directory addresses, one checks every address sent is one of them.
# This search finds no time (Megan's Pacific day never meets Adele's Berlin one), so it also reads the weeks
# after the range for the earliest time (one more getSchedule: its Graph client and addresses, five queries).
SUGGESTIONS_PAGE = 15
SUGGESTIONS_PAGE_CACHED = 4  # free/busy from the cache: no Graph client to make, no address to look up
SETTINGS_PAGE = 9  # the reach check's counts in one query
PEOPLE_PAGE = 8  # one more: a password account that gives a Microsoft person's address (none, usually)


def queries(client: Client, url: str, params: dict[str, Any] | None = None, **headers: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {}, headers=headers)
    assert response.status_code == 200, response.content.decode()[:500]
    return len(captured.captured_queries)


def colleagues(org: Org, count: int, *, start: int = 0) -> list[Membership]:
    zones = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "")
    return [
        MembershipFactory.create(
            organization=org.organization,
            user=UserFactory.create(name=f"Colleague {n}", time_zone=zones[n % len(zones)]),
        )
        for n in range(start, start + count)
    ]


def meetings(org: Org, organizer: Membership, count: int, people: int = 2, *, first: int = 0) -> list[Booking]:
    """Confirmed meetings, read back just now (so that showing them asks Microsoft nothing)."""
    made = []
    for n in range(first, first + count):
        start = timezone.now().replace(microsecond=0) + timedelta(days=2, hours=n)
        if n % 3 == 0:
            start -= timedelta(days=30)  # some past meetings too
        booking = Booking.objects.create(
            organization=org.organization,
            organizer=organizer,
            start=start,
            end=start + timedelta(minutes=30),
            subject=f"Meeting {n}",
            state=Booking.State.CONFIRMED,
            event_id=f"event-{n}",
            join_url="https://teams.example/join",
            web_link="https://outlook.example/event",
            read_back_at=timezone.now(),
        )
        roles = [(organizer, Participant.Role.ORGANIZER)]
        roles += [(m, Participant.Role.REQUIRED) for m in colleagues(org, people, start=100 * n)]
        for membership, role in roles:
            booking.participants.create(membership=membership, role=role)
        booking.history.create(actor=organizer.user, kind="booked", state=booking.state)
        made.append(booking)
    return made


def organizer_of(org: Org) -> Membership:
    return Membership.objects.get(organization=org.organization, user=org.member)


@pytest.mark.django_db
class TestMyMeetings:
    def test_one_meeting_or_twenty_cost_the_same_queries(self, org: Org, member_client: Client) -> None:
        organizer = organizer_of(org)
        url = f"/orgs/{org.code}/meetings/"
        meetings(org, organizer, 1)
        with_one = queries(member_client, url)
        meetings(org, organizer, 19, people=4, first=1)
        page = member_client.get(url).content.decode()
        assert page.count('class="card meeting"') == 20
        assert (with_one, queries(member_client, url)) == (MY_MEETINGS, MY_MEETINGS)

    def test_a_colleague_invited_to_many_meetings_costs_the_same_queries(self, org: Org) -> None:
        organizer = organizer_of(org)
        invited = colleagues(org, 1)[0]
        url = f"/orgs/{org.code}/meetings/"
        for count in (1, 10):
            for booking in meetings(org, organizer, count, people=1, first=200 + count):
                booking.participants.create(membership=invited, role=Participant.Role.OPTIONAL)
            assert queries(signed_in(invited.user), url) == MY_MEETINGS


@pytest.mark.django_db
class TestMeetingPage:
    def test_two_people_or_nine_and_a_long_history_cost_the_same_queries(self, org: Org, member_client: Client) -> None:
        organizer = organizer_of(org)
        (small,) = meetings(org, organizer, 1, people=1)
        (large,) = meetings(org, organizer, 1, people=8, first=1)
        for n in range(10):
            large.history.create(actor=organizer.user, kind="read back", state=large.state, detail=f"change {n}")
        counts = [queries(member_client, f"/orgs/{org.code}/meetings/{b.code}/") for b in (small, large)]
        assert counts == [MEETING_PAGE, MEETING_PAGE]


@pytest.mark.django_db
class TestBookingPage:
    def test_the_empty_form_costs_the_same_queries_in_a_small_or_large_organization(
        self, org: Org, member_client: Client
    ) -> None:
        url = f"/orgs/{org.code}/book/"
        member_client.get(url)  # the first look makes the organization's booking rules
        small = queries(member_client, url)
        colleagues(org, 30)
        assert (small, queries(member_client, url)) == (BOOKING_PAGE, BOOKING_PAGE)


@pytest.mark.django_db
class TestSuggestionsPage:
    def test_a_search_with_one_colleague_or_five_costs_the_same_queries(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        organizer = connected(org, emulator_settings, "domain_wide")
        names = ["Adele Vance", "Alex Wilber", "Allan Deyoung", "Lynne Robbins", "Nestor Wilke"]
        people = [member(org, name) for name in names]
        client = signed_in(organizer.user)
        start = timezone.now().date() + timedelta(days=1)
        client.get(f"/orgs/{org.code}/book/")  # the first look makes the organization's booking rules
        counts: list[int] = []
        for chosen in (people[:1], people, people):
            if len(counts) < 2:
                cache.clear()  # free/busy read from Microsoft, not from the cache
            params: dict[str, Any] = {
                "minutes": "30",
                "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=6)).isoformat(),
                "required": [str(m.user.uuid) for m in chosen],
            }
            counts.append(queries(client, f"/orgs/{org.code}/book/", params, HX_Request="true"))
        page = client.get(f"/orgs/{org.code}/book/", params, headers={"HX-Request": "true"}).content.decode()
        assert "<nav" not in page and "<html" not in page  # the results part, as htmx swaps it in
        assert "Nothing was searched" not in page and 'id="refused"' not in page  # Microsoft was asked, and answered
        assert counts == [SUGGESTIONS_PAGE, SUGGESTIONS_PAGE, SUGGESTIONS_PAGE_CACHED]


@pytest.mark.django_db
class TestAdminPages:
    def test_the_settings_page_costs_the_same_queries_with_one_event_or_thirty(
        self, org: Org, admin_client: Client
    ) -> None:
        connection_row, _ = Connection.objects.get_or_create(organization=org.organization)
        url = f"/orgs/{org.code}/integrations/microsoft/"
        IntegrationEvent.objects.create(organization=org.organization, actor=org.admin, kind="checked", detail="1")
        few = queries(admin_client, url)
        for n in range(30):
            IntegrationEvent.objects.create(
                organization=org.organization, actor=org.admin, kind="checked", detail=f"{n}"
            )
        assert connection_row.pk
        assert (few, queries(admin_client, url)) == (SETTINGS_PAGE, SETTINGS_PAGE)

    def test_the_people_page_costs_the_same_queries_with_two_people_or_forty(
        self, org: Org, admin_client: Client
    ) -> None:
        url = f"/orgs/{org.code}/people/"
        few = queries(admin_client, url)
        colleagues(org, 38)
        page = admin_client.get(url).content.decode()
        assert "40 people" in page
        assert (few, queries(admin_client, url)) == (PEOPLE_PAGE, PEOPLE_PAGE)
