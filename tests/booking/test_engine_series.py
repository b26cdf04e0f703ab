"""The engine's series: dates as Graph expands them (checked against dateutil's rrule), wall-clock times kept in
the organizer's zone across clock changes, and every time judged on every occurrence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.engine import Busy, Person, Request, WorkingHours
from booking.engine.recurrence import Recurrence, last_day, occurrence_dates, occurrence_starts, within_horizon
from booking.engine.series import OUTSIDE, TOO_SOON, Problem, search_series

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
ZONES = [LONDON, NEW_YORK, BERLIN, ZoneInfo("Australia/Sydney"), ZoneInfo("Asia/Kolkata"), UTC]
NOW = datetime(2027, 1, 4, tzinfo=UTC)
FAST = settings(max_examples=150, deadline=None)
_RR_DAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)


def _reference(rec: Recurrence) -> list[date]:
    """dateutil's rrule for the same series (RFC 5545; it counts DTSTART only when it fits, as Graph does)."""
    start = datetime.combine(rec.start, time(0))
    until = datetime.combine(min(rec.until or date.max, last_day(rec.start)), time(0))
    if rec.kind in ("weekly", "weekdays"):
        days = sorted(rec.days) if rec.kind == "weekly" else list(range(5))
        rule = rrule.rrule(
            rrule.WEEKLY, dtstart=start, until=until, interval=rec.interval, byweekday=days, wkst=rrule.SU
        )
    elif rec.kind == "monthly_date":
        rule = rrule.rrule(
            rrule.MONTHLY, dtstart=start, until=until, interval=rec.interval, bymonthday=rec.day_of_month
        )
    else:
        (day,) = rec.days
        on = _RR_DAYS[day](rec.index)
        rule = rrule.rrule(rrule.MONTHLY, dtstart=start, until=until, interval=rec.interval, byweekday=on)
    found = [moment.date() for moment in rule]
    return found[: rec.count] if rec.count is not None else found


@st.composite
def recurrences(draw: st.DrawFn) -> Recurrence:
    kind = draw(st.sampled_from(["weekly", "weekdays", "monthly_date", "monthly_weekday"]))
    start = date(2026, 10, 1) + timedelta(days=draw(st.integers(0, 200)))
    ends = draw(st.booleans())
    count = draw(st.integers(1, 30)) if ends else None
    until = None if ends else start + timedelta(days=draw(st.integers(0, 190)))
    interval = 1 if kind == "weekdays" else draw(st.integers(1, 4))
    days: frozenset[int] = frozenset()
    if kind == "weekly":
        days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    elif kind == "monthly_weekday":
        days = frozenset({draw(st.integers(0, 6))})
    # rrule skips months without the date; Graph falls on the month's last day (tested apart below).
    day_of_month = draw(st.integers(1, 28))
    index = draw(st.sampled_from([1, 2, 3, 4, -1]))
    return Recurrence(kind, start, interval, days, day_of_month, index, count, until)


@FAST
@given(recurrences())
def test_the_dates_are_dateutils_rrule_dates(rec: Recurrence) -> None:
    assert list(occurrence_dates(rec)) == _reference(rec)


@FAST
@given(recurrences(), st.sampled_from(ZONES), st.integers(0, 95))
def test_each_occurrence_keeps_the_wall_clock_time_in_the_organizers_zone(
    rec: Recurrence, zone: ZoneInfo, quarter: int
) -> None:
    at = time(quarter // 4, quarter % 4 * 15)
    dates = occurrence_dates(rec)
    starts = occurrence_starts(dates, at, zone)
    for day, start in zip(dates, starts, strict=True):
        # dateutil keeps the wall clock of an aware DTSTART too: its daily rule from the first is the reference.
        first = datetime.combine(dates[0], at, tzinfo=zone)
        wanted = list(rrule.rrule(rrule.DAILY, dtstart=first, count=1 + (day - dates[0]).days))[-1]
        # In UTC: a wall-clock time the clock passes twice (fold 0: its first pass, as Outlook takes it) never
        # compares equal across zones (PEP 495).
        assert start == wanted.astimezone(UTC) and wanted.date() == day
        assert start.tzinfo is UTC


def test_a_monthly_date_past_the_months_end_falls_on_its_last_day() -> None:
    rec = Recurrence("monthly_date", date(2027, 1, 31), day_of_month=31, count=4)
    assert occurrence_dates(rec) == (date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30))


def test_the_second_tuesday_and_the_last_friday() -> None:
    second = Recurrence("monthly_weekday", date(2027, 1, 1), days=frozenset({1}), index=2, count=3)
    last = Recurrence("monthly_weekday", date(2027, 1, 1), days=frozenset({4}), index=-1, count=2)
    assert occurrence_dates(second) == (date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9))
    assert occurrence_dates(last) == (date(2027, 1, 29), date(2027, 2, 26))


def test_every_other_week_counts_weeks_from_the_week_of_the_start() -> None:
    rec = Recurrence("weekly", date(2027, 1, 6), interval=2, days=frozenset({0, 2}), count=4)  # a Wednesday
    assert occurrence_dates(rec) == (date(2027, 1, 6), date(2027, 1, 18), date(2027, 1, 20), date(2027, 2, 1))


