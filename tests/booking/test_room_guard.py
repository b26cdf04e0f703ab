"""The database refuses two active bookings that hold the same room at overlapping times (SQLite and PostgreSQL
alike); a room that declined, a cancelled booking and another organization's room of the same address hold
nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership
from booking.models import Booking
from tests.conftest import Org

IN_A_WEEK = (timezone.now() + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
FJORD = "fjord@contoso.example"


def _booking(org: Org, start: datetime, room: str = FJORD, minutes: int = 60, **fields: str) -> Booking:
    organizer = Membership.objects.get(user=org.admin, organization=org.organization)
    with transaction.atomic():
        return Booking.objects.create(
            organization=org.organization,
            organizer=organizer,
            start=start,
            end=start + timedelta(minutes=minutes),
            subject="Planning",
            room_name="Fjord",
            room_address=room,
            **fields,
        )


class TestTheRoomGuard:
    def test_a_second_booking_of_the_same_room_at_an_overlapping_time_is_refused(self, org: Org) -> None:
        _booking(org, IN_A_WEEK)

        with pytest.raises(IntegrityError, match="booking_room_no_overlap"):
            _booking(org, IN_A_WEEK + timedelta(minutes=30))
        assert Booking.objects.filter(room_address=FJORD).count() == 1

    def test_back_to_back_bookings_and_another_room_are_allowed(self, org: Org) -> None:
        _booking(org, IN_A_WEEK)
        _booking(org, IN_A_WEEK + timedelta(hours=1))
        _booking(org, IN_A_WEEK, room="birch@contoso.example")

        assert Booking.objects.filter(room_address=FJORD).count() == 2

    def test_a_declined_room_or_a_cancelled_booking_frees_the_room(self, org: Org) -> None:
        _booking(org, IN_A_WEEK, room_response="declined")
        _booking(org, IN_A_WEEK, state=Booking.State.CANCELLED)

        again = _booking(org, IN_A_WEEK)
        assert again.room_address == FJORD

    def test_the_same_address_in_another_organization_is_another_room(self, org: Org, other_org: Org) -> None:
        _booking(org, IN_A_WEEK)
        _booking(other_org, IN_A_WEEK)

        assert Booking.objects.filter(room_address=FJORD).count() == 2

    def test_a_booking_without_a_room_holds_no_room(self, org: Org) -> None:
        _booking(org, IN_A_WEEK, room="")
        _booking(org, IN_A_WEEK, room="")

        assert Booking.objects.filter(room_address="").count() == 2
