"""The calendar's control endpoints (under `/_emulator`): what people do in Outlook, and what a mailbox holds.

Tests use them to act as the colleague (answer an invitation) or as the organizer working in Outlook (move or
cancel a meeting), and to assert what each calendar contains. Events are named by their id in that mailbox
(regular or immutable, as Graph returned it), never by iCalUId.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from m365_emulator import rooms_policy
from m365_emulator.calendar import CalendarStore, Event
from m365_emulator.calendar_events import event_json, extended_json
from m365_emulator.calendar_json import lower_keys, read_time
from m365_emulator.calendar_meetings import RESPONSES, cancel, reschedule, respond
from m365_emulator.calendar_tz import format_graph, parse_local
from m365_emulator.http import GraphError
from m365_emulator.state import DirectoryUser, EmulatorState, Tenant


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _answer(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _guarded(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Refusals become {"error": message} with their status; Graph-style body errors become 400s."""

    def run(state: EmulatorState, request: Request, **values: str) -> Response:
        try:
            return handler(state, request, **values)
        except _Refused as refused:
            return _answer(refused.status, {"error": str(refused)})
        except GraphError as error:
            return _answer(error.status, {"error": error.message, "code": error.code})

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


def _mailbox(state: EmulatorState, tenant_key: str, user_key: str) -> tuple[Tenant, DirectoryUser, CalendarStore]:
    tenant = state.tenant(tenant_key)
    if tenant is None:
        raise _Refused(404, f"No tenant {tenant_key!r}.")
    user = tenant.user_by_address(user_key)
    if user is None or not user.has_mailbox:
        raise _Refused(404, f"No mailbox {user_key!r} in {tenant.display_name}.")
    if tenant.calendars is None:
        tenant.calendars = CalendarStore()
    return tenant, user, tenant.calendars


def _event(store: CalendarStore, user: DirectoryUser, event_id: str) -> Event:
    event = store.get(user.id, event_id)
    if event is None:
        raise _Refused(404, f"No event {event_id!r} in {user.mail}'s calendar.")
    return event


def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError:
        raise _Refused(400, "The body must be JSON.") from None
    if not isinstance(body, dict):
        raise _Refused(400, "The body must be a JSON object.")
    return lower_keys(body)


@_guarded
def respond_to_invitation(state: EmulatorState, request: Request, tenant: str, user: str, event_id: str) -> Response:
    """The attendee answers from Outlook: {"response": "accepted" | "declined" | "tentativelyAccepted"}."""
    world, person, store = _mailbox(state, tenant, user)
    event = _event(store, person, event_id)
    answer = str(_body(request).get("response", ""))
    if answer.lower() not in RESPONSES:
        raise _Refused(400, "response must be accepted, declined or tentativelyAccepted.")
    if event.is_organizer:
        raise _Refused(400, "The organizer does not answer their own meeting.")
    respond(store, world, event, answer)
    return _answer(200, {"response": RESPONSES[answer.lower()]})


@_guarded
def move_event(state: EmulatorState, request: Request, tenant: str, user: str, event_id: str) -> Response:
    """The organizer drags the meeting in Outlook: {"start": dateTimeTimeZone, "end": dateTimeTimeZone}."""
    world, person, store = _mailbox(state, tenant, user)
    event = _event(store, person, event_id)
    if not event.is_organizer:
        raise _Refused(400, "Only the organizer can move a meeting.")
    body = _body(request)
    start, zone = read_time(body.get("start"), "start")
    end, _ = read_time(body.get("end"), "end")
    if end < start:
        raise _Refused(400, "The end must not be before the start.")
    reschedule(store, event, start, end, zone)
    rooms_policy.invite(world, event)  # the rooms answer the moved meeting anew
    return _answer(200, _describe(event))


