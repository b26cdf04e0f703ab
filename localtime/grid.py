"""The clock grid meetings start on: a start is on the grid when its wall clock in the organizer's zone is a
whole multiple of the step from local midnight (10:00, 10:15... for 15 minutes), whatever the zone's offset
(:30 in India, :45 in Nepal) and across every clock change (Lord Howe's half hour too). The search, the booking
form, reschedule and the final check all ask here, so a time one of them proposes the others accept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo

MINUTE = timedelta(minutes=1)
# Offsets are sampled this far apart; no zone changes its clock twice within it.
_PROBE = timedelta(hours=6)


def grid_runs(start: datetime, end: datetime, step: timedelta, zone: tzinfo) -> Iterator[tuple[datetime, datetime]]:
    """The grid in [start, end) as runs of one offset each: (first start on the grid, end of the run). Within a
    run the starts are `first`, `first + step`, ... before the run's end. `start` is rounded up to the minute."""
    steps = step // MINUTE
    if steps < 1 or step % MINUTE:
        raise ValueError("The grid's step must be whole minutes.")
    moment = _ceil_minute(start.astimezone(UTC))
    while moment < end:
        until = min(_offset_change(moment, end, zone), end)
        local = moment.astimezone(zone)
        first = moment + (-(local.hour * 60 + local.minute) % steps) * MINUTE
        if first < until:
            yield first, until
        moment = until


def grid_start(instant: datetime, step: timedelta, zone: tzinfo) -> datetime:
    """The first start on the grid at or after `instant`."""
    limit = instant + step + 2 * _PROBE  # a clock change moves the next mark by at most a few hours
    return next(first for first, _ in grid_runs(instant, limit, step, zone))


def on_grid(instant: datetime, step: timedelta, zone: tzinfo) -> bool:
    """Whether a meeting may start at `instant`: a whole minute whose clock in `zone` is on the grid."""
    try:
        return grid_start(instant, step, zone) == instant
    except OverflowError:  # in the calendar's last hours (31 December 9999) no mark after it can be looked for
        return False


def _offset_change(moment: datetime, end: datetime, zone: tzinfo) -> datetime:
    """The first instant after `moment` (whole minutes) where the zone's offset differs from moment's, or one at
    or after `end` when none comes before it."""
    offset = moment.astimezone(zone).utcoffset()
    probe = moment
    while probe < end:
        after = probe + _PROBE
        if after.astimezone(zone).utcoffset() != offset:
            return _bisect(probe, after, offset, zone)
        probe = after
    return probe


def _bisect(same: datetime, other: datetime, offset: timedelta | None, zone: tzinfo) -> datetime:
    """The first whole minute in (same, other] whose offset is not `offset`."""
    while other - same > MINUTE:
        middle = same + ((other - same) // MINUTE // 2) * MINUTE
        if middle.astimezone(zone).utcoffset() == offset:
            same = middle
        else:
            other = middle
    return other


def _ceil_minute(instant: datetime) -> datetime:
    floor = instant.replace(second=0, microsecond=0)
    return floor if floor == instant else floor + MINUTE
