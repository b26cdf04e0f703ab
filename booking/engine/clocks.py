"""A zone's clock read in whole minutes of a search (see `people.Frame`), without a datetime per slot.

The words of a slot need each person's clock at its start; making a datetime and converting it per person and
slot cost more than the rest of the words together. A zone's offset is read twice per UTC day (at its first and
last minute) and, when both agree, used for every minute of that day. The days read are kept for the process: a
few zones over a few months, read again by every search of the same people.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from functools import lru_cache

from booking.engine.people import EPOCH, Frame  # 1970-01-01 was a Thursday
from booking.engine.types import MINUTE

DAY_MINUTES = 24 * 60
_DAY = timedelta(days=1)


class LocalClock:
    """Local minutes since 1970-01-01 00:00 on a zone's clock, for minutes of a search."""

    def __init__(self, tz: tzinfo, frame: Frame) -> None:
        self.tz = tz
        self.base = (frame.origin - EPOCH) // MINUTE  # the origin is on a whole minute (`search.frame_of`)
        self.steady: dict[int, int | None] = {}  # UTC day -> the zone's offset in minutes, None: it changes

    def at(self, minute: int) -> int:
        utc = self.base + minute
        day = utc // DAY_MINUTES
        offsets = self.steady
        offset = offsets[day] if day in offsets else offsets.setdefault(day, steady_offset(self.tz, day))
        if offset is None:  # a clock change that day: read this very minute
            return utc + _offset(self.tz, EPOCH + utc * MINUTE) // MINUTE
        return utc + offset


@lru_cache(maxsize=16384)
def steady_offset(tz: tzinfo, day: int) -> int | None:
    """The zone's offset in minutes on a UTC day (days since 1970-01-01) when its first and last minutes agree on
    one of whole minutes (no clock changes twice within a day), else None."""
    first = EPOCH + day * _DAY
    offset, last = _offset(tz, first), _offset(tz, first + _DAY - MINUTE)
    return offset // MINUTE if offset == last and not offset % MINUTE else None


def _offset(tz: tzinfo, instant: datetime) -> timedelta:
    return instant.astimezone(tz).utcoffset() or timedelta(0)


def weekday(local: int) -> int:
    """Monday = 0, of a local minute since 1970-01-01 (a Thursday)."""
    return (local // DAY_MINUTES + 3) % 7
