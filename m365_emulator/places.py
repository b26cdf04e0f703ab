"""Graph's places API: the tenant's rooms and room lists (M365-FACTS §11, GD `api-reference/v1.0/api/place-list.md`,
`resources/room.md`, `resources/roomlist.md`).

- `GET /places/microsoft.graph.room`, `GET /places/microsoft.graph.roomlist`, and
  `GET /places/{roomListEmail}/microsoft.graph.roomlist/rooms` (the list named by its address, not its id).
- `Place.Read.All` (or `Place.ReadWrite.All`), delegated or application; without it 403 ErrorAccessDenied. An
  application access policy does not narrow it (it is not among the policy's permissions, §8).
- 100 per page by default; `$top`, `$skip` (the nextLink carries the next `$skip`), `$filter`, `$select`,
  `$count=true` (`@odata.count` on every page: the places API is Exchange's, not the directory's; UNCONFIRMED).
- Rooms hidden from the address list are never returned.
- `$filter`: `and` of comparisons `eq ne gt ge lt le` on building, capacity, floorNumber, floorLabel, displayName,
  emailAddress, bookingType, isWheelChairAccessible, nickname, label (the documented examples filter on building
  and capacity); anything else is refused with 400 (the exact refusal is UNCONFIRMED).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from werkzeug.wrappers import Response

from m365_emulator.http import GraphCall, GraphError, graph_json
from m365_emulator.routing import Router
from m365_emulator.state import DirectoryUser, RoomList

PLACE_PERMISSIONS = {"Place.Read.All", "Place.ReadWrite.All"}
DEFAULT_PAGE = 100
MAX_PAGE = 999  # the places API documents no maximum; the directory's is borrowed (UNCONFIRMED)
ROOM_CAST, ROOMLIST_CAST = "microsoft.graph.room", "microsoft.graph.roomlist"

ROOM_PROPERTIES: dict[str, Callable[[DirectoryUser], Any]] = {
    "id": lambda r: r.id,
    "placeId": lambda r: r.id,
    "emailAddress": lambda r: r.mail,
    "displayName": lambda r: r.display_name,
    "address": lambda r: _address(r.room.city if r.room else "", r.room.country if r.room else ""),
    "geoCoordinates": lambda r: None,
    "phone": lambda r: None,
    "nickname": lambda r: _room(r).nickname,
    "label": lambda r: _room(r).label or None,
    "capacity": lambda r: _room(r).capacity,
    "building": lambda r: _room(r).building,
    "floorNumber": lambda r: _room(r).floor_number,
    "floorLabel": lambda r: _room(r).floor_label or None,
    "isWheelChairAccessible": lambda r: _room(r).wheelchair_accessible,
    "bookingType": lambda r: _room(r).booking_type,
    "tags": lambda r: list(_room(r).tags),
    "audioDeviceName": lambda r: _room(r).audio_device,
    "videoDeviceName": lambda r: _room(r).video_device,
    "displayDeviceName": lambda r: _room(r).display_device,
}
ROOMLIST_PROPERTIES: dict[str, Callable[[RoomList], Any]] = {
    "id": lambda r: r.id,
    "placeId": lambda r: r.id,
    "displayName": lambda r: r.display_name,
    "address": lambda r: _address(r.city, r.country),
    "geoCoordinates": lambda r: None,
    "phone": lambda r: None,
    "emailAddress": lambda r: r.address,
}
_CLAUSE = re.compile(r"^\s*(\w+)\s+(eq|ne|gt|ge|lt|le)\s+('(?:[^']|'')*'|-?\d+|true|false|null)\s*$", re.IGNORECASE)
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
FILTERABLE = {
    "building",
    "capacity",
    "floorNumber",
    "floorLabel",
    "displayName",
    "emailAddress",
    "bookingType",
    "isWheelChairAccessible",
    "nickname",
    "label",
}


def _room(user: DirectoryUser) -> Any:
    assert user.room is not None  # only room mailboxes are listed here
    return user.room


def _address(city: str, country: str) -> dict[str, Any]:
    return {"street": "", "city": city, "state": "", "countryOrRegion": country, "postalCode": ""}


def _require_places(call: GraphCall) -> None:
    call.require(app_roles=PLACE_PERMISSIONS, delegated_scopes=PLACE_PERMISSIONS)


def visible_rooms(call: GraphCall, room_list: str | None = None) -> list[DirectoryUser]:
    """The tenant's rooms the places API shows (never those hidden from the address list), in name order."""
    with call.state.lock:
        rooms = [r for r in call.tenant.rooms.values() if r.room and not r.room.hidden_from_address_list]
    if room_list is not None:
        rooms = [r for r in rooms if r.room and r.room.room_list.lower() == room_list.lower()]
    return sorted(rooms, key=lambda r: (r.display_name.lower(), r.id))


# -- GET /places/microsoft.graph.room | microsoft.graph.roomlist --------------------------------------------------


