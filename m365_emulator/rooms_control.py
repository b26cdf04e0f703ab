"""The rooms' control endpoints (under `/_emulator`): what an Exchange admin or an Outlook user does to rooms.

`<tenant>` is a tenant GUID or verified domain; `<room>` a room's object id or address.

GET  /_emulator/tenants/<tenant>/rooms
    {"rooms": [...], "roomLists": [...]}: every room mailbox, hidden or not, with its place record, its
    `hiddenFromAddressList` flag, its `roomList` address and its `policy` (Set-CalendarProcessing's names:
    AutomateProcessing, AllowConflicts, BookingWindowInDays, EnforceSchedulingHorizon, MaximumDurationInMinutes,
    AllowRecurringMeetings, ConflictPercentageAllowed, MaximumConflictInstances). Rooms answer what they were
    sent before this call first.
POST /_emulator/tenants/<tenant>/rooms/<room>/policy     {any of the policy names above}
    Set-CalendarProcessing: change the room's policy (unnamed settings keep their values). Answers the room.
POST /_emulator/tenants/<tenant>/rooms/<room>            {"hiddenFromAddressList"?: bool, "capacity"?: int,
                                                          "displayName"?: str, "bookingType"?: "standard"|"reserved"}
    Set-Mailbox / Set-Place: change the room (the places API shows it at once; Graph may take up to 48 h).
DELETE /_emulator/tenants/<tenant>/rooms/<room>
    The room mailbox is removed in Exchange: gone from the places API, getSchedule then answers 5009 for it.
POST /_emulator/tenants/<tenant>/rooms/<room>/bookings   {"start": instant, "end": instant, "subject"?: str,
                                                          "organizer"?: <address>}
    Someone books the room's time in Outlook: an accepted, busy booking in the room's calendar (the room's own
    copy; the organizer's calendar is left alone). Instants are ISO 8601 with an offset or Z. Answers
    {"id", "iCalUId"}; the booking can be cancelled with the calendar's control endpoint
    (`/tenants/<tenant>/mailboxes/<room>/events/<id>/cancel`).
POST /_emulator/rooms/answer                               {"tenant"?: <tenant>}
    Rooms answer every invitation waiting for them now (otherwise they do at the tenant's next Graph request).
    Answers {"answered": n}.
POST /_emulator/tenants/<tenant>/permissions               {"client_id", "permissions": [..] | "a b", "granted"}
    Grant or take back Graph permissions beyond the app's configured ones in this tenant (Place.Read.All), as
    an admin consent naming them does: app roles in app-only tokens and delegated scopes for every user, from
    the next token on. Answers {"ok", "extraPermissions": [...]}.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from m365_emulator import rooms_policy
from m365_emulator.calendar import CalendarStore, Event, new_event_ids
from m365_emulator.calendar_control import _instants
from m365_emulator.calendar_meetings import new_ical_uid
from m365_emulator.control import ControlError, _body, reply
from m365_emulator.routing import Router
from m365_emulator.state import BookingPolicy, DirectoryUser, EmulatorState, Tenant

# Set-CalendarProcessing's parameter names -> (BookingPolicy field, type)
POLICY_FIELDS: dict[str, tuple[str, type]] = {
    "AutomateProcessing": ("automate_processing", str),
    "AllowConflicts": ("allow_conflicts", bool),
    "BookingWindowInDays": ("booking_window_in_days", int),
    "EnforceSchedulingHorizon": ("enforce_scheduling_horizon", bool),
    "MaximumDurationInMinutes": ("maximum_duration_in_minutes", int),
    "AllowRecurringMeetings": ("allow_recurring_meetings", bool),
    "ConflictPercentageAllowed": ("conflict_percentage_allowed", int),
    "MaximumConflictInstances": ("maximum_conflict_instances", int),
}
PROCESSING = {"autoaccept": "AutoAccept", "autoupdate": "AutoUpdate", "none": "None"}
LIMITS = {"booking_window_in_days": (0, 1080), "conflict_percentage_allowed": (0, 100)}


def _tenant(state: EmulatorState, key: str) -> Tenant:
    found = state.tenant(key)
    if found is None:
        raise ControlError(404, f"No tenant {key!r}.")
    return found


def _room(tenant: Tenant, key: str) -> DirectoryUser:
    found = tenant.user_by_address(key)
    if found is None or found.room is None:
        raise ControlError(404, f"No room {key!r} in {tenant.display_name}.")
    return found


def describe_policy(policy: BookingPolicy) -> dict[str, Any]:
    return {name: getattr(policy, attribute) for name, (attribute, _) in POLICY_FIELDS.items()}


def describe_room(room: DirectoryUser) -> dict[str, Any]:
    record = room.room
    assert record is not None
    return {
        "id": room.id,
        "emailAddress": room.mail,
        "displayName": room.display_name,
        "capacity": record.capacity,
        "building": record.building,
        "floorNumber": record.floor_number,
        "floorLabel": record.floor_label,
        "audioDeviceName": record.audio_device,
        "videoDeviceName": record.video_device,
        "displayDeviceName": record.display_device,
        "isWheelChairAccessible": record.wheelchair_accessible,
        "bookingType": record.booking_type,
        "tags": list(record.tags),
        "hiddenFromAddressList": record.hidden_from_address_list,
        "roomList": record.room_list,
        "mailboxTimeZone": room.mailbox_time_zone,
        "policy": describe_policy(record.policy),
    }


def rooms(state: EmulatorState, request: Request, tenant: str) -> Response:
    found = _tenant(state, tenant)
    rooms_policy.answer_due(found)
    with state.lock:
        listed = sorted(found.rooms.values(), key=lambda r: (r.room.building if r.room else "", r.display_name))
        lists = [
            {"id": r.id, "emailAddress": r.address, "displayName": r.display_name} for r in found.room_lists.values()
        ]
        return reply({"rooms": [describe_room(room) for room in listed], "roomLists": lists})


def set_policy(state: EmulatorState, request: Request, tenant: str, room: str) -> Response:
    found = _room(_tenant(state, tenant), room)
    assert found.room is not None
    body = _body(request)
    by_lower = {name.lower(): name for name in POLICY_FIELDS}
    unknown = [key for key in body if key.lower() not in by_lower]
    if unknown:
        raise ControlError(400, f"Unknown policy setting {unknown[0]!r}; known: {', '.join(POLICY_FIELDS)}.")
    with state.lock:
        for key, value in body.items():
            attribute, kind = POLICY_FIELDS[by_lower[key.lower()]]
            setattr(found.room.policy, attribute, _policy_value(attribute, kind, value))
    return reply(describe_room(found))


def _policy_value(attribute: str, kind: type, value: Any) -> Any:
    if kind is bool and isinstance(value, bool):
        return value
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        low, high = LIMITS.get(attribute, (0, 1_000_000))
        if low <= value <= high:
            return value
    if kind is str and str(value).lower() in PROCESSING:
        return PROCESSING[str(value).lower()]
    raise ControlError(400, f"Invalid value {value!r} for {attribute}.")


def change_room(state: EmulatorState, request: Request, tenant: str, room: str) -> Response:
    found_tenant = _tenant(state, tenant)
    found = _room(found_tenant, room)
    assert found.room is not None
    body = _body(request)
    with state.lock:
        if "hiddenFromAddressList" in body:
            found.room.hidden_from_address_list = _flag(body["hiddenFromAddressList"], "hiddenFromAddressList")
        if "capacity" in body:
            found.room.capacity = _count(body["capacity"])
        if "displayName" in body:
            found.display_name = str(body["displayName"])
        if "bookingType" in body:
            found.room.booking_type = _booking_type(body["bookingType"])
    return reply(describe_room(found))


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ControlError(400, f"{name} must be true or false.")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10000:
        raise ControlError(400, "capacity must be a whole number from 0 to 10000.")
    return value


def _booking_type(value: Any) -> str:
    if value not in ("standard", "reserved"):
        raise ControlError(400, "bookingType must be standard or reserved.")
    return str(value)


def remove_room(state: EmulatorState, request: Request, tenant: str, room: str) -> Response:
    found_tenant = _tenant(state, tenant)
    found = _room(found_tenant, room)
    with state.lock:
        del found_tenant.rooms[found.id]
        found_tenant._index = None
    return reply({"ok": True, "removed": found.mail})


def book_in_outlook(state: EmulatorState, request: Request, tenant: str, room: str) -> Response:
    found_tenant = _tenant(state, tenant)
    found = _room(found_tenant, room)
    body = _body(request)
    start, end = _span(body)
    organizer = found_tenant.user_by_address(str(body.get("organizer") or "")) if body.get("organizer") else None
    store = found_tenant.calendars = found_tenant.calendars or CalendarStore()
    event = _booking(found, start, end, str(body.get("subject") or "Booked in Outlook"), organizer)
    store.add(event)
    return reply({"id": event.id, "iCalUId": event.ical_uid}, 201)


def _span(body: dict[str, Any]) -> tuple[datetime, datetime]:
    try:
        return _instants(body.get("start"), body.get("end"))
    except Exception as refused:  # calendar_control's refusal carries its own status and words
        raise ControlError(400, str(refused)) from None


def _booking(room: DirectoryUser, start: datetime, end: datetime, subject: str, who: DirectoryUser | None) -> Event:
    regular, immutable = new_event_ids()
    if end - start > timedelta(days=62):
        raise ControlError(400, "A booking in Outlook is at most 62 days long here.")
    return Event(
        id=regular,
        immutable_id=immutable,
        ical_uid=new_ical_uid(),
        mailbox_id=room.id,
        subject=subject,
        start=start,
        end=end,
        start_zone="UTC",
        end_zone="UTC",
        organizer_address=who.mail if who else room.mail,
        organizer_name=who.display_name if who else room.display_name,
        show_as="busy",
    )


def answer_now(state: EmulatorState, request: Request) -> Response:
    body = _body(request)
    tenants = [_tenant(state, str(body["tenant"]))] if body.get("tenant") else list(state.tenants.values())
    return reply({"answered": sum(rooms_policy.answer_due(tenant) for tenant in tenants)})


def permissions(state: EmulatorState, request: Request, tenant: str) -> Response:
    found = _tenant(state, tenant)
    body = _body(request)
    client_id = str(body.get("client_id") or "")
    if client_id not in state.apps:
        raise ControlError(404, f"No app {client_id!r}.")
    raw = body.get("permissions") or []
    names = set(raw.split() if isinstance(raw, str) else [str(name) for name in raw])
    if not names or not isinstance(body.get("granted"), bool):
        raise ControlError(400, "permissions must name at least one permission and granted must be true or false.")
    with state.lock:
        held = found.extra_permissions.get(client_id, set())
        held = held | names if body["granted"] else {name for name in held if name not in names}
        found.extra_permissions[client_id] = held
    return reply({"ok": True, "extraPermissions": sorted(held)})


ROUTES: list[tuple[str, str, Callable[..., Response]]] = [
    ("GET", "/tenants/<tenant>/rooms", rooms),
    ("POST", "/tenants/<tenant>/rooms/<room>/policy", set_policy),
    ("POST", "/tenants/<tenant>/rooms/<room>", change_room),
    ("DELETE", "/tenants/<tenant>/rooms/<room>", remove_room),
    ("POST", "/tenants/<tenant>/rooms/<room>/bookings", book_in_outlook),
    ("POST", "/rooms/answer", answer_now),
    ("POST", "/tenants/<tenant>/permissions", permissions),
]


def register(router: Router) -> None:
    router.add_controls(ROUTES, on_state=True)
