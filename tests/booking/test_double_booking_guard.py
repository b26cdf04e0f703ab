"""The database refuses two active bookings that overlap for one person, on any occurrence of a series, on SQLite and
on PostgreSQL alike."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from accounts.models import Membership
from booking.engine.recurrence import Recurrence
from booking.models import Booking, Hold, IllegalMove, Participant
from booking.occurrences import NearMiss, occurrences_record
from booking.series import recurrence_json
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


def series(org: Org, start: datetime, *, weeks: int = 26, skip: frozenset[date] = frozenset()) -> Booking:
    """The admin's weekly series with the member, from `start` (in UTC: neither has a zone yet)."""
    organizer, colleague = members(org)
    recurrence = Recurrence("weekly", start.date(), days=frozenset({start.weekday()}), count=weeks)
    with transaction.atomic():
        made = Booking.objects.create(
            organization=org.organization,
            organizer=organizer,
            start=start,
            end=start + timedelta(minutes=30),
            subject="Weekly",
            recurrence=recurrence_json(recurrence),
        )
        occurrences_record(booking=made, recurrence=recurrence, near_miss=NearMiss(skip=skip))
        made.participants.create(membership=organizer, role="organizer")
        made.participants.create(membership=colleague, role=Participant.Role.REQUIRED)
        made.hold_times()
    return made


@pytest.mark.django_db(transaction=True)
class TestTheGuardOnASeries:
    def test_a_series_holds_every_occurrence_so_a_meeting_in_its_twentieth_week_is_refused(self, org: Org) -> None:
        made = series(org, IN_A_WEEK)

        with pytest.raises(IntegrityError):
            booking(org, IN_A_WEEK + timedelta(weeks=19, minutes=15))

        assert made.holds.count() == 2 * 26
        booking(org, IN_A_WEEK + timedelta(weeks=26))  # the week after the last is free
        booking(org, IN_A_WEEK + timedelta(days=1))  # and so is the day after each occurrence

    def test_a_series_is_refused_when_one_of_its_occurrences_meets_a_booked_meeting(self, org: Org) -> None:
        booking(org, IN_A_WEEK + timedelta(weeks=12))

        with pytest.raises(IntegrityError):
            series(org, IN_A_WEEK)

        assert Booking.objects.count() == 1 and not Booking.objects.filter(recurrence__isnull=False).exists()

    def test_a_skipped_occurrence_holds_nothing_and_a_cancelled_series_frees_every_week(self, org: Org) -> None:
        skipped = (IN_A_WEEK + timedelta(weeks=3)).date()
        made = series(org, IN_A_WEEK, skip=frozenset({skipped}))

        booking(org, IN_A_WEEK + timedelta(weeks=3))
        made.move(Booking.State.FAILED, actor=None, kind="failed")
        booking(org, IN_A_WEEK + timedelta(weeks=10))

        assert made.holds.count() == 0 and made.occurrences.count() == 26

    def test_two_members_racing_for_the_same_weekly_slot_of_one_person_leave_exactly_one_series(self, org: Org) -> None:
        outcomes = _race(lambda: series(org, IN_A_WEEK, weeks=20))

        assert sorted(outcomes) == ["booked", "refused"]
        assert Booking.objects.count() == 1 and Booking.objects.get().holds.count() == 2 * 20


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
        outcomes = _race(lambda: booking(org, IN_A_WEEK))

        assert sorted(outcomes) == ["booked", "refused"]
        assert Booking.objects.count() == 1


def _race(book: Callable[[], Booking]) -> list[str]:
    """`book` in two threads released together; each says "booked" or "refused" (by the guard)."""

    def book_waiting_for_the_lock() -> str:
        # The in-memory test database answers "locked" at once where a database file waits out its
        # timeout (IMMEDIATE transactions queue there); wait here as the file would.
        for _ in range(200):
            try:
                book()
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
    return outcomes


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
