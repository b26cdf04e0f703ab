"""A series search: the whole horizon's free/busy read once, every time of day judged on every occurrence.

getSchedule has no notion of a series and reads under 62 days a call, so the horizon (at most 26 weeks, see
`booking.engine.recurrence.HORIZON`) is cut into as few back-to-back windows of 61 days as it needs, and every
window for every 20 people goes out in one $batch (`calendars.free_busy_over`). The same in both modes:
individual mode reads the member's own getSchedule (findMeetingTimes cannot search a series).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.utils import timezone

import integrations.calendars as calendars
from accounts.models import Membership
from booking.engine.recurrence import Recurrence, occurrence_dates
from booking.engine.series import SeriesResult, SeriesTime, search_series
from booking.rules import BookingRules, booking_rules_of
from booking.search.availability import engine_people, engine_request, horizon_windows, member_zone, read_window
from booking.search.results import Wanted

_INTERVAL = 15


@dataclass(frozen=True)
class SeriesAnswer:
    """The judged times (the engine's), the zone they are wall-clock times in, and how Microsoft was read."""

    result: SeriesResult
    zone: tzinfo
    windows: int
    failed: str = ""

    @property
    def times(self) -> tuple[SeriesTime, ...]:
        return self.result.times


def series_search(
    *,
    organizer: Membership,
    required: Sequence[Membership],
    optional: Sequence[Membership],
    minutes: int,
    recurrence: Recurrence,
    now: datetime | None = None,
    rules: BookingRules | None = None,
) -> SeriesAnswer:
    """Each wall-clock time of the organizer's day (in their page zone), judged on every occurrence under the
    organization's rules. Microsoft's refusal comes back as a failed answer with the reason."""
    zone, rules = member_zone(organizer), rules or booking_rules_of(organization=organizer.organization)
    dates = occurrence_dates(recurrence)
    if not dates:
        return SeriesAnswer(SeriesResult(dates), zone, 0, "This series has no occurrence.")
    read_start, read_end = read_window(_midnight(dates[0], zone), _midnight(dates[-1] + timedelta(days=1), zone), rules)
    windows = horizon_windows(read_start, read_end)
    everyone = [organizer, *required, *optional]
    try:
        schedules = _read(organizer, everyone, windows)
    except calendars.CalendarError as error:
        return SeriesAnswer(SeriesResult(dates), zone, len(windows), f"Microsoft 365 did not answer: {error.reason}")
    people = engine_people(organizer, required, optional, schedules, read_start)
    wanted = Wanted(
        organizer=organizer,
        required=required,
        optional=optional,
        widened=(),
        duration=timedelta(minutes=minutes),
        start=read_start,
        end=read_end,
        now=now or timezone.now(),
        rules=rules,
        zone=zone,
    )
    result = search_series(people, engine_request(wanted), recurrence, zone)
    return SeriesAnswer(result, zone, len(windows), result.failed)


def _read(
    organizer: Membership, people: Sequence[Membership], windows: list[tuple[datetime, datetime]]
) -> dict[int, calendars.Schedule]:
    """Everyone's free/busy over the windows in one $batch, by membership id; no record, no read (unreadable)."""
    addresses = calendars.mailbox_addresses(organizer=organizer, people=people)
    answer = calendars.free_busy_over(
        organizer=organizer, people=list(addresses.values()), windows=windows, interval_minutes=_INTERVAL
    )
    missing = calendars.Schedule("", error=calendars.ScheduleError(calendars.NO_RECORD, ""))
    return {m.pk: answer.get(addresses.get(m.pk, ""), missing) for m in people}


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)
