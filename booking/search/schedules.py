"""Graph's getSchedule answers (as the Microsoft client parsed them) turned into the engine's people."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from booking.engine import DAY_NAMES, Busy, Person, WorkingHours
from booking.engine.types import made
from integrations.calendars import Schedule, ScheduleError
from integrations.calendars import WorkingHours as GraphWorkingHours

# availabilityView digits; 0 is free (or working elsewhere). Older mailboxes may still send 4 for working
# elsewhere; any other character is a status nobody documented, read as unknown (which blocks by default).
_VIEW_STATUS = {"1": "tentative", "2": "busy", "3": "oof", "4": "workingElsewhere"}
_VIEW_RUN = re.compile(r"([^0])\1*")
_ERRORS = {
    "5009": "Microsoft 365 could not find a mailbox for this address",
    "5006": "their calendar has too many entries in this range for Microsoft 365 to list",
}


@dataclass(frozen=True)
class ViewGrid:
    """How the availabilityView was asked for: the request's start and its interval."""

    start: datetime
    interval: timedelta


def person_from_schedule(
    schedule: Schedule,
    *,
    person_id: str,
    name: str,
    required: bool,
    default_hours: WorkingHours,
    view: ViewGrid | None = None,
) -> Person:
    """The engine's person for one mailbox's free/busy.

    A schedule with an error becomes an unreadable person with that reason. Busy time is the scheduleItems (to
    the minute); when Graph sent none but `view` says how the availabilityView was asked for, the view's
    non-free digits stand in (coarser, so they can only block more). A mailbox without readable working hours
    gets `default_hours`.
    """
    if schedule.error is not None:
        return Person(person_id, name, required, unreadable=unreadable_reason(schedule.error))
    busy = tuple(made(Busy, start=item.start, end=item.end, status=item.status) for item in schedule.items)
    if not busy and view is not None:
        busy = busy_from_view(schedule.availability_view, view)
    hours = working_hours(schedule.working_hours) if schedule.working_hours else default_hours
    return Person(person_id, name, required, busy=busy, hours=hours)


def working_hours(hours: GraphWorkingHours) -> WorkingHours:
    """Graph's working hours (day names, local times, a zone already read into a tzinfo) for the engine."""
    days = frozenset(DAY_NAMES.index(day) for day in hours.days if day in DAY_NAMES)
    return WorkingHours(days=days, start=hours.start, end=hours.end, tz=hours.tz)


def busy_from_view(view_text: str, view: ViewGrid) -> tuple[Busy, ...]:
    """One Busy per run of equal non-free digits of an availabilityView."""
    return tuple(
        Busy(
            view.start + run.start() * view.interval,
            view.start + run.end() * view.interval,
            _VIEW_STATUS.get(run.group(1), "unknown"),
        )
        for run in _VIEW_RUN.finditer(view_text)
    )


def unreadable_reason(error: ScheduleError) -> str:
    """Words a member can read for a per-mailbox getSchedule error."""
    known = _ERRORS.get(error.response_code)
    if known:
        return known
    return f"Microsoft 365 could not read their free/busy ({error.message or error.response_code or 'no reason given'})"
