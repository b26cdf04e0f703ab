"""The engine's hard rules, fail-closed reading and ranking, checked on random people and requests."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta, tzinfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.engine import Person, Request, Result, WorkingHours, search
from tests.booking.engine_world import ZONES, allowed, blocked, inside_working_hours, searches

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _readable(people: list[Person]) -> bool:
    return all(p.unreadable is None for p in people if p.required)


def _grid_starts(request: Request) -> list[datetime]:
    step = request.granularity
    midnight = request.start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = midnight + -((midnight - request.start) // step) * step
    return [start + n * step for n in range(int((request.end - start) / step) + 1)]


def _shape(result: Result) -> list[tuple[object, ...]]:
    return [(s.start, s.end, s.worst, s.total, s.optional_free_count, s.outside_hours, s.summary) for s in result.slots]


@FAST
@given(searches())
def test_no_slot_touches_a_blocking_interval_of_a_required_person_buffers_included(
    case: tuple[list[Person], Request],
) -> None:
    people, request = case
    for slot in search(people, request).slots:
        assert not any(blocked(slot.start, slot.end, p, request) for p in people if p.required)


@FAST
@given(searches())
def test_every_slot_lies_in_every_required_persons_working_hours_unless_widened_and_then_it_is_flagged(
    case: tuple[list[Person], Request],
) -> None:
    people, request = case
    for slot in search(people, request).slots:
        outside = [
            p for p in people if p.required and p.hours and not inside_working_hours(slot.start, slot.end, p.hours)
        ]
        assert all(p.id in request.widened for p in outside)
        assert slot.outside_hours == bool(outside)
        flags = " ".join(slot.explanation.flags)
        owners = ["your" if p.id == request.you else f"{p.name}'s" for p in outside]
        assert all(f"outside {owner} working hours" in flags for owner in owners)


@FAST
@given(searches())
def test_the_slots_are_exactly_the_grid_times_that_pass_every_rule(case: tuple[list[Person], Request]) -> None:
    people, request = case
    found = [slot.start for slot in search(people, request).slots]
    expected = (
        [start for start in _grid_starts(request) if allowed(start, people, request)] if _readable(people) else []
    )

    assert found == expected


@FAST
@given(searches())
def test_a_required_person_who_cannot_be_read_yields_no_slot_and_is_named(case: tuple[list[Person], Request]) -> None:
    people, request = case
    people[-1] = replace(people[-1], required=True, unreadable="outside the admin's security group")

    result = search(people, request)

    assert result.slots == () and result.best == ()
    assert people[-1].name in result.failed and "outside the admin's security group" in result.failed


@FAST
@given(searches())
def test_an_optional_person_who_cannot_be_read_is_unknown_never_free(case: tuple[list[Person], Request]) -> None:
    people, request = case
    people.append(Person("p9", "Zoe", required=False, unreadable="throttled by Microsoft 365"))

    for slot in search(people, request).slots:
        assert "Zoe" in slot.explanation.optional_unknown
        assert "Zoe" not in slot.explanation.optional_free


@FAST
@given(searches(), st.lists(st.sampled_from(ZONES), min_size=4, max_size=4))
def test_the_result_does_not_depend_on_the_zone_the_input_was_written_in(
    case: tuple[list[Person], Request], written_in: list[tzinfo]
) -> None:
    people, request = case
    moved_people = [
        replace(
            p,
            busy=tuple(
                replace(b, start=b.start.astimezone(written_in[0]), end=b.end.astimezone(written_in[1])) for b in p.busy
            ),
        )
        for p in people
    ]
    moved = replace(
        request,
        start=request.start.astimezone(written_in[2]),
        end=request.end.astimezone(written_in[3]),
        now=request.now.astimezone(written_in[0]),
    )

    assert _shape(search(moved_people, moved)) == _shape(search(people, request))


@FAST
@given(searches(), st.randoms(use_true_random=False))
def test_ranking_is_deterministic_and_ignores_the_order_of_busy_items(
    case: tuple[list[Person], Request], rng: random.Random
) -> None:
    people, request = case
    shuffled = [replace(p, busy=tuple(rng.sample(p.busy, len(p.busy)))) for p in people]

    first, again, reordered = search(people, request), search(people, request), search(shuffled, request)

    assert _shape(first) == _shape(again) == _shape(reordered)
    assert [s.start for s in first.best] == [s.start for s in reordered.best]


@FAST
@given(searches())
def test_the_best_slots_come_in_rank_order_none_overlap_and_none_beats_the_first(
    case: tuple[list[Person], Request],
) -> None:
    people, request = case
    result = search(people, request)

    assert [s.rank_key for s in result.best] == sorted(s.rank_key for s in result.best)
    assert all(a.end <= b.start or b.end <= a.start for a in result.best for b in result.best if a is not b)
    if result.slots:
        assert result.best[0].rank_key == min(s.rank_key for s in result.slots)
        assert result.best[0].worst == min(s.worst for s in result.slots)
    assert [s.start for s in result.slots] == sorted(s.start for s in result.slots)


@FAST
@given(searches())
def test_every_slot_explains_itself_with_each_required_persons_local_time(case: tuple[list[Person], Request]) -> None:
    people, request = case
    for slot in search(people, request).slots[:20]:
        explanation = slot.explanation
        for p in people:
            if p.required:
                assert p.hours is not None
                local = slot.start.astimezone(p.hours.tz)
                assert f"{local:%H:%M}" in explanation.summary
        assert max(person.cost for person in explanation.people) == slot.worst
        assert sum(person.cost for person in explanation.people) == slot.total


def test_the_first_slot_is_the_first_grid_time_after_now_plus_the_notice() -> None:
    now = datetime(2026, 3, 10, 10, 7, tzinfo=UTC)
    request = Request(
        start=now - timedelta(days=1),
        end=now + timedelta(days=1),
        duration=timedelta(minutes=30),
        now=now,
        minimum_notice=timedelta(hours=2),
    )
    anna = Person("a", "Anna", hours=WorkingHours(frozenset(range(7)), time(0), time(0), UTC))

    assert search([anna], request).slots[0].start == datetime(2026, 3, 10, 12, 15, tzinfo=UTC)
