"""The meeting page shows the time on each person's own clock, named with their zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from booking.models import Booking
from tests.conftest import Org, signed_in


def _meeting_with_the_member(org: Org) -> str:
    """The admin's meeting with the member on Tue 4 Mar 2031, 15:00 to 15:30 UTC; its page's URL."""
    organizer = Membership.objects.get(user=org.admin, organization=org.organization)
    invited = Membership.objects.get(user=org.member, organization=org.organization)
    start = datetime(2031, 3, 4, 15, 0, tzinfo=UTC)
    booking = Booking.objects.create(
        organization=org.organization, organizer=organizer, start=start, end=start + timedelta(minutes=30), subject="P"
    )
    for membership, role in ((organizer, "organizer"), (invited, "required")):
        booking.participants.create(membership=membership, role=role)
    url = reverse("meeting_detail", kwargs={"code": org.code, "booking": booking.code})
    return url


def test_each_person_sees_the_meeting_on_their_own_clock(org: Org, other_org: Org) -> None:
    org.admin.time_zone = "Europe/Berlin"
    org.admin.save()
    org.member.time_zone = "America/New_York"
    org.member.save()
    url = _meeting_with_the_member(org)

    page = signed_in(org.admin).get(url).text
    assert "Tue, Mar 4, 2031, 4:00\u00a0PM\u20134:30\u00a0PM (Europe/Berlin)" in page
    assert "Tue, Mar 4, 2031, 10:00\u00a0AM\u201310:30\u00a0AM (America/New_York)" in page
    assert signed_in(other_org.admin).get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_a_colleague_appears_on_microsofts_clock_for_them_and_an_unknown_zone_is_said_to_be_unknown(
    org: Org, other_org: Org
) -> None:
    org.admin.time_zone = "Europe/Berlin"  # what the organizer's browser told
    org.admin.mailbox_time_zone = "Europe/London"  # their mailbox: the viewer's own clock wins for themselves
    org.admin.save()
    org.member.mailbox_time_zone = "America/Los_Angeles"  # learned from getSchedule's workingHours.timeZone
    org.member.save()
    url = _meeting_with_the_member(org)

    page = signed_in(org.admin).get(url).text
    assert "Tue, Mar 4, 2031, 4:00\u00a0PM\u20134:30\u00a0PM (Europe/Berlin)" in page
    assert "Tue, Mar 4, 2031, 7:00\u00a0AM\u20137:30\u00a0AM (America/Los_Angeles)" in page
    mine = signed_in(org.admin).get(reverse("meetings", kwargs={"code": org.code})).text
    assert "4:00\u00a0PM\u20134:30\u00a0PM your time (Europe/Berlin)" in mine
    assert "· 7:00\u00a0AM\u20137:30\u00a0AM for Contoso Member (America/Los_Angeles)" in mine

    org.member.mailbox_time_zone = ""
    org.member.save()
    page = signed_in(org.admin).get(url).text
    assert "3:00\u00a0PM\u20133:30\u00a0PM (UTC; their time zone is not known yet)" in page
    assert signed_in(other_org.admin).get(url).status_code == 404