@_guarded
def cancel_in_outlook(state: EmulatorState, request: Request, tenant: str, user: str, event_id: str) -> Response:
    """The organizer cancels the meeting in Outlook; attendees' copies are marked cancelled."""
    _, person, store = _mailbox(state, tenant, user)
    event = _event(store, person, event_id)
    if not event.is_organizer:
        raise _Refused(400, "Only the organizer can cancel a meeting.")
    cancel(store, event)
    return _answer(200, {"cancelled": event.ical_uid})


@_guarded
def mailbox_events(state: EmulatorState, request: Request, tenant: str, user: str) -> Response:
    """Everything the mailbox holds, in UTC, with both ids and the extended properties, ordered by start.

    With `?start=…&end=…` (ISO 8601 instants, e.g. `2027-03-01T00:00:00Z`) each event also lists its
    `occurrences` ({start, end} in UTC) overlapping that window: how the emulator expands a series.
    """
    _, person, store = _mailbox(state, tenant, user)
    window = _window(request)
    events = [_describe(e, window) for e in store.events_of(person.id)]
    return _answer(200, {"sharesDetails": person.shares_details, "value": events})


@_guarded
def clear_window(state: EmulatorState, request: Request, tenant: str, user: str) -> Response:
    """Plant free time: {"start": instant, "end": instant} removes from this mailbox every event that has an
    occurrence in [start, end), a whole series included, so a test can count on a free window on any date."""
    _, person, store = _mailbox(state, tenant, user)
    body = _body(request)
    lo, hi = _instants(body.get("start"), body.get("end"))
    gone = [event for event in store.events_of(person.id) if next(event.occurrences(lo, hi), None) is not None]
    for event in gone:
        store.remove(event)
    return _answer(200, {"removed": len(gone)})


def _window(request: Request) -> tuple[datetime, datetime] | None:
    raw = (request.args.get("start"), request.args.get("end"))
    if raw == (None, None):
        return None
    return _instants(*raw)


def _instants(*raw: Any) -> tuple[datetime, datetime]:
    try:
        lo, hi = (parse_local(str(text)) for text in raw)
    except ValueError:
        raise _Refused(400, "start and end must both be ISO 8601 instants.") from None
    if lo.tzinfo is None or hi.tzinfo is None or hi <= lo:
        raise _Refused(400, "start and end must carry an offset (or Z), and end must come after start.")
    return lo.astimezone(UTC), hi.astimezone(UTC)


@_guarded
def calendar_sharing(state: EmulatorState, request: Request, tenant: str, user: str) -> Response:
    """The owner's sharing setting: {"sharesDetails": true} lets getSchedule show subjects and locations."""
    _, person, _ = _mailbox(state, tenant, user)
    shares = _body(request).get("sharesdetails")
    if not isinstance(shares, bool):
        raise _Refused(400, "sharesDetails must be true or false.")
    person.shares_details = shares
    return _answer(200, {"sharesDetails": person.shares_details})


def _describe(event: Event, window: tuple[datetime, datetime] | None = None) -> dict[str, Any]:
    body = event_json(event, zone_name="UTC", zone=UTC, immutable=False)
    body["immutableId"] = event.immutable_id
    body["singleValueExtendedProperties"] = extended_json(event, None)
    if window is not None:
        body["occurrences"] = [
            {"start": format_graph(start) + "Z", "end": format_graph(end) + "Z"}
            for start, end in event.occurrences(*window)
        ]
    return body


_EVENT = "/tenants/<tenant>/mailboxes/<user>/events/<event_id>"
CONTROL_ROUTES: list[tuple[str, str, Callable[..., Response]]] = [
    ("POST", f"{_EVENT}/respond", respond_to_invitation),
    ("POST", f"{_EVENT}/move", move_event),
    ("POST", f"{_EVENT}/cancel", cancel_in_outlook),
    ("GET", "/tenants/<tenant>/mailboxes/<user>/events", mailbox_events),
    ("POST", "/tenants/<tenant>/mailboxes/<user>/clear", clear_window),
    ("POST", "/tenants/<tenant>/mailboxes/<user>/calendar-sharing", calendar_sharing),
]
