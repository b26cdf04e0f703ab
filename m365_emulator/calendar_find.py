"""findMeetingTimes: Graph's own ranking of meeting times for a signed-in organizer and their attendees.

Sources: Graph v1.0 `api/user-findmeetingtimes`, `resources/timeconstraint` (activityDomain) and the concept
page `findmeetingtimes-example` (microsoftgraph/microsoft-graph-docs-contrib; learn.microsoft.com/graph).

Documented rules followed here: each attendee's chance of attending is 100 when free and 49 when unknown and 0
when busy; a suggestion's confidence is their average; suggestions under minimumAttendeePercentage (default 50)
are dropped; the rest are ordered by confidence, then time. "Suggestions for a work-related activity always
occur during the work hours of the organizer and attendees": with activityDomain `work` (the default) or
`unknown` (deprecated, treated as work) a slot must lie inside the working hours of the organizer and of every
attendee who is a person in the tenant, each in their own zone, compared as instants; `personal` adds Saturday
and Sunday to each person's days; `unrestricted` lifts the bound. Choices where the documentation is silent
are marked UNCONFIRMED.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from m365_emulator.calendar import CalendarStore, Instance, strongest_status
from m365_emulator.calendar_json import as_bool, as_number, read_duration, read_time, write_time
from m365_emulator.calendar_tz import DAY_NAMES, to_utc, zone_for_name, zone_from_graph
from m365_emulator.http import GraphError
from m365_emulator.state import DirectoryUser, Tenant

# Tentative is not in the documented table; counting it as a coin toss is UNCONFIRMED.
CHANCE = {"free": 100.0, "workingElsewhere": 100.0, "unknown": 49.0, "tentative": 50.0, "busy": 0.0, "oof": 0.0}
STEP = timedelta(minutes=30)  # suggestions start on the half hour, as Outlook's do
DEFAULT_MAX_CANDIDATES = 5  # the documented default is missing; UNCONFIRMED
DEFAULT_HORIZON = timedelta(days=7)  # without a timeConstraint: the coming week (UNCONFIRMED)
DEFAULT_HOURS = (time(8), time(17))
ALL_REASON = "Suggested because it is one of the nearest times when all attendees are available."
SOME_REASON = "Suggested because it is one of the nearest times when most attendees are available."


@dataclass
class FindRequest:
    attendees: list[dict[str, Any]]  # {"type", "emailAddress": {"address", "name"}} as echoed back
    windows: list[tuple[datetime, datetime]]
    activity_domain: str
    duration: timedelta
    max_candidates: int
    minimum_percentage: float
    organizer_optional: bool
    reasons: bool
    locations: list[dict[str, Any]]  # {"displayName", "locationEmailAddress"?} as echoed back
    locations_required: bool = False


def read_request(body: dict[str, Any], now: datetime) -> FindRequest:
    """The request body (keys lower-cased); every parameter is optional, numbers and booleans may be strings."""
    constraint = body.get("timeconstraint") or {}
    windows = [_window(slot) for slot in constraint.get("timeslots") or []]
    if not windows:
        start = _next_step(now)
        windows = [(start, start + DEFAULT_HORIZON)]
    places = body.get("locationconstraint") or {}
    return FindRequest(
        attendees=[_attendee(a) for a in body.get("attendees") or []],
        windows=windows,
        activity_domain=_domain(constraint.get("activitydomain")),
        duration=read_duration(body.get("meetingduration"), timedelta(minutes=30)),
        max_candidates=int(as_number(body.get("maxcandidates"), "maxCandidates", DEFAULT_MAX_CANDIDATES)),
        minimum_percentage=as_number(body.get("minimumattendeepercentage"), "minimumAttendeePercentage", 50),
        organizer_optional=as_bool(body.get("isorganizeroptional"), False),
        reasons=as_bool(body.get("returnsuggestionreasons"), False),
        locations=[_location(place) for place in places.get("locations") or []],
        locations_required=as_bool(places.get("isrequired"), False),
    )


def _location(place: dict[str, Any]) -> dict[str, Any]:
    found = {"displayName": str(place.get("displayname") or "")}
    if place.get("locationemailaddress"):
        found["locationEmailAddress"] = str(place["locationemailaddress"])
    return found


def _domain(raw: Any) -> str:
    domain = str(raw or "work").strip().lower()
    if domain not in ("work", "personal", "unrestricted", "unknown"):
        raise GraphError(400, "BadRequest", f"Invalid value '{raw}' for property 'activityDomain'.")
    return domain


def _window(slot: dict[str, Any]) -> tuple[datetime, datetime]:
    start, _ = read_time(slot.get("start"), "start")
    end, _ = read_time(slot.get("end"), "end")
    if end <= start:
        raise GraphError(400, "ErrorPropertyValidationFailure", "At least one property failed validation.")
    return start, end


def _attendee(raw: dict[str, Any]) -> dict[str, Any]:
    email = raw.get("emailaddress") or {}
    address = str(email.get("address") or "").strip()
    if not address:
        raise GraphError(400, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
    kind = str(raw.get("type") or "required").lower()
    return {"type": kind, "emailAddress": {"address": address, "name": str(email.get("name") or address)}}


def _next_step(moment: datetime, zone: tzinfo = UTC) -> datetime:
    """The first half-hour boundary at or after `moment` on the clock of `zone` (the organizer's: Outlook's
    suggestions start on the hour or the half hour where the organizer is, e.g. 10:00 in Kathmandu, +05:45)."""
    return to_utc(_next_wall(moment, zone), zone)


def _next_wall(moment: datetime, zone: tzinfo) -> datetime:
    local = moment.astimezone(zone)
    wall = local.replace(tzinfo=None, second=0, microsecond=0)
    if wall < local.replace(tzinfo=None):
        wall += timedelta(minutes=1)
    return wall + timedelta(minutes=(-wall.minute) % 30)


def _steps(start: datetime, end: datetime, zone: tzinfo) -> Iterator[datetime]:
    """Half-hour marks of `zone`'s clock from `start` until `end`, stepped on the wall clock, so a clock change
    by half an hour (Lord Howe) never slides them off the half hour."""
    wall = _next_wall(start, zone)
    while (moment := to_utc(wall, zone)) < end:
        yield moment
        wall += STEP


@dataclass
class _Person:
    instances: list[Instance] | None  # None: availability unknown (outside the tenant)
    hours: _Hours | None = None  # None: no working hours bound this person (unknown, or a resource)


@dataclass(frozen=True)
class _Hours:
    """A person's working hours: the weekdays (0 = Monday), the local start and end, and their zone."""

    days: frozenset[int]
    begin: time
    finish: time
    zone: tzinfo

    def cover(self, start: datetime, end: datetime, domain: str) -> bool:
        """Whether [start, end) lies inside one working day, compared as instants (a midnight end is not 00:00)."""
        days = self.days | {5, 6} if domain == "personal" else self.days
        first = start.astimezone(self.zone).date()
        for day in (first - timedelta(days=1), first):
            if day.weekday() not in days:
                continue
            opens = to_utc(datetime.combine(day, self.begin), self.zone)
            closing_day = day if self.finish > self.begin else day + timedelta(days=1)
            if opens <= start and end <= to_utc(datetime.combine(closing_day, self.finish), self.zone):
                return True
        return False


