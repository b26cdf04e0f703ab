"""When no time suits everyone: who blocks each day, and near misses that, applied, really open their time."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, assume, given, settings

from booking.engine import (
    Busy,
    NearMiss,
    Person,
    Request,
    WorkingHours,
    near_misses,
    search,
    stretched_hours,
    who_blocks,
)
from booking.engine.near import STRETCHES
from booking.engine.search import earliest_start
from tests.booking.engine_world import searches

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DURATIONS = (15, 30, 45, 60, 90)
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


def _applied(people: list[Person], request: Request, miss: NearMiss) -> tuple[list[Person], Request]:
    """The search as the page's link for this near miss asks it."""
    if miss.kind == "optional":
        return [dataclasses.replace(p, required=False) if p.id == miss.person_id else p for p in people], request
    if miss.kind == "stretch":  # the link searches outside their hours
        return people, dataclasses.replace(request, widened=request.widened | {miss.person_id})
    assert miss.kind == "shorter"
    return people, dataclasses.replace(request, duration=timedelta(minutes=miss.minutes))


def _opens(people: list[Person], request: Request) -> bool:
    return bool(search(people, request).slots)


def _stretched(people: list[Person], person_id: str, minutes: int, *, early: bool) -> list[Person] | None:
    person = next(p for p in people if p.id == person_id)
    assert person.hours is not None
    hours = stretched_hours(person.hours, minutes, early=early)
    return None if hours is None else [dataclasses.replace(p, hours=hours) if p is person else p for p in people]


@FAST
@given(searches())
def test_every_near_miss_applied_yields_its_time_with_the_same_engine(case: tuple[list[Person], Request]) -> None:
    people, request = case
    assume(not search(people, request).slots)
    for miss in near_misses(people, request, durations=DURATIONS):
        applied_people, applied = _applied(people, request, miss)
        assert miss.start in {s.start for s in search(applied_people, applied).slots}, miss.words
        if miss.kind == "stretch":  # and the stretched hours alone open it too
            stretched = _stretched(people, miss.person_id, miss.minutes, early=miss.early)
            assert stretched is not None
            assert miss.start in {s.start for s in search(stretched, request).slots}


@FAST
@given(searches())
def test_in_individual_mode_every_near_miss_applied_yields_its_time_inside_everyones_working_hours(
    case: tuple[list[Person], Request],
) -> None:
    """Graph keeps everyone's hours, optional people's too: a way out never needs someone outside theirs."""
    people, request = case
    request = dataclasses.replace(request, widened=frozenset())
    assume(not search(people, request).slots)
    for miss in near_misses(people, request, durations=DURATIONS, stretch=False, optional_keeps_hours=True):
        assert miss.kind in ("optional", "shorter")
        applied_people, applied = _applied(people, request, miss)
        assert miss.start in {s.start for s in search(applied_people, applied).slots}, miss.words
        if miss.kind == "optional":  # and inside their hours: required but free all day, it is still a time
            free = [dataclasses.replace(p, busy=()) if p.id == miss.person_id else p for p in people]
            assert miss.start in {s.start for s in search(free, request).slots}


@FAST
@given(searches())
def test_the_near_misses_offered_are_the_cheapest_of_all_that_open_a_time(case: tuple[list[Person], Request]) -> None:
    people, request = case
    assume(not search(people, request).slots)
    every = near_misses(people, request, durations=DURATIONS, count=100)
    offered = near_misses(people, request, durations=DURATIONS)
    assert offered == every[: len(offered)] and len(offered) == min(3, len(every))


