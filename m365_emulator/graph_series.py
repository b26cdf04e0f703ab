"""Graph's surface for a series' occurrences: the instances listing, and one occurrence read, moved, cancelled or
deleted by its own id (the event endpoints hand occurrence ids over to this module).

Sources: Graph v1.0 `api/event-list-instances` (both window parameters required; occurrences and exceptions in
the window, cancelled ones omitted), `api/event-update`, `api/event-cancel`, in
microsoftgraph/microsoft-graph-docs-contrib. See `calendar_series` for how an occurrence is kept.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from m365_emulator import calendar_series
from m365_emulator.calendar import Event, Occurrence
from m365_emulator.calendar_json import as_number, lower_keys, read_time, response_zone
from m365_emulator.calendar_series import Found
from m365_emulator.calendar_tz import parse_local
from m365_emulator.graph_access import (
    NOT_FOUND,
    READ_APP,
    READ_DELEGATED,
    WRITE_APP,
    WRITE_DELEGATED,
    own_mailbox,
    root,
    select_and_expand,
    store_of,
)
from m365_emulator.http import GraphCall, GraphError, graph_json
from m365_emulator.log import note_response_ids
from m365_emulator.state import DirectoryUser

# calendarView's limit, observed in its error (microsoft-graph-docs-contrib#6321); assumed for instances too.
MAX_DAYS = 1825
# calendarView's wording (observed); the instances listing's own is UNCONFIRMED.
NEEDS_WINDOW = (
    "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime."
)
TOO_LONG = (
    "Your request can't be completed. The range between the start and end dates is greater than the allowed range. "
    f"Maximum number of days: {MAX_DAYS}"
)
ORGANIZER_ONLY = "Your request can't be completed. You need to be an organizer to cancel a meeting."
PAGE = 10  # Graph's default page of events; the instances listing's own is UNCONFIRMED


def list_instances(call: GraphCall, event_id: str, user: str = "me") -> Response:
    """The series' occurrences and exceptions overlapping the window, in the pattern's order (Graph promises no
    order), a page of `$top` at a time with `@odata.nextLink`. A single event has none (UNCONFIRMED)."""
    call.require(app_roles=READ_APP, delegated_scopes=READ_DELEGATED)
    owner = own_mailbox(call, user)
    lo, hi = _window(call.request.args)
    series = store_of(call).get(owner.id, event_id)
    if series is None:
        raise GraphError(404, "ErrorItemNotFound", NOT_FOUND)
    found = list(series.series(lo, hi)) if not series.is_cancelled else []
    top = max(int(as_number(call.request.args.get("$top"), "$top", PAGE)), 1)
    skip = int(as_number(call.request.args.get("$skip"), "$skip", 0))
    page = found[skip : skip + top]
    zone_name, zone, headers = response_zone(call)
    value = [_rendered(call, series, o, zone_name, zone) for o in page]
    _note(call, series, page)
    context = f"{root(call)}/$metadata#users('{owner.id}')/events('{event_id}')/instances"
    body: dict[str, Any] = {"@odata.context": context, "value": value}
    if skip + top < len(found):
        args = {**call.request.args.to_dict(), "$skip": str(skip + top)}
        body["@odata.nextLink"] = f"{call.request.base_url}?{urlencode(args)}"
    return graph_json(200, body, headers, request_id=call.request_id)


def _window(args: MultiDict[str, str]) -> tuple[datetime, datetime]:
    """startDateTime and endDateTime (names in any case), ISO 8601; a time without an offset is UTC."""
    named = {key.lower(): value for key, value in args.items()}
    if not named.get("startdatetime") or not named.get("enddatetime"):
        raise GraphError(400, "ErrorInvalidParameter", NEEDS_WINDOW)
    try:
        lo, hi = (_instant(named[key]) for key in ("startdatetime", "enddatetime"))
    except ValueError:
        raise GraphError(400, "ErrorInvalidParameter", NEEDS_WINDOW) from None
    if hi - lo > timedelta(days=MAX_DAYS):
        raise GraphError(400, "ErrorInvalidRequest", TOO_LONG)
    return lo, hi


def _instant(text: str) -> datetime:
    value = parse_local(text.strip())
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def _rendered(call: GraphCall, series: Event, occurrence: Occurrence, zone_name: str, zone: Any) -> dict[str, Any]:
    body = calendar_series.occurrence_json(
        series, occurrence, zone_name=zone_name, zone=zone, immutable=call.immutable_ids
    )
    return select_and_expand(call, series, body)


def _note(call: GraphCall, series: Event, occurrences: list[Occurrence]) -> None:
    """The log names each occurrence by its id as returned, and its meeting by the series' iCalUId."""
    base = series.immutable_id if call.immutable_ids else series.id
    ids = [calendar_series.occurrence_id(base, o.original_date) for o in occurrences]
    note_response_ids(call.request.environ, ids, [series.ical_uid] * len(occurrences))


