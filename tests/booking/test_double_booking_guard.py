"""The database refuses two active bookings that overlap for one person, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from accounts.models import Membership
from booking.models import Booking, Hold, IllegalMove, Participant
from tests.conftest import Org

IN_A_WEEK = (timezone.now() + timedelta(days=7)).replace(hour=15, minute=0, second=0, microsecond=0)


def members(org: Org) -> tuple[Membership, Membership]:
    return (
        Membership.objects.get(user=org.admin, organization=org.organization),
        Membership.objects.get(user=org.member, organization=org.organization),
    )


def booking(org: Org, start: datetime, minutes: int = 30, *, optional: bool = False) -> Booking:
    organizer, colleague = members(org)
    with transaction.atomic():
        made = Booking.objects.create(
            organization=org.organization,
            organizer=organizer,
            start=start,
            end=start + timedelta(minutes=minutes),
            subject="Plan",
        )
        made.participants.create(membership=organizer, role="organizer")
        role = Participant.Role.OPTIONAL if optional else Participant.Role.REQUIRED
        made.participants.create(membership=colleague, role=role, guarded=not optional)
        made.hold_times()
    return made


@pytest.mark.django_db(transaction=True)
class TestTheGuard:
    def test_a_second_booking_that_overlaps_for_the_same_person_is_refused(self, org: Org) -> None:
        booking(org, IN_A_WEEK)

        with pytest.raises(IntegrityError):
            booking(org, IN_A_WEEK + timedelta(minutes=15))

        assert Booking.objects.count() == 1

    def test_back_to_back_meetings_are_allowed(self, org: Org) -> None:
        booking(org, IN_A_WEEK)
        booking(org, IN_A_WEEK + timedelta(minutes=30))
        booking(org, IN_A_WEEK - timedelta(minutes=30))

        assert Booking.objects.count() == 3

    def test_a_failed_or_cancelled_booking_frees_the_time(self, org: Org) -> None:
        first = booking(org, IN_A_WEEK)
        first.move(Booking.State.FAILED, actor=None, kind="failed")

        second = booking(org, IN_A_WEEK)
        second.move(Booking.State.CONFIRMED, actor=None, kind="confirmed")

        with pytest.raises(IntegrityError), transaction.atomic():
            first.move(Booking.State.PENDING, actor=None, kind="retried")  # trying again cannot take it back
        second.move(Booking.State.CANCELLED, actor=None, kind="cancelled")
        first.refresh_from_db()
        first.move(Booking.State.PENDING, actor=None, kind="retried")
        assert first.holds.count() == 2

    def test_moving_a_booking_onto_another_is_refused(self, org: Org) -> None:
        booking(org, IN_A_WEEK)
        later = booking(org, IN_A_WEEK + timedelta(hours=2))
        later.move(Booking.State.CONFIRMED, actor=None, kind="confirmed")

        with pytest.raises(IntegrityError), transaction.atomic():
            later.move(Booking.State.CONFIRMED, actor=None, kind="rescheduled", start=IN_A_WEEK, end=later.end)

        assert Booking.objects.get(pk=later.pk).start == IN_A_WEEK + timedelta(hours=2)

    def test_an_optional_attendee_may_be_double_booked_as_outlook_allows(self, org: Org) -> None:
        _, colleague = members(org)
        booking(org, IN_A_WEEK, optional=True)
        other = Booking.objects.create(
            organization=org.organization, organizer=colleague, start=IN_A_WEEK, end=IN_A_WEEK + timedelta(minutes=30)
        )
        other.participants.create(membership=colleague, role="organizer")
        other.hold_times()

        assert Hold.objects.filter(membership=colleague).count() == 1
        assert Booking.objects.count() == 2

    def test_two_racing_bookings_of_the_same_person_leave_exactly_one(self, org: Org) -> None:
        def book_waiting_for_the_lock() -> str:
            # The in-memory test database answers "locked" at once where a database file waits out its
            # timeout (IMMEDIATE transactions queue there); wait here as the file would.
            for _ in range(200):
                try:
                    booking(org, IN_A_WEEK)
                    return "booked"
                except IntegrityError:
                    return "refused"
                except OperationalError as exc:
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
            return "never got the lock"

        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def race() -> None:
            try:
                barrier.wait(timeout=10)
                outcomes.append(book_waiting_for_the_lock())
            finally:
                connection.close()

        threads = [threading.Thread(target=race) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert sorted(outcomes) == ["booked", "refused"]
        assert Booking.objects.count() == 1


class TestTheStateMachine:
    def test_an_illegal_move_raises_one_error_and_changes_nothing(self, org: Org) -> None:
        made = booking(org, IN_A_WEEK)
        made.move(Booking.State.CONFIRMED, actor=org.admin, kind="confirmed")
        made.move(Booking.State.CANCELLED, actor=org.admin, kind="cancelled")

        for illegal in (Booking.State.CONFIRMED, Booking.State.PENDING, Booking.State.FAILED):
            with pytest.raises(IllegalMove):
                made.move(illegal, actor=org.admin, kind="again")

        assert Booking.objects.get(pk=made.pk).state == Booking.State.CANCELLED
        assert [e.kind for e in made.history.all()] == ["confirmed", "cancelled"]