def test_a_series_longer_than_the_horizon_is_outside_it() -> None:
    assert within_horizon(Recurrence("weekly", date(2027, 1, 5), days=frozenset({1}), count=26))
    assert not within_horizon(Recurrence("weekly", date(2027, 1, 5), days=frozenset({1}), count=27))
    assert not within_horizon(Recurrence("weekdays", date(2027, 1, 5), until=date(2027, 12, 31)))


def test_a_bad_series_is_refused() -> None:
    with pytest.raises(ValueError):
        Recurrence("weekly", date(2027, 1, 5), count=3)  # no day
    with pytest.raises(ValueError):
        Recurrence("weekdays", date(2027, 1, 5))  # no end


# Judging: London organizer, New York colleague, the March 2027 changes (US 14 March, Europe 28 March).


def _person(pid: str, name: str, zone: ZoneInfo, busy: tuple[Busy, ...] = ()) -> Person:
    return Person(pid, name, busy=busy, hours=WorkingHours(frozenset(range(5)), time(8), time(18), zone))


def _request(**rules: object) -> Request:
    return Request(start=NOW, end=NOW, duration=timedelta(minutes=30), now=NOW, you="you", **rules)  # type: ignore[arg-type]


WEEKLY = Recurrence("weekly", date(2027, 3, 1), days=frozenset({1}), count=8)  # Tuesdays 2 March .. 20 April


def test_a_time_that_fits_every_occurrence_ranks_first_and_says_so() -> None:
    people = [_person("you", "You", LONDON), _person("ann", "Ann", NEW_YORK)]
    result = search_series(people, _request(), WEEKLY, LONDON)
    best = result.times[0]
    assert best.fits and best.at == time(13)  # 08:00 in New York
    assert len(best.starts) == 8


def test_a_clash_names_the_occurrence_the_person_and_why() -> None:
    away = Busy(datetime(2027, 4, 6, tzinfo=UTC), datetime(2027, 4, 7, tzinfo=UTC), "oof")
    meeting = Busy(datetime(2027, 3, 9, 14, tzinfo=UTC), datetime(2027, 3, 9, 15, tzinfo=UTC), "busy")
    people = [_person("you", "You", LONDON), _person("ann", "Ann", NEW_YORK, (away, meeting))]
    result = search_series(people, _request(), WEEKLY, LONDON)
    at_two = next(t for t in result.times if t.at == time(14))
    assert [(c.day, c.problems) for c in at_two.clashes] == [
        (date(2027, 3, 9), (Problem("Ann", "busy"),)),
        (date(2027, 4, 6), (Problem("Ann", "out of office"),)),
    ]
    assert all(t.fits for t in result.times[: len(result.times) - 1] if len(t.clashes) == 0)
    assert [len(t.clashes) for t in result.times] == sorted(len(t.clashes) for t in result.times)


def test_between_the_two_clock_changes_the_time_moves_for_the_colleague_and_the_page_can_say_so() -> None:
    people = [_person("you", "You", LONDON), _person("ann", "Ann", NEW_YORK)]
    result = search_series(people, _request(), WEEKLY, LONDON)
    at_three = next(t for t in result.times if t.at == time(15))
    assert [(s.day, s.before, s.now) for s in at_three.shifts] == [
        (date(2027, 3, 16), time(10), time(11)),  # New York moved on 14 March, London not yet
        (date(2027, 3, 30), time(11), time(10)),  # London moved on 28 March
    ]
    # 12:30 in London is 07:30 for Ann except between the two changes (08:30): outside her hours but twice.
    at_one = next(t for t in result.times if t.at == time(12, 30))
    assert [(c.day, c.problems) for c in at_one.clashes] == [
        (date(2027, 3, 2), (Problem("Ann", OUTSIDE),)),
        (date(2027, 3, 9), (Problem("Ann", OUTSIDE),)),
        (date(2027, 3, 30), (Problem("Ann", OUTSIDE),)),
        (date(2027, 4, 6), (Problem("Ann", OUTSIDE),)),
        (date(2027, 4, 13), (Problem("Ann", OUTSIDE),)),
        (date(2027, 4, 20), (Problem("Ann", OUTSIDE),)),
    ]


def test_a_required_person_who_cannot_be_read_gives_no_time() -> None:
    people = [_person("you", "You", LONDON), Person("ann", "Ann", unreadable="no mailbox")]
    result = search_series(people, _request(), WEEKLY, LONDON)
    assert result.failed and not result.times


def test_occurrences_before_the_notice_clash_for_everyone() -> None:
    people = [_person("you", "You", LONDON)]
    request = _request(minimum_notice=timedelta(days=7))
    result = search_series(people, replace(request, now=datetime(2027, 3, 1, tzinfo=UTC)), WEEKLY, LONDON)
    assert result.times and all(
        [(c.day, c.problems) for c in t.clashes] == [(date(2027, 3, 2), (Problem("", TOO_SOON),))]
        for t in result.times[:3]
    )


def test_a_time_the_clock_passes_twice_is_its_first_pass_and_one_it_skips_is_an_hour_later() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    autumn = occurrence_starts((date(2026, 10, 25),), time(2, 30), berlin)  # 02:00-03:00 happens twice
    spring = occurrence_starts((date(2027, 3, 28),), time(2, 30), berlin)  # 02:00-03:00 never happens
    assert autumn == (datetime(2026, 10, 25, 0, 30, tzinfo=UTC),)  # 02:30 summer time
    assert spring == (datetime(2027, 3, 28, 1, 30, tzinfo=UTC),)  # 03:30 summer time, as Outlook moves it
