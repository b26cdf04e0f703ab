"""One occurrence of a series, as Graph shows it and as Exchange changes it across the meeting's mailboxes.

Graph v1.0 (`resources/event`, `api/event-list-instances`, `api/event-update`, `api/event-cancel` in
microsoftgraph/microsoft-graph-docs-contrib): an occurrence or an exception carries `type`, `seriesMasterId`,
`originalStart` (UTC) and `recurrence: null`; it can be read, PATCHed (it then lists as an `exception`) and
cancelled by its own id, which is opaque. Here that id is made from the series' id in the mailbox and the
occurrence's original date in the series' zone, so it is stable, and each mailbox's copy has its own.

What changes an occurrence is kept as an `Override` on every copy of the series, so the organizer's calendar,
the attendees' calendars, getSchedule and findMeetingTimes all see the same occurrences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any
from urllib.parse import quote

from m365_emulator.calendar import NO_RESPONSE_TIME, CalendarStore, Event, Occurrence, Override
from m365_emulator.calendar_events import OWA, event_json
from m365_emulator.calendar_json import write_time
from m365_emulator.calendar_meetings import RESPONSES, organizer_event, response_time
from m365_emulator.calendar_tz import zone_for_name
from m365_emulator.http import GraphError
from m365_emulator.state import Tenant

_MARK = "OCC="
_OCCURRENCE_ID = re.compile(r"^(.+)(\d{8})" + re.escape(_MARK) + "$")
CROSSING = "The occurrence can't be moved onto or past the day of a neighbouring occurrence."


@dataclass(frozen=True)
class Found:
    """An occurrence named by its id in one mailbox: that mailbox's copy of the series, and where it is."""

    series: Event
    occurrence: Occurrence


def occurrence_id(series_id: str, day: date) -> str:
    """The id of the series' occurrence on `day`: a regular id for a regular series id, an immutable one for an
    immutable one (both end in "=", as Exchange's ids do)."""
    return f"{series_id[:-1]}{day:%Y%m%d}{_MARK}"


def is_occurrence_id(text: str) -> bool:
    return _OCCURRENCE_ID.match(text) is not None


def find(store: CalendarStore, mailbox_id: str, text: str) -> Found | None:
    """The occurrence `text` names in this mailbox; None if the id names none, or it was cancelled or declined."""
    match = _OCCURRENCE_ID.match(text)
    if match is None:
        return None
    try:
        day = datetime.strptime(match.group(2), "%Y%m%d").date()
    except ValueError:
        return None
    series = store.get(mailbox_id, match.group(1) + "=")
    occurrence = series.occurrence_on(day) if series is not None and not series.is_cancelled else None
    return Found(series, occurrence) if series is not None and occurrence is not None else None


def occurrence_json(series: Event, occurrence: Occurrence, *, zone_name: str, zone: tzinfo, immutable: bool) -> dict:
    """The event resource of one occurrence: the series' fields, with its own id, type, times and answers."""
    body = event_json(series, zone_name=zone_name, zone=zone, immutable=immutable)
    own_id = occurrence_id(series.immutable_id if immutable else series.id, occurrence.original_date)
    override = occurrence.override or Override()
    body |= {
        "id": own_id,
        "type": "exception" if override.moved else "occurrence",
        "seriesMasterId": series.immutable_id if immutable else series.id,
        "originalStart": f"{occurrence.original_start:%Y-%m-%dT%H:%M:%S}Z",
        "recurrence": None,
        "iCalUId": f"{series.ical_uid}{occurrence.original_date:%Y%m%d}",  # differs per occurrence (Graph)
        "webLink": f"{OWA}?itemid={quote(own_id, safe='')}&exvsurl=1&path=/calendar/item",
        "start": write_time(occurrence.start, zone_name, zone),
        "end": write_time(occurrence.end, zone_name, zone),
        "showAs": override.show_as or series.show_as,
        "attendees": [_answered(a, override) for a in body["attendees"]],
    }
    if override.response is not None:
        body["responseStatus"] = {"response": override.response, "time": override.response_time}
    return body


def _answered(attendee: dict[str, Any], override: Override) -> dict[str, Any]:
    answer = override.answers.get(str(attendee["emailAddress"]["address"]).lower())
    if answer is None:
        return attendee
    return {**attendee, "status": {"response": answer[0], "time": answer[1]}}


