"""What every Graph calendar handler shares: the tenant's calendars, the path's mailbox as the token may reach
it, `$select`/`$expand` on an event, and what the request log notes of the events a response carried."""

from __future__ import annotations

from typing import Any

from m365_emulator.calendar import CalendarStore, Event
from m365_emulator.calendar_events import extended_json
from m365_emulator.http import GraphCall, GraphError
from m365_emulator.log import note_response_ids
from m365_emulator.state import DirectoryUser

SCHEDULE_APP = {"Calendars.ReadBasic", "Calendars.Read", "Calendars.ReadWrite"}
SCHEDULE_DELEGATED = SCHEDULE_APP | {"Calendars.Read.Shared", "Calendars.ReadWrite.Shared"}
READ_APP, READ_DELEGATED = SCHEDULE_APP, SCHEDULE_DELEGATED
WRITE_APP = {"Calendars.ReadWrite"}
WRITE_DELEGATED = {"Calendars.ReadWrite", "Calendars.ReadWrite.Shared"}
NOT_FOUND = "The specified object was not found in the store."


def store_of(call: GraphCall) -> CalendarStore:
    store = call.tenant.calendars
    if store is None:
        store = call.tenant.calendars = CalendarStore()
    return store


def root(call: GraphCall) -> str:
    return call.request.host_url.rstrip("/") + "/v1.0"


def own_mailbox(call: GraphCall, user: str) -> DirectoryUser:
    """The path's mailbox; a delegated token reaches only its own user's (no delegate access is modelled)."""
    owner = call.mailbox(user)
    if call.caller is not None and owner.id != call.caller.id:
        raise GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    return owner


def note_events(call: GraphCall, events: list[Event]) -> None:
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
