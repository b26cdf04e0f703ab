"""The engine's room choice, checked on random rooms, calendars and needs: the room offered always fits, is free
for the whole slot, is the smallest fitting one free then, and the member's usual building comes first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.engine import Busy
from booking.engine.rooms import RoomNeed, RoomOption, choose_room, fitting, is_free, misfit, why_not_offered

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DAY = datetime(2031, 3, 3, 8, tzinfo=UTC)
BUILDINGS = ("Headquarters", "Harbour office")
STATUSES = ("busy", "tentative", "oof", "free", "workingElsewhere", "unknown")


@st.composite
def busy_items(draw: st.DrawFn) -> Busy:
    start = DAY + timedelta(minutes=15 * draw(st.integers(0, 40)))
    return Busy(start, start + timedelta(minutes=15 * draw(st.integers(1, 12))), draw(st.sampled_from(STATUSES)))


@st.composite
def rooms(draw: st.DrawFn, n: int) -> RoomOption:
    building = draw(st.sampled_from(BUILDINGS))
    return RoomOption(
        id=f"room{n}@contoso.example",
        name=draw(st.sampled_from(["Fjord", "Atlas", "Birch", "Cedar", "Delta"])) + f" {n}",
        capacity=draw(st.one_of(st.none(), st.integers(1, 16))),
        building=building,
        room_list=f"{building.split()[0].lower()}@contoso.example",
        display=draw(st.booleans()),
        video=draw(st.booleans()),
        busy=tuple(draw(st.lists(busy_items(), max_size=5))),
        unreadable=draw(st.sampled_from([None, None, None, "throttled"])),
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[RoomOption], RoomNeed, datetime, datetime]:
    found = [draw(rooms(n)) for n in range(draw(st.integers(0, 8)))]
    need = RoomNeed(
        seats=draw(st.integers(1, 12)),
        display=draw(st.booleans()),
        video=draw(st.booleans()),
        room_list=draw(st.sampled_from(["", "headquarters@contoso.example"])),
        building=draw(st.sampled_from(["", *BUILDINGS])),
    )
    start = DAY + timedelta(minutes=15 * draw(st.integers(0, 40)))
    return found, need, start, start + timedelta(minutes=15 * draw(st.integers(1, 8)))


def _overlaps(busy: Busy, start: datetime, end: datetime) -> bool:
    return busy.start < end and start < busy.end


@FAST
@given(cases())
def test_the_room_chosen_always_has_the_seats_and_the_equipment_asked_for(
    case: tuple[list[RoomOption], RoomNeed, datetime, datetime],
) -> None:
    found, need, start, end = case
    room = choose_room(fitting(found, need), start, end)
    if room is not None:
        assert room.capacity is not None and room.capacity >= need.seats
        assert room.display or not need.display
        assert room.video or not need.video
        assert not need.room_list or room.room_list == need.room_list


@FAST
@given(cases())
def test_the_room_chosen_is_free_for_the_whole_slot_and_was_read(
    case: tuple[list[RoomOption], RoomNeed, datetime, datetime],
) -> None:
    found, need, start, end = case
    room = choose_room(fitting(found, need), start, end)
    if room is not None:
        assert room.unreadable is None
        assert not any(_overlaps(b, start, end) for b in room.busy if b.status not in ("free", "workingElsewhere"))


@FAST
@given(cases())
def test_no_room_is_chosen_only_when_no_fitting_room_is_free(
    case: tuple[list[RoomOption], RoomNeed, datetime, datetime],
) -> None:
    found, need, start, end = case
    if choose_room(fitting(found, need), start, end) is None:
        assert not any(not misfit(r, need) and is_free(r, start, end) for r in found)


@FAST
@given(cases())
def test_the_usual_building_comes_first_then_the_smallest_fitting_room(
    case: tuple[list[RoomOption], RoomNeed, datetime, datetime],
) -> None:
    found, need, start, end = case
    room = choose_room(fitting(found, need), start, end)
    if room is None:
        return
    free = [r for r in found if not misfit(r, need) and is_free(r, start, end)]
    if need.building and any(r.building == need.building for r in free):
        assert room.building == need.building
    same_place = [r for r in free if (r.building == need.building) == (room.building == need.building)]
    assert room.capacity == min(r.capacity or 0 for r in (same_place if need.building else free))


@FAST
@given(cases())
def test_every_room_left_out_is_counted_once_with_a_reason(
    case: tuple[list[RoomOption], RoomNeed, datetime, datetime],
) -> None:
    found, need, start, end = case
    reasons = why_not_offered(found, need, [(start, end)])
    offered = [r for r in found if not misfit(r, need) and is_free(r, start, end)]
    assert sum(reasons.values()) == len(found) - len(offered)


def test_a_room_for_four_at_headquarters_is_the_small_one_there_not_the_big_one_nor_the_other_building() -> None:
    start = DAY + timedelta(hours=2)
    options = [
        RoomOption("big@x", "Atlas", 12, "Headquarters", display=True),
        RoomOption("harbour@x", "Pier", 4, "Harbour office", display=True),
        RoomOption("small@x", "Birch", 4, "Headquarters", display=True),
        RoomOption("tiny@x", "Nook", 2, "Headquarters", display=True),
    ]
    need = RoomNeed(seats=4, building="Headquarters")
    assert choose_room(fitting(options, need), start, start + timedelta(hours=1)) == options[2]
    taken = [
        *options[:2],
        RoomOption("small@x", "Birch", 4, "Headquarters", busy=(Busy(start, start + timedelta(minutes=15)),)),
    ]
    assert choose_room(fitting(taken, need), start, start + timedelta(hours=1)) == options[0]
    assert why_not_offered(taken, need, [(start, start + timedelta(hours=1))]) == {"busy": 1}
