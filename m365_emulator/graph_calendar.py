"""Graph's calendar surface: getSchedule, findMeetingTimes and events; plus the calendar's control endpoints.

`ROUTES` are mounted under the version root (`/v1.0`), `CONTROL_ROUTES` under `/_emulator`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from m365_emulator import calendar_find, rooms_policy
from m365_emulator.calendar import CalendarStore, Event, Instance, availability_view, new_event_ids
from m365_emulator.calendar_control import CONTROL_ROUTES
from m365_emulator.calendar_events import apply_fields, event_json, extended_json, property_key
from m365_emulator.calendar_json import as_number, lower_keys, read_time, response_zone
from m365_emulator.calendar_meetings import cancel, delete, deliver, new_ical_uid, propagate
from m365_emulator.calendar_tz import DAY_NAMES, format_graph
from m365_emulator.http import GraphCall, GraphError, graph_json
from m365_emulator.log import note_response_ids
from m365_emulator.routing import Router
from m365_emulator.state import DirectoryUser, WorkingHours

__all__ = ["CONTROL_ROUTES", "ROUTES", "register"]

SCHEDULE_APP = {"Calendars.ReadBasic", "Calendars.Read", "Calendars.ReadWrite"}
SCHEDULE_DELEGATED = SCHEDULE_APP | {"Calendars.Read.Shared", "Calendars.ReadWrite.Shared"}
READ_APP, READ_DELEGATED = SCHEDULE_APP, SCHEDULE_DELEGATED
WRITE_APP = {"Calendars.ReadWrite"}
WRITE_DELEGATED = {"Calendars.ReadWrite", "Calendars.ReadWrite.Shared"}
FIND_DELEGATED = {"Calendars.Read.Shared", "Calendars.ReadWrite.Shared"}
MAX_SCHEDULES = 20
MAX_WINDOW = timedelta(days=62)
NOT_FOUND = "The specified object was not found in the store."


def _store(call: GraphCall) -> CalendarStore:
    store = call.tenant.calendars
    if store is None:
        store = call.tenant.calendars = CalendarStore()
    return store


def _root(call: GraphCall) -> str:
    return call.request.host_url.rstrip("/") + "/v1.0"


# ----- getSchedule ---------------------------------------------------------------------------------------------


def get_schedule(call: GraphCall, user: str = "me") -> Response:
    """Free/busy of up to 20 mailboxes over a window under 62 days, as scheduleInformation entries."""
    call.require(app_roles=SCHEDULE_APP, delegated_scopes=SCHEDULE_DELEGATED)
    call.mailbox(user)
    body = lower_keys(call.json())
    addresses, start, end, interval = _schedule_request(body)
    zone_name, zone, headers = response_zone(call)
    viewer = call.caller.id if call.caller else None
    entries = [_schedule(call, str(a), start, end, interval, (zone_name, zone), viewer) for a in addresses]
    context = json.dumps(f"{_root(call)}/$metadata#Collection(microsoft.graph.scheduleInformation)")
    # Entries are JSON text already (remembered per mailbox and window), so the answer is joined, not re-encoded.
    response = graph_json(200, {}, headers, request_id=call.request_id)
    response.set_data(f'{{"@odata.context":{context},"value":[{",".join(entries)}]}}')
    return response


def _schedule_request(body: dict[str, Any]) -> tuple[list[Any], Any, Any, int]:
    # The error codes for broken limits are not documented (UNCONFIRMED); a 400 naming the limit is the guess.
    addresses = body.get("schedules")
    if not isinstance(addresses, list) or not addresses:
        raise GraphError(400, "ErrorInvalidParameter", "The 'schedules' parameter must list at least one address.")
    if len(addresses) > MAX_SCHEDULES:
        raise GraphError(400, "ErrorInvalidParameter", f"At most {MAX_SCHEDULES} schedules can be requested at once.")
    start, _ = read_time(body.get("starttime"), "startTime")
    end, _ = read_time(body.get("endtime"), "endTime")
    if end <= start:
        raise GraphError(400, "ErrorInvalidParameter", "The end time must be after the start time.")
    if end - start >= MAX_WINDOW:
        raise GraphError(400, "ErrorInvalidParameter", "The time window must be less than 62 days.")
    interval = as_number(body.get("availabilityviewinterval"), "availabilityViewInterval", 30)
    if not 5 <= interval <= 1440 or interval != int(interval):
        raise GraphError(400, "ErrorInvalidParameter", "availabilityViewInterval must be between 5 and 1440.")
    return addresses, start, end, int(interval)


def _schedule(
    call: GraphCall, address: str, start: Any, end: Any, interval: int, zone: tuple[str, tzinfo], viewer: str | None
) -> str:
    """One scheduleInformation as JSON text: view and items remembered until the mailbox changes."""
    target = call.tenant.user_by_address(address)
    if target is None or not target.has_mailbox or target.user_type == "Guest":
        message = f"Unable to resolve e-mail address {address} to an Active Directory object."
        return json.dumps({"scheduleId": address, "error": {"message": message, "responseCode": "5009"}})
    shares = target.shares_details or target.id == viewer

    def render(instances: list[Instance]) -> str:
        view = availability_view(instances, start, end, interval)
        items = [_item(i, shares and not i.event.is_private, zone) for i in instances]
        return f'"availabilityView":"{view}","scheduleItems":{json.dumps(items)}'

    fragment = _store(call).remembered(target.id, start, end, (interval, zone[0], shares), render)
    return f'{{"scheduleId":{json.dumps(address)},{fragment},"workingHours":{json.dumps(_working_hours(target))}}}'


def _item(instance: Instance, details: bool, zone: tuple[str, tzinfo]) -> dict[str, Any]:
    """A scheduleItem, rendered once per instance, detail level and zone (expansions are cached)."""
    key = (details, zone[0])
    found = instance.cache.get(key)
    if found is None:
        found = instance.cache[key] = _render_item(instance, details, zone)
    return found


def _render_item(instance: Instance, details: bool, zone: tuple[str, tzinfo]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    if details:
        event = instance.event
        item |= {"isPrivate": False, "subject": event.subject, "location": event.location.get("displayName", "")}
    item["status"] = instance.status
    for name, stamp in (("start", instance.start), ("end", instance.end)):
        item[name] = {"dateTime": format_graph(datetime.fromtimestamp(stamp, UTC), zone[1]), "timeZone": zone[0]}
    return item


def _working_hours(user: DirectoryUser) -> dict[str, Any]:
    hours = user.working_hours
    if hours is None:  # Outlook's default for a mailbox nobody configured
        hours = WorkingHours(list(DAY_NAMES[:5]), time(8), time(17), {"name": user.mailbox_time_zone})
    return {
        "daysOfWeek": list(hours.days_of_week),
        "startTime": f"{hours.start:%H:%M:%S}.0000000",
        "endTime": f"{hours.end:%H:%M:%S}.0000000",
        "timeZone": dict(hours.time_zone),
    }


# ----- findMeetingTimes ----------------------------------------------------------------------------------------


def find_meeting_times(call: GraphCall, user: str = "me") -> Response:
    """Delegated only; an app-only token gets 403 ErrorAccessDenied (the exact refusal is UNCONFIRMED)."""
    if call.token_kind == "app":
        raise GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    call.require(app_roles=set(), delegated_scopes=FIND_DELEGATED)
    organizer = _own_mailbox(call, user)
    request = calendar_find.read_request(lower_keys(call.json()), _now())
    outcome = calendar_find.find(_store(call), call.tenant, organizer, request)
    zone_name, zone, headers = response_zone(call)
    context = f"{_root(call)}/$metadata#microsoft.graph.meetingTimeSuggestionsResult"
    body = calendar_find.result_json(request, outcome, zone_name, zone, context)
    return graph_json(200, body, headers, request_id=call.request_id)


def _now() -> datetime:
    return datetime.now(UTC)


def _own_mailbox(call: GraphCall, user: str) -> DirectoryUser:
    """The path's mailbox; a delegated token reaches only its own user's (no delegate access is modelled)."""
    owner = call.mailbox(user)
    if call.caller is not None and owner.id != call.caller.id:
        raise GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    return owner


# ----- events --------------------------------------------------------------------------------------------------


def create_event(call: GraphCall, user: str = "me") -> Response:
    """201 and the event; a repeated transactionId in the same mailbox returns the first event (UNCONFIRMED)."""
    call.require(app_roles=WRITE_APP, delegated_scopes=WRITE_DELEGATED)
    owner = _own_mailbox(call, user)
    body = lower_keys(call.json())
    store = _store(call)
    with store.lock:
        earlier = store.by_transaction(owner.id, str(body["transactionid"])) if body.get("transactionid") else None
        event = earlier or _new_event(call, owner, body)
    return _event_response(call, owner, event, 201)


def _new_event(call: GraphCall, owner: DirectoryUser, body: dict[str, Any]) -> Event:
    regular, immutable = new_event_ids()
    event = Event(
        id=regular,
        immutable_id=immutable,
        ical_uid=new_ical_uid(),
        mailbox_id=owner.id,
        subject="",
        start=_now(),
        end=_now(),
        start_zone="",
        end_zone="",
        organizer_address=owner.mail,
        organizer_name=owner.display_name,
    )
    apply_fields(event, body, creating=True)
    _name_attendees(call, event)
    deliver(_store(call), call.tenant, event)
    rooms_policy.invite(call.tenant, event)
    return event


def _name_attendees(call: GraphCall, event: Event) -> None:
    """Attendees sent without a name get their directory name, as Exchange resolves them."""
    for attendee in event.attendees:
        person = call.tenant.user_by_address(attendee.address)
        if person is not None and attendee.name in ("", attendee.address):
            attendee.name = person.display_name


def _find(call: GraphCall, user: str, event_id: str) -> tuple[DirectoryUser, Event]:
    owner = _own_mailbox(call, user)
    event = _store(call).get(owner.id, event_id)
    if event is None:
        raise GraphError(404, "ErrorItemNotFound", NOT_FOUND)
    return owner, event


def get_event(call: GraphCall, event_id: str, user: str = "me") -> Response:
    call.require(app_roles=READ_APP, delegated_scopes=READ_DELEGATED)
    owner, event = _find(call, user, event_id)
    return _event_response(call, owner, event, 200)


def update_event(call: GraphCall, event_id: str, user: str = "me") -> Response:
    """PATCH: only the sent properties change; an organizer's change reaches every attendee's copy."""
    call.require(app_roles=WRITE_APP, delegated_scopes=WRITE_DELEGATED)
    owner, event = _find(call, user, event_id)
    body = lower_keys(call.json())
    store = _store(call)
    with store.lock:
        draft = copy.deepcopy(event)
        sent = apply_fields(draft, body, creating=False)  # a refused body leaves the event untouched
        _name_attendees(call, draft)
        event.__dict__.update(draft.__dict__)
        store.changed(event)
        if event.is_organizer:
            propagate(store, call.tenant, event, sent)
            rooms_policy.invite(call.tenant, event)
    return _event_response(call, owner, event, 200)


def cancel_event(call: GraphCall, event_id: str, user: str = "me") -> Response:
    """202 with no body; only the organizer may cancel (the error code is UNCONFIRMED, the message documented)."""
    call.require(app_roles=WRITE_APP, delegated_scopes=WRITE_DELEGATED)
    _, event = _find(call, user, event_id)
    if not event.is_organizer:
        message = "Your request can't be completed. You need to be an organizer to cancel a meeting."
        raise GraphError(400, "ErrorInvalidRequest", message)
    cancel(_store(call), event)
    return graph_json(202, None, request_id=call.request_id)


def delete_event(call: GraphCall, event_id: str, user: str = "me") -> Response:
    call.require(app_roles=WRITE_APP, delegated_scopes=WRITE_DELEGATED)
    _, event = _find(call, user, event_id)
    delete(_store(call), event)
    return graph_json(204, None, request_id=call.request_id)


def _event_response(call: GraphCall, owner: DirectoryUser, event: Event, status: int) -> Response:
    zone_name, zone, headers = response_zone(call)
    body = event_json(event, zone_name=zone_name, zone=zone, immutable=call.immutable_ids)
    body = select_and_expand(call, event, body)
    _note_events(call, [event])
    context = f"{_root(call)}/$metadata#users('{owner.id}')/events/$entity"
    return graph_json(status, {"@odata.context": context, **body}, headers, request_id=call.request_id)


def _note_events(call: GraphCall, events: list[Event]) -> None:
    """The request log keeps the ids (as returned) and iCalUIds of the events whose content the response carried."""
    ids = [e.immutable_id if call.immutable_ids else e.id for e in events]
    note_response_ids(call.request.environ, ids, [e.ical_uid for e in events])


def select_and_expand(call: GraphCall, event: Event, body: dict[str, Any]) -> dict[str, Any]:
    """Apply `$select` (id and etag always stay) and `$expand=singleValueExtendedProperties($filter=id eq '…')`."""
    selected = call.request.args.get("$select")
    if selected:
        wanted = {name.strip().lower() for name in selected.split(",")} | {"id", "@odata.etag"}
        body = {key: value for key, value in body.items() if key.lower() in wanted}
    expand = call.request.args.get("$expand")
    if expand:
        body["singleValueExtendedProperties"] = extended_json(event, expanded_property_id(expand))
    return body


def expanded_property_id(expand: str) -> str | None:
    """The id inside `singleValueExtendedProperties($filter=id eq '…')`, or None for all of them."""
    if not expand.strip().lower().startswith("singlevalueextendedproperties"):
        raise GraphError(400, "BadRequest", f"Could not find a property named '{expand.split('(')[0]}' on 'event'.")
    _, quote, rest = expand.partition("'")
    return rest.rsplit("'", 1)[0].replace("''", "'") if quote else None


_FILTER = re.compile(
    r"^\s*singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*\1/id\s+eq\s+'((?:[^']|'')*)'\s*(?:and\s+(.+?))?\s*\)\s*$",
    re.IGNORECASE,
)
_VALUE_OP = re.compile(r"^(\w+)/value\s+(eq|ne)\s+'((?:[^']|'')*)'$", re.IGNORECASE)
_VALUE_FN = re.compile(r"^(contains|startswith)\(\s*(\w+)/value\s*,\s*'((?:[^']|'')*)'\s*\)$", re.IGNORECASE)
_VALUE_TESTS: dict[str, Callable[[str, str], bool]] = {
    "eq": lambda have, want: have == want,
    "ne": lambda have, want: have != want,
    "contains": lambda have, want: want in have,
    "startswith": lambda have, want: have.startswith(want),
}


def list_events(call: GraphCall, user: str = "me") -> Response:
    """Events of the mailbox, usually narrowed by an extended property; pages of `$top` (default 10)."""
    call.require(app_roles=READ_APP, delegated_scopes=READ_DELEGATED)
    owner = _own_mailbox(call, user)
    events = _store(call).events_of(owner.id)
    if call.request.args.get("$filter"):
        test = property_filter(call.request.args["$filter"])
        events = [e for e in events if test(e)]
    top = int(as_number(call.request.args.get("$top"), "$top", 10))
    skip = int(as_number(call.request.args.get("$skip"), "$skip", 0))
    zone_name, zone, headers = response_zone(call)
    value = [
        select_and_expand(call, e, event_json(e, zone_name=zone_name, zone=zone, immutable=call.immutable_ids))
        for e in events[skip : skip + top]
    ]
    _note_events(call, events[skip : skip + top])
    body: dict[str, Any] = {"@odata.context": f"{_root(call)}/$metadata#users('{owner.id}')/events", "value": value}
    if skip + top < len(events):
        args = {**call.request.args.to_dict(), "$skip": str(skip + top)}
        body["@odata.nextLink"] = f"{call.request.base_url}?{urlencode(args)}"
    return graph_json(200, body, headers, request_id=call.request_id)


def property_filter(text: str) -> Callable[[Event], bool]:
    """`singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')`; also ne, contains, startswith.

    The Name part of the id matches case-sensitively, the value case-insensitively (as documented).
    """
    match = _FILTER.match(text)
    if not match:
        raise GraphError(400, "BadRequest", "Invalid filter clause: only extended-property filters are modelled.")
    variable, prop_id, clause = match.group(1), match.group(2).replace("''", "'"), match.group(3)
    op, wanted = _value_clause(variable, clause) if clause else ("any", "")
    key = property_key(prop_id)

    def test(event: Event) -> bool:
        values = [v for pid, v in event.extended.items() if property_key(pid) == key]
        return bool(values) and (op == "any" or _VALUE_TESTS[op](values[0].lower(), wanted.lower()))

    return test


def _value_clause(variable: str, clause: str) -> tuple[str, str]:
    found = _VALUE_OP.match(clause.strip())
    if found and found.group(1) == variable:
        return found.group(2).lower(), found.group(3).replace("''", "'")
    found = _VALUE_FN.match(clause.strip())
    if found and found.group(2) == variable:
        return found.group(1).lower(), found.group(3).replace("''", "'")
    raise GraphError(400, "BadRequest", f"Invalid filter clause: '{clause}'.")


def _routes() -> list[tuple[str, str, Callable[..., Response]]]:
    routes: list[tuple[str, str, Callable[..., Response]]] = [
        ("POST", "/users/<user>/calendar/getSchedule", get_schedule),
        ("POST", "/me/calendar/getSchedule", get_schedule),
        ("POST", "/me/findMeetingTimes", find_meeting_times),
        ("POST", "/users/<user>/findMeetingTimes", find_meeting_times),
    ]
    for prefix in ("/users/<user>", "/me"):
        for events in (f"{prefix}/events", f"{prefix}/calendar/events"):
            routes += [
                ("POST", events, create_event),
                ("GET", events, list_events),
                ("GET", f"{events}/<event_id>", get_event),
                ("PATCH", f"{events}/<event_id>", update_event),
                ("DELETE", f"{events}/<event_id>", delete_event),
                ("POST", f"{events}/<event_id>/cancel", cancel_event),
            ]
    return routes


ROUTES = _routes()


def register(router: Router) -> None:
    router.add_graphs(ROUTES)
    router.add_controls(CONTROL_ROUTES, on_state=True)