def move(store: CalendarStore, found: Found, start: datetime, end: datetime) -> None:
    """The organizer moves one occurrence: it becomes an exception in every copy, and its answers reset.

    Exchange refuses an occurrence that would start on or before the previous occurrence's day, or on or after
    the next one's, in the series' zone (ErrorOccurrenceCrossingBoundary).
    """
    series, day = found.series, found.occurrence.original_date
    if end < start:
        raise GraphError(400, "ErrorPropertyValidationFailure", "At least one property failed validation.")
    _check_boundary(series, day, start)
    with store.lock:
        for copy in store.copies(series.ical_uid):
            override = copy.overrides.setdefault(day, Override())
            override.start, override.end = start, end
            override.answers = {a.address.lower(): ("none", NO_RESPONSE_TIME) for a in copy.attendees}
            if not copy.is_organizer:
                override.response, override.response_time, override.show_as = "notResponded", NO_RESPONSE_TIME, None
            store.changed(copy)


def _check_boundary(series: Event, day: date, start: datetime) -> None:
    assert series.recurrence is not None  # an occurrence was found on it
    zone = zone_for_name(series.recurrence.time_zone)
    new_day = start.astimezone(zone).date()
    before, after = (_day_of(series, other, zone) for other in series.pattern_dates_around(day))
    if (before is not None and new_day <= before) or (after is not None and new_day >= after):
        raise GraphError(400, "ErrorOccurrenceCrossingBoundary", CROSSING)


def _day_of(series: Event, original: date | None, zone: tzinfo) -> date | None:
    """The day (in the series' zone) where the occurrence first put on `original` is now."""
    occurrence = series.occurrence_on(original) if original is not None else None
    return occurrence.start.astimezone(zone).date() if occurrence is not None else None


def cancel(store: CalendarStore, found: Found) -> None:
    """The organizer cancels one occurrence: it leaves every copy of the series (instances, free/busy)."""
    day = found.occurrence.original_date
    with store.lock:
        for copy in store.copies(found.series.ical_uid):
            copy.overrides.setdefault(day, Override()).cancelled = True
            store.changed(copy)


def respond(store: CalendarStore, tenant: Tenant, found: Found, answer: str, now: datetime | None = None) -> None:
    """An attendee answers one occurrence: their copy of it shows the answer (declined: it leaves their
    calendar, as declining a meeting does), and the organizer's occurrence records it with a time."""
    response, when = RESPONSES[answer.lower()], response_time(now)
    copy, day = found.series, found.occurrence.original_date
    with store.lock:
        organizer = organizer_event(store, copy)
        override = copy.overrides.setdefault(day, Override())
        override.response, override.response_time = response, when
        override.show_as = {"accepted": organizer.show_as if organizer else "busy"}.get(response, "tentative")
        store.changed(copy)
        if organizer is not None:
            _record_answer(store, tenant, organizer, copy.mailbox_id, day, (response, when))


def _record_answer(
    store: CalendarStore, tenant: Tenant, organizer: Event, user_id: str, day: date, answer: tuple[str, str]
) -> None:
    user = tenant.users.get(user_id)
    addresses = {user.mail.lower(), user.user_principal_name.lower()} if user else set()
    override = organizer.overrides.setdefault(day, Override())
    for attendee in organizer.attendees:
        if attendee.address.lower() in addresses:
            override.answers[attendee.address.lower()] = answer
    store.changed(organizer)


def pattern_of(event: Event) -> tuple[Any, ...] | None:
    """What makes a series' pattern (its range aside): a change of it drops the exceptions."""
    rec = event.recurrence
    if rec is None:
        return None
    return (rec.pattern, rec.interval, rec.days_of_week, rec.first_day_of_week, rec.day_of_month, rec.month, rec.index)


def drop_exceptions(store: CalendarStore, series: Event) -> None:
    """After the organizer changed the pattern: every copy loses its changed, cancelled and answered occurrences
    ([MS-OXOCAL] 3.1.4.7.3.5: exceptions are removed when the recurrence pattern changes)."""
    with store.lock:
        for copy in store.copies(series.ical_uid):
            copy.overrides.clear()
            store.changed(copy)


def remove_own(store: CalendarStore, found: Found) -> None:
    """An attendee deletes their copy of one occurrence: it leaves their calendar only."""
    with store.lock:
        found.series.overrides.setdefault(found.occurrence.original_date, Override()).cancelled = True
        store.changed(found.series)
