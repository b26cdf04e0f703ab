"""A booked series' occurrences as Overlap records them: every one, at the series' wall-clock time in the
organizer's zone, and those the member chose to skip or move when the series was a near miss.

An occurrence is named for good by where the pattern put it (`original_start`, Graph's originalStart); its day is
that start's date in the organizer's zone, the day the series search named its clashes by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo

from django.utils.translation import get_language, gettext

from booking.engine.recurrence import Recurrence, occurrence_dates, occurrence_starts
from booking.models import Booking, BookingOccurrence
from localtime import reading, zone_or_none


@dataclass(frozen=True)
class NearMiss:
    """The occurrences of a near miss the member chose to change, by their day in the organizer's zone: those
    skipped, and those moved to another time of that same day (a time of the organizer's day)."""

    skip: frozenset[date] = frozenset()
    moves: Mapping[date, time] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.skip or self.moves)

    @property
    def words(self) -> str:
        """ "14 Apr moved to 15:00, 21 Apr skipped", in the order of the days."""
        language = get_language() or "en"
        moved = [
            (day, gettext("%(day)s moved to %(at)s") % _day_at(day, at, language)) for day, at in self.moves.items()
        ]
        words = moved + [(day, gettext("%(day)s skipped") % _day_at(day, None, language)) for day in self.skip]
        return ", ".join(text for _, text in sorted(words))


def _day_at(day: date, at: time | None, language: str) -> dict[str, str]:
    """A near miss' day ("Apr 14") and new time on the reader's clock, for its words."""
    clock = reading.clock(datetime.combine(day, at), language) if at is not None else ""
    return {"day": reading.day(day, "month_day", language), "at": clock}


def organizer_zone(booking: Booking) -> tzinfo:
    """The zone the series keeps its wall-clock time in: the organizer's page zone (as `series_rule` sends it)."""
    return zone_or_none(booking.organizer.user.time_zone) or UTC


def occurrences_record(*, booking: Booking, recurrence: Recurrence, near_miss: NearMiss) -> None:
    """Record every occurrence of the booking's series (its first at `booking.start`), skipped or moved ones as
    the member chose; raises ValueError for a change that names no occurrence."""
    zone = organizer_zone(booking)
    dates = occurrence_dates(recurrence)
    if not (near_miss.skip | set(near_miss.moves)) <= set(dates) or near_miss.skip & set(near_miss.moves):
        raise ValueError("A skipped or moved occurrence must be one of the series', and not both.")
    starts = occurrence_starts(dates, booking.start.astimezone(zone).time(), zone)
    BookingOccurrence.objects.bulk_create(
        _occurrence(booking, day, start, near_miss, zone) for day, start in zip(dates, starts, strict=True)
    )


def _occurrence(booking: Booking, day: date, start: datetime, near_miss: NearMiss, zone: tzinfo) -> BookingOccurrence:
    length, state, now = booking.end - booking.start, BookingOccurrence.State.HELD, start
    if day in near_miss.skip:
        state = BookingOccurrence.State.SKIP
    elif day in near_miss.moves:
        state = BookingOccurrence.State.MOVE
        now = datetime.combine(day, near_miss.moves[day], tzinfo=zone).astimezone(UTC)
    return BookingOccurrence(booking=booking, original_start=start, start=now, end=now + length, state=state)


def day_of(occurrence: BookingOccurrence) -> date:
    """The occurrence's day in the organizer's zone."""
    return occurrence.original_start.astimezone(organizer_zone(occurrence.booking)).date()