def find(store: CalendarStore, tenant: Tenant, organizer: DirectoryUser, request: FindRequest) -> dict[str, Any]:
    """The suggestions and the reason for none, as a meetingTimeSuggestionsResult (times still UTC instants)."""
    lo = min(w[0] for w in request.windows)
    hi = max(w[1] for w in request.windows)
    people = [_person(store, tenant, a, lo, hi) for a in request.attendees]
    own = store.instances(organizer.id, lo, hi)
    bounds = [_hours(organizer), *(p.hours for p in people if p.hours is not None)]
    scored = [_score(request, own, people, start) for start in _candidates(bounds, request, _clock(organizer))]
    kept = [s for s in scored if s is not None and s["confidence"] >= request.minimum_percentage]
    placed = _with_locations(store, tenant, request, kept, lo, hi)
    placed.sort(key=lambda s: (-s["confidence"], s["start"]))
    chosen = placed[: max(request.max_candidates, 0)]
    if chosen:
        return {"suggestions": chosen, "empty_reason": ""}
    why = "locationsUnavailable" if kept else _empty_reason(request, organizer, own, people)
    return {"suggestions": [], "empty_reason": why}


def _with_locations(
    store: CalendarStore, tenant: Tenant, request: FindRequest, kept: list[dict[str, Any]], lo: datetime, hi: datetime
) -> list[dict[str, Any]]:
    """Each suggestion with the locations free then. A location named by the address of a mailbox in the tenant
    (a room) is free when its calendar is; one named only by its displayName is never checked (as Graph
    ignores its availability). With isRequired, a time when no location is free is no suggestion."""
    calendars = {}
    for place in request.locations:
        room = tenant.user_by_address(str(place.get("locationEmailAddress") or ""))
        calendars[id(place)] = store.instances(room.id, lo, hi) if room is not None and room.has_mailbox else None
    placed = []
    for item in kept:
        begin, end = int(item["start"].timestamp()), int((item["start"] + request.duration).timestamp())
        free = [
            place
            for place in request.locations
            if calendars[id(place)] is None or strongest_status(calendars[id(place)] or [], begin, end) == "free"
        ]
        if free or not (request.locations_required and request.locations):
            placed.append({**item, "locations": free})
    return placed