@FAST
@given(searches())
def test_no_near_miss_is_offered_when_a_smaller_change_of_its_kind_would_do(
    case: tuple[list[Person], Request],
) -> None:
    people, request = case
    assume(not search(people, request).slots)
    misses = near_misses(people, request, durations=DURATIONS, count=100)
    assert [m.cost for m in misses] == sorted(m.cost for m in misses)
    for miss in misses:
        if miss.kind == "shorter":
            longer = [m for m in DURATIONS if miss.minutes < m < request.duration // timedelta(minutes=1)]
            assert not any(_opens(people, dataclasses.replace(request, duration=timedelta(minutes=m))) for m in longer)
        if miss.kind == "stretch":
            for smaller in (m for m in STRETCHES if m < miss.minutes):
                for early in (True, False):
                    stretched = _stretched(people, miss.person_id, smaller, early=early)
                    assert stretched is None or not _opens(stretched, request)


@FAST
@given(searches())
def test_a_person_named_as_blocking_a_day_has_no_time_that_day(case: tuple[list[Person], Request]) -> None:
    people, request = case
    found = search(people, request)
    for day in who_blocks(people, request):
        on_day = [s for s in found.slots if s.start.astimezone(request.grid_tz).date() == day.day]
        assert day.open_starts == len(on_day)
        for blocker in day.blockers:
            assert not on_day
            assert blocker.name in {p.name for p in people if p.required}


def _person(name: str, *busy: Busy, start: int = 9, end: int = 17) -> Person:
    hours = WorkingHours(frozenset(range(5)), time(start), time(end), UTC)
    return Person(name.lower(), name, busy=busy, hours=hours)


def _week(request_minutes: int = 60) -> Request:
    return Request(
        start=MONDAY, end=MONDAY + timedelta(days=2), duration=timedelta(minutes=request_minutes), now=MONDAY, you="you"
    )


def test_it_names_who_is_out_of_office_and_who_is_busy_each_day_without_any_subject() -> None:
    you = _person("you")
    ann = _person("Ann", Busy(MONDAY, MONDAY + timedelta(days=2), "oof"))
    bob = _person("Bob", Busy(MONDAY + timedelta(hours=9), MONDAY + timedelta(hours=17), "tentative"))
    days = who_blocks([you, ann, bob], _week())
    assert [d.day.isoformat() for d in days] == ["2026-03-02", "2026-03-03"]
    monday = days[0]
    assert [(b.name, b.why) for b in monday.blockers] == [
        ("Ann", "out of office through their working hours"),
        ("Bob", "tentative through their working hours"),
    ]
    assert monday.hours == tuple(range(9, 17))
    assert dict(monday.rows)["Ann"] == ("out of office",) * 8
    assert dict(monday.rows)["you"] == ("free",) * 8
    assert [b.name for b in days[1].blockers] == ["Ann"]


def test_it_says_everyone_has_time_but_never_at_once_when_nobody_alone_blocks() -> None:
    you = _person("you", Busy(MONDAY + timedelta(hours=9), MONDAY + timedelta(hours=13)))
    ann = _person("Ann", Busy(MONDAY + timedelta(hours=13), MONDAY + timedelta(hours=17)))
    monday = who_blocks([you, ann], _week())[0]
    assert monday.blockers == ()
    assert monday.note == "Everyone has free time this day, but never at the same time."
    assert dict(monday.rows)["Ann"][:5] == ("free", "free", "free", "free", "busy")


def test_it_offers_making_the_blocker_optional_stretching_hours_and_a_shorter_meeting() -> None:
    you = _person("you", start=9, end=17)
    early = _person("Kai", start=6, end=9)  # works 06:00-09:00 only: 30 minutes late opens 09:00
    ann = _person("Ann", Busy(MONDAY, MONDAY + timedelta(days=2), "oof"))
    misses = near_misses([you, early, ann], _week(), durations=DURATIONS)
    assert misses == ()  # Ann is out all week: nothing but making her optional would help, and Kai also blocks
    zoe = _person("Zoe")
    misses = near_misses([you, early, zoe], _week(30), durations=DURATIONS)
    assert [m.words for m in misses] == [
        "Monday 2 March 09:00 works if Kai stays 30 minutes late (09:30 for Kai)",
        "Monday 2 March 10:00 works if Kai is optional",
    ]
    ann_busy = _person("Ann", Busy(MONDAY + timedelta(hours=9, minutes=45), MONDAY + timedelta(days=2)))
    shorter = near_misses([you, ann_busy], _week(), durations=DURATIONS)
    assert [m.words for m in shorter] == ["a 45-minute meeting fits on Monday 2 March 09:00"]  # Ann is the only one


def test_it_never_offers_to_make_the_only_colleague_optional() -> None:
    you, ann = _person("you"), _person("Ann", Busy(MONDAY, MONDAY + timedelta(days=2), "oof"))
    assert near_misses([you, ann], _week(), durations=DURATIONS) == ()


@FAST
@given(searches())
def test_the_quick_earliest_start_is_the_first_slot_of_the_full_search(case: tuple[list[Person], Request]) -> None:
    people, request = case
    slots = search(people, request).slots
    assert earliest_start(people, request) == (slots[0].start if slots else None)


def test_it_says_working_hours_never_overlap_when_that_is_why() -> None:
    you, kai = _person("you", start=9, end=12), _person("Kai", start=13, end=17)
    monday = who_blocks([you, kai], _week())[0]
    assert monday.blockers == ()
    assert monday.note == "Everyone works this day, but their working hours never overlap for the meeting."
