"""Every organization-scoped URL, tried by its owner (an admin), a member, an outsider and a stranger.

The table below must name every URL pattern that carries an organization's code: a new page without
an entry fails `test_every_organization_url_is_in_the_table`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Membership
from booking.models import Booking
from tests.conftest import Org, signed_in


@dataclass(frozen=True)
class Expect:
    method: str
    owner: int
    member: int
    outsider: int = 404  # "missing" and "not yours" look the same
    anonymous: int = 302  # to the sign-in page
    meeting: bool = False  # the URL names a meeting too: the owner organizes it, the member is invited
    person: bool = False  # the URL names a person of the organization (the member)


# Nothing here is connected to Microsoft, so every action ends on the page that explains why.
EXPECTED: dict[str, Expect] = {
    "organization_home": Expect("get", owner=200, member=200),
    "integration_settings": Expect("get", owner=200, member=403),
    "organization_health": Expect("get", owner=200, member=403),
    "audit": Expect("get", owner=200, member=403),
    "audit_csv": Expect("get", owner=200, member=403),
    "integration_tenant": Expect("post", owner=200, member=403),  # the empty form comes back with its errors
    "integration_consent": Expect("post", owner=302, member=403),
    "integration_test": Expect("post", owner=302, member=403),
    "integration_disconnect": Expect("post", owner=302, member=403),
    "integration_group": Expect("post", owner=302, member=403),
    "integration_reach": Expect("post", owner=302, member=403),
    "integration_sync": Expect("post", owner=302, member=403),
    "integration_rooms": Expect("post", owner=302, member=403),  # refused before a working connection: back with why
    "calendar_connection": Expect("get", owner=200, member=200),
    "calendar_connect": Expect("post", owner=302, member=302),
    "calendar_check": Expect("post", owner=302, member=302),
    "calendar_disconnect": Expect("post", owner=302, member=302),
    "booking_page": Expect("get", owner=200, member=200),
    "booking_people": Expect("get", owner=200, member=200),
    "booking_confirm_page": Expect("get", owner=400, member=400),  # a link without a time names nothing to book
    "booking_time_zone": Expect("post", owner=302, member=302),  # no zone given: back to the page with the message
    "booking_rules": Expect("get", owner=200, member=200),  # members read how times are chosen
    "booking_create": Expect("post", owner=400, member=400),  # an empty form books nothing
    "meetings": Expect("get", owner=200, member=200),
    "meeting_detail": Expect("get", owner=200, member=200, meeting=True),
    # The organizer is told why nothing happened (not connected, not confirmed); an attendee may not change it.
    "meeting_retry": Expect("post", owner=302, member=403, meeting=True),
    "meeting_reschedule": Expect("post", owner=302, member=403, meeting=True),
    "meeting_new_times": Expect("get", owner=302, member=403, meeting=True),  # not confirmed: nothing to move
    "meeting_cancel": Expect("post", owner=302, member=403, meeting=True),
    # A series' occurrence: the organizer is told why not (no occurrence named); an attendee may not change it.
    "meeting_occurrence_cancel": Expect("post", owner=302, member=403, meeting=True),
    "meeting_occurrence_move": Expect("post", owner=302, member=403, meeting=True),
    "meeting_series_move": Expect("post", owner=302, member=403, meeting=True),
    "meeting_reroom": Expect("post", owner=302, member=403, meeting=True),  # no room declined: back with why
    "integration_sync_confirm": Expect("post", owner=302, member=403),
    "invitations": Expect("get", owner=200, member=403),
    "people": Expect("get", owner=200, member=403),
    "people_role": Expect("post", owner=302, member=403, person=True),  # no role chosen: back with why
    "people_access": Expect("post", owner=302, member=403, person=True),
    "people_clash": Expect("post", owner=302, member=403, person=True),  # no action chosen: back with why
    "microsoft_link": Expect("post", owner=302, member=302),  # to Microsoft's sign-in, or back with why not
}


def _organization_url_names(patterns: list[URLPattern | URLResolver], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            names |= _organization_url_names(entry.url_patterns, route)
        elif "<uuid:code>" in route:
            assert entry.name, f"{route} has no name, so it cannot be in the table"
            names.add(entry.name)
    return names


def test_every_organization_url_is_in_the_table() -> None:
    assert _organization_url_names(get_resolver().url_patterns) == set(EXPECTED)


def _meeting(org: Org) -> Booking:
    """A meeting the owner organizes with the member invited (never confirmed: nothing is connected)."""
    organizer = Membership.objects.get(user=org.admin, organization=org.organization)
    invited = Membership.objects.get(user=org.member, organization=org.organization)
    start = timezone.now() + timedelta(days=3)
    booking = Booking.objects.create(
        organization=org.organization,
        organizer=organizer,
        start=start,
        end=start + timedelta(minutes=30),
        subject="Plan",
    )
    for membership, role in ((organizer, "organizer"), (invited, "required")):
        booking.participants.create(membership=membership, role=role)
    return booking


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("who", ["owner", "member", "outsider", "anonymous"])
def test_each_person_gets_what_their_place_allows(name: str, who: str, org: Org, other_org: Org) -> None:
    expect = EXPECTED[name]
    person = {"owner": org.admin, "member": org.member, "outsider": other_org.admin}.get(who)
    client = signed_in(person) if person is not None else Client()

    kwargs: dict[str, object] = {"code": org.organization.code}
    if expect.meeting:
        kwargs["booking"] = _meeting(org).code
    if expect.person:
        kwargs["person"] = org.member.uuid

    response = getattr(client, expect.method)(reverse(name, kwargs=kwargs))

    assert response.status_code == getattr(expect, who)
    if who == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))
