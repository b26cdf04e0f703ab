"""Which meetings the periodic read-back takes: upcoming confirmed ones, those starting within a day more often."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Membership
from booking.models import Booking
from booking.readback import organizers_due
from tests.conftest import Org


def confirmed(org: Org, *, starts_in: timedelta, read_ago: timedelta | None, user_is_admin: bool = True) -> Booking:
    organizer = Membership.objects.get(user=org.admin if user_is_admin else org.member, organization=org.organization)
    start = timezone.now() + starts_in
    return Booking.objects.create(
        organization=org.organization,
        organizer=organizer,
        start=start,
        end=start + timedelta(minutes=30),
        subject="Plan",
        state=Booking.State.CONFIRMED,
        event_id="AAMk-id",
        read_back_at=None if read_ago is None else timezone.now() - read_ago,
    )


def test_a_meeting_within_a_day_is_read_every_five_minutes_and_a_later_one_every_hour(org: Org) -> None:
    soon = confirmed(org, starts_in=timedelta(hours=2), read_ago=timedelta(minutes=6))
    confirmed(org, starts_in=timedelta(days=3), read_ago=timedelta(minutes=6), user_is_admin=False)

    assert organizers_due() == [soon.organizer_id]


def test_a_later_meeting_is_due_after_an_hour_and_a_new_one_at_once(org: Org) -> None:
    later = confirmed(org, starts_in=timedelta(days=3), read_ago=timedelta(minutes=61))
    Booking.objects.filter(pk=later.pk).update(read_back_at=None)

    assert organizers_due() == [later.organizer_id]


def test_past_cancelled_and_fresh_meetings_are_not_read(org: Org) -> None:
    confirmed(org, starts_in=timedelta(hours=-3), read_ago=None)
    confirmed(org, starts_in=timedelta(hours=5), read_ago=timedelta(minutes=1))
    cancelled = confirmed(org, starts_in=timedelta(hours=8), read_ago=None, user_is_admin=False)
    Booking.objects.filter(pk=cancelled.pk).update(state=Booking.State.CANCELLED)

    assert organizers_due() == []
