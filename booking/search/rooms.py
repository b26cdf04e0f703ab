"""Rooms in a search: what the member asked of a room, the fitting rooms' free/busy, and each time's room.

Only the rooms that fit the need (`booking.engine.rooms`: seats, equipment, room list) are read, with getSchedule
through `calendars.rooms_free_busy` (20 rooms a call, a $batch beyond: one HTTP request), afresh at every search
(unlike people's, a room's calendar is booked by everyone, so a kept answer would soon be wrong). Each time the
engine ranks keeps the first fitting room free for the whole of it (usual building first, smallest first); a time
with no free room is not offered, and the page says why the other rooms were not offered. In individual mode the
rooms are read with the member's own getSchedule: findMeetingTimes' room constraint is unreliable (M365-FACTS §11).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import integrations.calendars as calendars
from accounts.models import Membership
from booking import engine
from booking.engine.rooms import NOT_OFFERED, RoomNeed, RoomOption, choose_room, fitting, why_not_offered
from booking.search.results import RoomPick, RoomsAnswer
from booking.search.schedules import ViewGrid, busy_from_view

MOST_ROOMS = 40  # fitting rooms read in one search: two getSchedule calls of 20 in one $batch
_INTERVAL = 15
MODES = {"in_person": "to meet in person", "hybrid": "for a hybrid meeting (others join by Teams)"}


@dataclass(frozen=True)
class RoomAsk:
    """What the member asked of a room. `room_list`: only this list's rooms ("" any); `building`: their usual
    building, whose rooms come first. Hybrid needs a room with video."""

    mode: str
    seats: int
    display: bool = False
    video: bool = False
    room_list: str = ""
    building: str = ""

    @property
    def need(self) -> RoomNeed:
        video = self.video or self.mode == "hybrid"
        return RoomNeed(self.seats, self.display, video, self.room_list, self.building)

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: object) -> RoomAsk | None:
        """The ask a booking kept (`Booking.room_need`), or None when it has none or it does not read."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})
        except TypeError:
            return None

    @property
    def words(self) -> str:
        needs = [f"{self.seats} seat{'s' if self.seats != 1 else ''}"]
        needs += [w for w, wanted in (("a display", self.display), ("video", self.need.video)) if wanted]
        # "You asked for a room with 4 seats, to meet in person."
        return f"a room with {', '.join(needs)}, {MODES.get(self.mode, self.mode)}"


@dataclass(frozen=True)
class RoomsRead:
    """The organization's rooms as this search saw them: `ordered` the fitting ones read (in the order they are
    offered), `everyone` all of them (for why the rest were not offered), `picks` how a page names each."""

    ordered: tuple[RoomOption, ...]
    everyone: tuple[RoomOption, ...]
    picks: dict[str, RoomPick]


def rooms_read(*, organizer: Membership, ask: RoomAsk, start: datetime, end: datetime) -> RoomsRead:
    """The fitting rooms' free/busy over [start, end) (at most MOST_ROOMS, in the order they are offered).
    Raises `calendars.CalendarError` when Microsoft does not answer at all; one room that cannot be read is
    only left out."""
    rooms = list(calendars.Room.objects.filter(organization_id=organizer.organization_id).select_related("room_list"))
    everyone = {r.address: _option(r) for r in rooms}
    ordered = fitting(everyone.values(), ask.need)[:MOST_ROOMS]
    answers = (
        calendars.rooms_free_busy(
            organizer=organizer, rooms=[o.id for o in ordered], start=start, end=end, interval_minutes=_INTERVAL
        )
        if ordered
        else {}
    )
    grid = ViewGrid(start, timedelta(minutes=_INTERVAL))
    read = tuple(_with_busy(o, answers.get(o.id), grid) for o in ordered)
    everyone |= {o.id: o for o in read}
    picks = {r.address: RoomPick(str(r.code), r.name, r.where, r.capacity) for r in rooms}
    return RoomsRead(read, tuple(everyone.values()), picks)


