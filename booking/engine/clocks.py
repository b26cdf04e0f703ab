"""A zone's clock read in whole minutes of a search (see `people.Frame`), without a datetime per slot.

The words of a slot need each person's clock at its start; making a datetime and converting it per person and
slot cost more than the rest of the words together. A zone's offset is read twice per day of the search (at its
first and last minute) and, when both agree, used for every minute of that day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from booking.engine.people import Frame
from booking.engine.types import MINUTE

DAY_MINUTES = 24 * 60
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a Thursday
_DAY = timedelta(days=1)


class LocalClock:
    """Local minutes since 1970-01-01 00:00 on a zone's clock, for minutes of a search."""

    def __init__(self, tz: tzinfo, frame: Frame) -> None:
        self.tz, self.origin = tz, frame.origin
        self.base = (frame.origin - _EPOCH) // MINUTE  # the origin is on a whole minute (`search.frame_of`)
        self._offsets: dict[int, int | None] = {}  # day of the search -> its offset in minutes, None: it changes

    def at(self, minute: int) -> int:
        day = minute // DAY_MINUTES
        offsets = self._offsets
        offset = offsets[day] if day in offsets else offsets.setdefault(day, self._steady(day))
        if offset is None:  # a clock change that day: read this very minute
            return self.base + minute + self._offset(self.origin + minute * MINUTE) // MINUTE
        return self.base + minute + offset

    def _steady(self, day: int) -> int | None:
        """The day's offset when its first and last minutes agree on one of whole minutes (no clock changes twice
        within a day), else None."""
        first = self.origin + day * _DAY
        offset, last = self._offset(first), self._offset(first + _DAY - MINUTE)
        return offset // MINUTE if offset == last and not offset % MINUTE else None

    def _offset(self, instant: datetime) -> timedelta:
        return instant.astimezone(self.tz).utcoffset() or timedelta(0)


def weekday(local: int) -> int:
    """Monday = 0, of a local minute since 1970-01-01 (a Thursday)."""
    return (local // DAY_MINUTES + 3) % 7