def _person(store: CalendarStore, tenant: Tenant, attendee: dict[str, Any], lo: datetime, hi: datetime) -> _Person:
    user = tenant.user_by_address(attendee["emailAddress"]["address"])
    if user is None or not user.has_mailbox or user.user_type == "Guest":
        return _Person(None)
    # A person is treated as required whatever type was sent; only a resource's hours do not bound the meeting.
    hours = None if attendee["type"] == "resource" else _hours(user)
    return _Person(store.instances(user.id, lo, hi), hours)


def _candidates(bounds: list[_Hours], request: FindRequest, zone: tzinfo) -> list[datetime]:
    """Half-hour starts inside the windows where the meeting fits everyone's hours for the activity domain."""
    starts: list[datetime] = []
    for window_start, window_end in request.windows:
        for moment in _steps(window_start, window_end, zone):
            end = moment + request.duration
            if end > window_end:
                break
            if request.activity_domain == "unrestricted" or all(
                hours.cover(moment, end, request.activity_domain) for hours in bounds
            ):
                starts.append(moment)
    return sorted(set(starts))


def _clock(organizer: DirectoryUser) -> tzinfo:
    """The zone whose half hours the suggestions start on: the organizer's mailbox zone, as in Outlook."""
    return zone_for_name(organizer.mailbox_time_zone)


def _hours(user: DirectoryUser) -> _Hours:
    """The mailbox's working hours; without any, Outlook's default Monday to Friday 08:00-17:00 in its zone."""
    hours = user.working_hours
    if hours is None:
        return _Hours(frozenset(range(5)), *DEFAULT_HOURS, zone_for_name(user.mailbox_time_zone))
    days = frozenset(DAY_NAMES.index(d.lower()) for d in hours.days_of_week)
    return _Hours(days, hours.start, hours.end, zone_from_graph(hours.time_zone))


def _score(request: FindRequest, own: list[Instance], people: list[_Person], start: datetime) -> dict[str, Any] | None:
    """One candidate, or None when the organizer (who is not optional) cannot make it."""
    lo, hi = int(start.timestamp()), int((start + request.duration).timestamp())
    organizer = _organizer_status(request, own, start)
    if not request.organizer_optional and organizer in ("busy", "oof"):
        return None
    statuses = [strongest_status(p.instances, lo, hi) if p.instances is not None else "unknown" for p in people]
    chances = [CHANCE[s] for s in statuses] or [CHANCE[organizer]]
    confidence = round(sum(chances) / len(chances), 2)
    return {"start": start, "organizer": organizer, "statuses": statuses, "confidence": confidence}


def _empty_reason(request: FindRequest, organizer: DirectoryUser, own: list[Instance], people: list[_Person]) -> str:
    """Why there is no suggestion, by Microsoft's table (resources/meetingtimesuggestionsresult):
    `organizerUnavailable` only when the organizer (not optional) has no free time of their own in the window,
    inside their own hours for the activity domain; otherwise the attendees could not make any of the organizer's
    free times: `attendeesUnavailableOrUnknown` when someone's availability is unknown, else
    `attendeesUnavailable` (also when everyone's hours never overlap: the attendees are the ones who cannot make
    the organizer's time). `unknown` when no window holds the meeting at all (UNCONFIRMED: the documentation
    names no case for it). `locationsUnavailable` is decided by `find`: times were left, but no required
    location was free at any of them."""
    if all(end - start < request.duration for start, end in request.windows):
        return "unknown"
    if not request.organizer_optional:
        own_times = _candidates([_hours(organizer)], request, _clock(organizer))
        if all(_organizer_status(request, own, start) in ("busy", "oof") for start in own_times):
            return "organizerUnavailable"
    if any(p.instances is None for p in people):
        return "attendeesUnavailableOrUnknown"
    return "attendeesUnavailable"


def _organizer_status(request: FindRequest, own: list[Instance], start: datetime) -> str:
    return strongest_status(own, int(start.timestamp()), int((start + request.duration).timestamp()))


def result_json(
    request: FindRequest, outcome: dict[str, Any], zone_name: str, zone: tzinfo, context: str
) -> dict[str, Any]:
    """The meetingTimeSuggestionsResult in the response zone, suggestions numbered by `order`."""
    suggestions = []
    for order, item in enumerate(outcome["suggestions"], start=1):
        suggestion: dict[str, Any] = {
            "confidence": item["confidence"],
            "order": order,
            "organizerAvailability": item["organizer"],
            "attendeeAvailability": [
                {"attendee": attendee, "availability": status}
                for attendee, status in zip(request.attendees, item["statuses"], strict=True)
            ],
            "locations": item["locations"],
            "meetingTimeSlot": {
                "start": write_time(item["start"], zone_name, zone),
                "end": write_time(item["start"] + request.duration, zone_name, zone),
            },
        }
        if request.reasons:
            suggestion["suggestionReason"] = ALL_REASON if item["confidence"] >= 100 else SOME_REASON
        suggestions.append(suggestion)
    return {
        "@odata.context": context,
        "emptySuggestionsReason": outcome["empty_reason"],
        "meetingTimeSuggestions": suggestions,
    }