def _option(room: calendars.Room) -> RoomOption:
    return RoomOption(
        id=room.address,
        name=room.name,
        capacity=room.capacity,
        building=room.building,
        room_list=room.room_list.address if room.room_list else "",
        display=room.has_display,
        video=room.has_video,
    )


def _with_busy(option: RoomOption, schedule: calendars.Schedule | None, grid: ViewGrid) -> RoomOption:
    """The room with its busy time, or unreadable with Microsoft's reason (never taken for free)."""
    if schedule is None or schedule.error is not None:
        why = schedule.error.message if schedule is not None and schedule.error else "Microsoft 365 said nothing"
        return dataclasses.replace(option, unreadable=why or "could not be read")
    busy = tuple(engine.Busy(i.start, i.end, i.status) for i in schedule.items) or busy_from_view(
        schedule.availability_view, grid
    )
    return dataclasses.replace(option, busy=busy)


def with_rooms(result: engine.Result, read: RoomsRead) -> tuple[engine.Result, dict[datetime, RoomPick]]:
    """The engine's times that have a free fitting room, each with its room (by start); the rest left out."""
    chosen: dict[datetime, RoomPick] = {}
    for slot in result.slots:
        room = choose_room(read.ordered, slot.start, slot.end)
        if room is not None:
            chosen[slot.start] = read.picks[room.id]
    slots = tuple(s for s in result.slots if s.start in chosen)
    best = tuple(s for s in result.best if s.start in chosen)
    return dataclasses.replace(result, slots=slots, best=best), chosen


def rooms_answer(read: RoomsRead, ask: RoomAsk, slots: Sequence[engine.RankedSlot], *, individual: bool) -> RoomsAnswer:
    """What the page says of rooms: what was asked, how many rooms fit, and why the others were not offered.
    `slots`: the times everyone can meet (before rooms), which a room booked at all of them misses."""
    spans = [(s.start, s.end) for s in slots]
    reasons = why_not_offered(read.everyone, ask.need, spans)
    beyond = max(len(fitting(read.everyone, ask.need)) - len(read.ordered), 0)
    why = [f"{n} {'room' if n == 1 else 'rooms'}: {NOT_OFFERED[key]}" for key, n in sorted(reasons.items())]
    if beyond:
        why.append(f"{beyond} more fitting rooms were not read (only the first {MOST_ROOMS} are)")
    return RoomsAnswer(ask.words, len(read.ordered), tuple(why), individual)


def free_rooms_at(
    *, organizer: Membership, ask: RoomAsk, start: datetime, end: datetime, excluding: Sequence[str] = ()
) -> list[calendars.Room]:
    """The organization's rooms fitting `ask` whose calendars are free for the whole of [start, end), in the
    order they are offered, less the addresses in `excluding` (a room that was taken or declined): another room
    for this time. Raises `calendars.CalendarError` when Microsoft does not answer."""
    read = rooms_read(organizer=organizer, ask=ask, start=start, end=end)
    free = [o.id for o in read.ordered if o.id not in excluding and choose_room([o], start, end) is not None]
    rooms = calendars.Room.objects.filter(organization_id=organizer.organization_id, address__in=free)
    by_address = {r.address: r for r in rooms.select_related("room_list")}
    return [by_address[a] for a in free if a in by_address]


def room_is_free(*, organizer: Membership, address: str, start: datetime, end: datetime) -> bool:
    """Fresh from Microsoft: is this room's calendar free for the whole of [start, end)? A room that cannot be
    read is not. Raises `calendars.CalendarError` when Microsoft does not answer."""
    found = calendars.rooms_free_busy(organizer=organizer, rooms=[address], start=start, end=end)
    grid = ViewGrid(start, timedelta(minutes=_INTERVAL))
    return choose_room([_with_busy(RoomOption(address, address), found.get(address), grid)], start, end) is not None
