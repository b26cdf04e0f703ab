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

from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, ngettext, ngettext_lazy, pgettext
from django.utils.translation import gettext_lazy as _

import integrations.calendars as calendars
from accounts.models import Membership
from booking import engine
from booking.engine.rooms import NOT_OFFERED, RoomNeed, RoomOption, choose_room, fitting, why_not_offered
from booking.search.results import RoomPick, RoomsAnswer
from booking.search.schedules import ViewGrid, busy_from_view
from localtime.reading import listed

MOST_ROOMS = 40  # fitting rooms read in one search: two getSchedule calls of 20 in one $batch
_INTERVAL = 15
# The ask in the reader's words, after "You asked for": "a room with 4 seats and a display, to meet in person".
MODES = {
    "in_person": _("a room with %(needs)s, to meet in person"),
    "hybrid": _("a room with %(needs)s, for a hybrid meeting (others join by Teams)"),
}
# Why the engine did not offer some rooms (its keys, `booking.engine.rooms.NOT_OFFERED`), with how many, as a
# sentence each language counts in: "4 rooms: too few seats".
NOT_OFFERED_WORDS: dict[str, Promise] = {
    "seats": ngettext_lazy("%(count)d room: too few seats", "%(count)d rooms: too few seats", "count"),
    "display": ngettext_lazy("%(count)d room: no display", "%(count)d rooms: no display", "count"),
    "video": ngettext_lazy("%(count)d room: no video", "%(count)d rooms: no video", "count"),
    "list": ngettext_lazy(
        "%(count)d room: in another building or room list", "%(count)d rooms: in another building or room list", "count"
    ),
    "unreadable": ngettext_lazy(
        "%(count)d room: its calendar could not be read", "%(count)d rooms: their calendars could not be read", "count"
    ),
    "busy": ngettext_lazy(
        "%(count)d room: booked at every suggested time", "%(count)d rooms: booked at every suggested time", "count"
    ),
}


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
        """The ask in the reader's language (the page's, at render time): "a room with 4 seats, to meet in person"."""
        needs = [ngettext("%(seats)d seat", "%(seats)d seats", self.seats) % {"seats": self.seats}]
        wanted = ((gettext("a display"), self.display), (pgettext("room equipment", "video"), self.need.video))
        needs += [w for w, asked in wanted if asked]
        mode = MODES.get(self.mode, MODES["in_person"])
        return str(mode) % {"needs": listed(needs, get_language() or "en")}


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
    why = [_not_offered(key, n) for key, n in sorted(reasons.items())]
    if beyond:
        why.append(
            ngettext(
                "%(count)d more fitting room was not read (only the first %(most)d are)",
                "%(count)d more fitting rooms were not read (only the first %(most)d are)",
                beyond,
            )
            % {"count": beyond, "most": MOST_ROOMS}
        )
    return RoomsAnswer(ask.words, len(read.ordered), tuple(why), individual)


def _not_offered(key: str, count: int) -> str:
    words = NOT_OFFERED_WORDS.get(key)
    return str(words % {"count": count}) if words is not None else f"{count}: {NOT_OFFERED.get(key, key)}"


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
