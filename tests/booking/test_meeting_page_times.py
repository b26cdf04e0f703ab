"""The meeting page shows the time on each person's own clock, named with their zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from booking.models import Booking
from tests.conftest import Org, signed_in


def test_each_person_sees_the_meeting_on_their_own_clock(org: Org, other_org: Org) -> None:
    org.admin.time_zone = "Europe/Berlin"
    org.admin.save()
    org.member.time_zone = "America/New_York"
    org.member.save()
    organizer = Membership.objects.get(user=org.admin, organization=org.organization)
    invited = Membership.objects.get(user=org.member, organization=org.organization)
    start = datetime(2031, 3, 4, 15, 0, tzinfo=UTC)
    booking = Booking.objects.create(
        organization=org.organization, organizer=organizer, start=start, end=start + timedelta(minutes=30), subject="P"
    )
    for membership, role in ((organizer, "organizer"), (invited, "required")):
        booking.participants.create(membership=membership, role=role, start=booking.start, end=booking.end)
    url = reverse("meeting_detail", kwargs={"code": org.code, "booking": booking.code})

    page = signed_in(org.admin).get(url).text
    assert "Tue 4 Mar 2031, 16:00\u201316:30 (Europe/Berlin)" in page
    assert "Tue 4 Mar 2031, 10:00\u201310:30 (America/New_York)" in page
    assert signed_in(other_org.admin).get(url).status_code == 404
    assert Client().get(url).status_code == 302
