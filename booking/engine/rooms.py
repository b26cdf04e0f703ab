"""Which room goes with a time: pure, no Django and no I/O.

A room fits when it has the seats and the equipment asked for (and lies in the room list asked for, if any);
among the fitting rooms free for the whole slot, the member's usual building comes first, then the smallest
room that fits (a room for twelve is not spent on two people), then the name. A room whose free/busy could not
be read is never taken for free: it is not offered, and the page says why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from booking.engine.types import Busy

# A room is free only where its calendar shows nothing or free: a tentative booking holds a room as firmly as
# an accepted one (the room's policy answers later, and may accept it).
ROOM_FREE = frozenset({"free", "workingElsewhere"})
NOT_OFFERED = {
    "seats": "too few seats",
    "display": "no display",
    "video": "no video",
    "list": "in another building or room list",
    "unreadable": "its calendar could not be read",
    "busy": "booked at every suggested time",
}


@dataclass(frozen=True)
class RoomNeed:
    """What the member asked for. `room_list`: only rooms of this list ("" any); `building`: the member's usual
    building, offered first."""

    seats: int
    display: bool = False
    video: bool = False
    room_list: str = ""
    building: str = ""


@dataclass(frozen=True)
class RoomOption:
    """One room and its free/busy over the search's window. `id` is the room's address."""

    id: str
    name: str
    capacity: int | None = None
    building: str = ""
    room_list: str = ""
    display: bool = False
    video: bool = False
    busy: tuple[Busy, ...] = ()
    unreadable: str | None = None


def misfit(room: RoomOption, need: RoomNeed) -> str:
    """Why the room does not fit the need (a key of NOT_OFFERED), or "" when it fits. A room whose capacity is
    not known does not fit: its seats cannot be promised."""
    if room.capacity is None or room.capacity < need.seats:
        return "seats"
    if need.display and not room.display:
        return "display"
    if need.video and not room.video:
        return "video"
    if need.room_list and room.room_list != need.room_list:
        return "list"
    return ""


def fitting(rooms: Iterable[RoomOption], need: RoomNeed) -> list[RoomOption]:
    """The rooms that fit, in the order they are offered: usual building first, smallest first, then by name."""
    return sorted((r for r in rooms if not misfit(r, need)), key=lambda r: _order(r, need))


def _order(room: RoomOption, need: RoomNeed) -> tuple[bool, int, str, str]:
    elsewhere = bool(need.building) and room.building != need.building
    return (elsewhere, room.capacity or 0, room.name.lower(), room.id)


def is_free(room: RoomOption, start: datetime, end: datetime) -> bool:
    """Whether the room's calendar is free for the whole of [start, end); an unreadable room never is."""
    if room.unreadable is not None:
        return False
    return not any(b.status not in ROOM_FREE and b.start < end and start < b.end for b in room.busy)


def choose_room(ordered: Sequence[RoomOption], start: datetime, end: datetime) -> RoomOption | None:
    """The first room of `ordered` (as `fitting` orders them) free for the whole slot, or None."""
    return next((room for room in ordered if is_free(room, start, end)), None)


def why_not_offered(
    rooms: Iterable[RoomOption], need: RoomNeed, slots: Sequence[tuple[datetime, datetime]]
) -> dict[str, int]:
    """How many rooms were left out for each reason (NOT_OFFERED's keys): they do not fit, could not be read,
    or are booked at every one of `slots`."""
    reasons: Counter[str] = Counter()
    for room in rooms:
        why = misfit(room, need) or ("unreadable" if room.unreadable is not None else "")
        if not why and slots and not any(is_free(room, start, end) for start, end in slots):
            why = "busy"
        if why:
            reasons[why] += 1
    return dict(reasons)