# ----- one occurrence, by its id -------------------------------------------------------------------------------


def _find(call: GraphCall, user: str, occurrence_id: str) -> tuple[DirectoryUser, Found]:
    owner = own_mailbox(call, user)
    found = calendar_series.find(store_of(call), owner.id, occurrence_id)
    if found is None:
        raise GraphError(404, "ErrorItemNotFound", NOT_FOUND)
    return owner, found


def _answer(call: GraphCall, owner: DirectoryUser, found: Found, status: int) -> Response:
    zone_name, zone, headers = response_zone(call)
    body = _rendered(call, found.series, found.occurrence, zone_name, zone)
    _note(call, found.series, [found.occurrence])
    context = f"{root(call)}/$metadata#users('{owner.id}')/events/$entity"
    return graph_json(status, {"@odata.context": context, **body}, headers, request_id=call.request_id)


def get_occurrence(call: GraphCall, occurrence_id: str, user: str) -> Response:
    call.require(app_roles=READ_APP, delegated_scopes=READ_DELEGATED)
    owner, found = _find(call, user, occurrence_id)
    return _answer(call, owner, found, 200)


def update_occurrence(call: GraphCall, occurrence_id: str, user: str) -> Response:
    """PATCH of one occurrence by the organizer: its start and end (it becomes an exception). Other properties of
    an occurrence are not modelled, and are refused rather than ignored."""
    call.require(app_roles=WRITE_APP, delegated_scopes=WRITE_DELEGATED)
    owner, found = _find(call, user, occurrence_id)
    body = lower_keys(call.json())
    if not body or set(body) - {"start", "end"}:
        raise GraphError(400, "BadRequest", "The emulator changes only start and end of one occurrence.")
    if not found.series.is_organizer:
        raise GraphError(400, "ErrorInvalidRequest", "Only the organizer can move an occurrence of a meeting.")
    start, _ = read_time(body["start"], "start") if "start" in body else (found.occurrence.start, "")
    end, _ = read_time(body["end"], "end") if "end" in body else (found.occurrence.end, "")
    calendar_series.move(store_of(call), found, start, end)
    return _answer(call, owner, calendar_series.find(store_of(call), owner.id, occurrence_id) or found, 200)


def cancel_occurrence(call: GraphCall, occurrence_id: str, user: str) -> Response:
    """202: the occurrence leaves the organizer's and every attendee's calendar. Organizer only."""
    call.require(app_roles=WRITE_APP, delegated_scopes=WRITE_DELEGATED)
    _, found = _find(call, user, occurrence_id)
    if not found.series.is_organizer:
        raise GraphError(400, "ErrorInvalidRequest", ORGANIZER_ONLY)
    calendar_series.cancel(store_of(call), found)
    return graph_json(202, None, request_id=call.request_id)


def delete_occurrence(call: GraphCall, occurrence_id: str, user: str) -> Response:
    """204: the organizer's deletion cancels the occurrence for everyone; an attendee's removes only their own."""
    call.require(app_roles=WRITE_APP, delegated_scopes=WRITE_DELEGATED)
    _, found = _find(call, user, occurrence_id)
    store = store_of(call)
    if found.series.is_organizer:
        calendar_series.cancel(store, found)
    else:
        calendar_series.remove_own(store, found)
    return graph_json(204, None, request_id=call.request_id)