def list_places(call: GraphCall, cast: str) -> Response:
    _require_places(call)
    kind = cast.lower()
    if kind == ROOM_CAST:
        return _page(call, visible_rooms(call), ROOM_PROPERTIES, "#microsoft.graph.room", "places/microsoft.graph.room")
    if kind == ROOMLIST_CAST:
        with call.state.lock:
            lists = sorted(call.tenant.room_lists.values(), key=lambda r: r.display_name.lower())
        context = "places/microsoft.graph.roomList"
        return _page(call, lists, ROOMLIST_PROPERTIES, "#microsoft.graph.roomList", context)
    raise GraphError(400, "BadRequest", f"Resource not found for the segment '{cast}'.")


def list_rooms_of(call: GraphCall, room_list: str, cast: str) -> Response:
    """The rooms of one room list, named by its address; an unknown list is 404 (the exact code is UNCONFIRMED)."""
    _require_places(call)
    if cast.lower() != ROOMLIST_CAST:
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{cast}'.")
    found = call.tenant.room_lists.get(room_list.lower())
    if found is None:
        raise GraphError(404, "ErrorItemNotFound", NOT_FOUND_LIST.format(room_list))
    context = f"places('{quote(found.address)}')/microsoft.graph.roomList/rooms"
    return _page(call, visible_rooms(call, found.address), ROOM_PROPERTIES, "#microsoft.graph.room", context)


NOT_FOUND_LIST = "The room list '{}' was not found."


def _page(call: GraphCall, items: list[Any], properties: dict[str, Any], odata_type: str, context: str) -> Response:
    selected = _selected(call, properties)
    matching = [item for item in items if _filter(call, properties)(item)]
    top = _whole(call.request.args.get("$top"), "$top", DEFAULT_PAGE, low=1, high=MAX_PAGE)
    skip = _whole(call.request.args.get("$skip"), "$skip", 0, low=0, high=None)
    root = call.request.host_url.rstrip("/") + "/v1.0/$metadata#"
    body: dict[str, Any] = {"@odata.context": root + context + _select_suffix(call, selected)}
    if call.request.args.get("$count", "").lower() == "true":
        body["@odata.count"] = len(matching)
    if skip + top < len(matching):
        body["@odata.nextLink"] = _next_link(call, skip + top)
    body["value"] = [
        {"@odata.type": odata_type, **{name: properties[name](item) for name in selected}}
        for item in matching[skip : skip + top]
    ]
    return graph_json(200, body, request_id=call.request_id)


def _select_suffix(call: GraphCall, selected: list[str]) -> str:
    return "(" + ",".join(selected) + ")" if call.request.args.get("$select") else ""


def _selected(call: GraphCall, properties: dict[str, Any]) -> list[str]:
    raw = call.request.args.get("$select")
    if not raw:
        return list(properties)
    by_lower = {name.lower(): name for name in properties}
    names = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [name for name in names if name.lower() not in by_lower]
    if unknown:
        raise GraphError(400, "BadRequest", f"Could not find a property named '{unknown[0]}' on type 'place'.")
    chosen = [by_lower[name.lower()] for name in names]
    return chosen if "id" in chosen else ["id", *chosen]


def _whole(raw: str | None, name: str, default: int, *, low: int, high: int | None) -> int:
    if raw is None:
        return default
    text = raw.strip()
    if not text.isdigit() or int(text) < low or (high is not None and int(text) > high):
        raise GraphError(400, "BadRequest", f"Invalid value '{raw}' for query option '{name}'.")
    return int(text)


def _next_link(call: GraphCall, skip: int) -> str:
    params = [(k, v) for k, v in call.request.args.items(multi=True) if k != "$skip"]
    params.append(("$skip", str(skip)))
    return f"{call.request.host_url.rstrip('/')}{call.request.path}?{urlencode(params, safe='$,')}"


def _filter(call: GraphCall, properties: dict[str, Any]) -> Callable[[Any], bool]:
    raw = call.request.args.get("$filter")
    if not raw:
        return lambda item: True
    tests = [_clause(part, properties) for part in re.split(r"\s+and\s+", raw.strip(), flags=re.IGNORECASE)]
    return lambda item: all(test(item) for test in tests)


def _clause(text: str, properties: dict[str, Any]) -> Callable[[Any], bool]:
    match = _CLAUSE.match(text)
    by_lower = {name.lower(): name for name in FILTERABLE if name in properties}
    if not match or match.group(1).lower() not in by_lower:
        raise GraphError(400, "BadRequest", f"Invalid filter clause: '{text.strip()}'.")
    read, compare = properties[by_lower[match.group(1).lower()]], _OPERATORS[match.group(2).lower()]
    wanted = _literal(match.group(3))

    def test(item: Any) -> bool:
        have = read(item)
        if isinstance(have, str) and isinstance(wanted, str):
            return bool(compare(have.lower(), wanted.lower()))
        if have is None or wanted is None:
            return compare in (operator.eq, operator.ne) and bool(compare(have, wanted))
        if type(have) is not type(wanted):
            return compare is operator.ne
        return bool(compare(have, wanted))

    return test


def _literal(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    return int(text)


ROUTES: list[tuple[str, str, Callable[..., Response]]] = [
    ("GET", "/places/<cast>", list_places),
    ("GET", "/places/<room_list>/<cast>/rooms", list_rooms_of),
]


def register(router: Router) -> None:
    router.add_graphs(ROUTES)
