"""The emulator's series against an independent expansion: python-dateutil's rrule on local times, zoneinfo zones.

Random patterns (daily, weekly with several days, intervals and a week start, absolute and relative monthly,
yearly), ranges (numbered, end date, none), all-day and timed series, zones with daylight saving in different
months (one in the southern hemisphere, Windows and IANA names) and windows across the changes: the instants the
emulator gives through getSchedule's scheduleItems and the control API's mailbox listing are the reference's.

Where Graph's documented rules differ from RFC 5545 the reference is told to follow Graph (see
`m365_emulator/calendar_recurrence.py`): a day of month past the month's end falls on its last day (rrule:
BYMONTHDAY 28..n with BYSETPOS -1), and each occurrence ends at its local end time (the end is worked out on the
local clock, not as a fixed duration after the start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any, Literal
from zoneinfo import ZoneInfo

from dateutil import rrule
from hypothesis import given, settings
from hypothesis import strategies as st

from m365_emulator.testing import EmulatorProcess
from tests.emulator.calendar_support import (
    consented_app_token,
    empty_mailbox,
    occurrences,
    post_event,
    schedule_items,
)
from tests.emulator.helpers import graph

# Graph's zone name -> the IANA zone the reference uses (written out here, not taken from the emulator's table).
ZONES = {
    "Eastern Standard Time": "America/New_York",  # daylight saving March to November
    "W. Europe Standard Time": "Europe/Berlin",  # last Sunday of March to last Sunday of October
    "Europe/London": "Europe/London",
    "AUS Eastern Standard Time": "Australia/Sydney",  # southern: October to April
    "Pacific/Auckland": "Pacific/Auckland",  # southern: September to April
    "Pacific SA Standard Time": "America/Santiago",  # southern, the change at midnight
    "India Standard Time": "Asia/Kolkata",  # no daylight saving
    "UTC": "UTC",
}
PATTERN_TYPES = ["daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly", "relativeYearly"]
DAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
INDEXES = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}


@dataclass
class Series:
    zone: str
    kind: str
    interval: int
    days: list[int]
    first_day: int
    day_of_month: int
    month: int
    index: str
    start: datetime  # local wall time of the first day's start
    length: timedelta  # local wall-clock length
    all_day: bool
    range_type: str
    count: int
    end_date: date

    def body(self) -> dict[str, Any]:
        end = self.start + self.length
        pattern: dict[str, Any] = {"type": self.kind, "interval": self.interval}
        if self.kind in ("weekly", "relativeMonthly", "relativeYearly"):
            pattern["daysOfWeek"] = [DAY_NAMES[d] for d in self.days]
        if self.kind == "weekly":
            pattern["firstDayOfWeek"] = DAY_NAMES[self.first_day]
        if self.kind.startswith("absolute"):
            pattern["dayOfMonth"] = self.day_of_month
        if self.kind.endswith("Yearly"):
            pattern["month"] = self.month
        if self.kind.startswith("relative"):
            pattern["index"] = self.index
        rng: dict[str, Any] = {"type": self.range_type, "startDate": self.start.date().isoformat()}
        rng |= {"recurrenceTimeZone": self.zone}
        if self.range_type == "numbered":
            rng["numberOfOccurrences"] = self.count
        if self.range_type == "endDate":
            rng["endDate"] = self.end_date.isoformat()
        return {
            "subject": "Property",
            "isAllDay": self.all_day,
            "start": {"dateTime": self.start.isoformat(), "timeZone": self.zone},
            "end": {"dateTime": end.isoformat(), "timeZone": self.zone},
            "recurrence": {"pattern": pattern, "range": rng},
        }

    def rule(self) -> rrule.rrule:
        """The same series as RFC 5545 states it, adjusted where Graph's rules differ (module docstring)."""
        freqs: dict[str, Literal[0, 1, 2, 3, 4, 5, 6]] = {
            "daily": rrule.DAILY, "weekly": rrule.WEEKLY, "Monthly": rrule.MONTHLY, "Yearly": rrule.YEARLY
        }  # fmt: skip
        freq = next(value for key, value in freqs.items() if self.kind.endswith(key))
        parts: dict[str, Any] = {"dtstart": self.start, "interval": self.interval, "wkst": self.first_day}
        if self.kind == "weekly" or self.kind.startswith("relative"):
            parts["byweekday"] = sorted(set(self.days))
        if self.kind.startswith("relative"):
            parts["bysetpos"] = INDEXES[self.index]
        if self.kind.startswith("absolute"):
            parts["bymonthday"] = tuple(range(min(self.day_of_month, 28), self.day_of_month + 1))
            parts["bysetpos"] = -1
        if self.kind.endswith("Yearly"):
            parts["bymonth"] = self.month
        if self.range_type == "numbered":
            parts["count"] = self.count
        if self.range_type == "endDate":
            parts["until"] = datetime.combine(self.end_date, time(23, 59, 59))
        return rrule.rrule(freq, **parts)

    def expected(self, lo: datetime, hi: datetime) -> list[tuple[str, str]]:
        zone = ZoneInfo(ZONES[self.zone])
        stop = hi.astimezone(zone).replace(tzinfo=None) + timedelta(days=2)
        found = []
        for local in self.rule():
            if local > stop:
                break
            start = local.replace(tzinfo=zone).astimezone(UTC)
            end = (local + self.length).replace(tzinfo=zone).astimezone(UTC)
            if start < hi and end > lo:
                found.append((_z(start), _z(end)))
        return found


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _exists(local: datetime, zone: ZoneInfo) -> bool:
    """Whether a wall-clock time is shown by the zone's clocks (not skipped when they go forward)."""
    there = local.replace(tzinfo=zone)
    return there.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local


def _next_change(day: date, zone: ZoneInfo) -> date:
    """The first day after `day` whose noon has another UTC offset than the day before's (or `day` if none)."""
    for ahead in range(1, 370):
        before, after = (datetime.combine(day + timedelta(days=n), time(12), zone) for n in (ahead - 1, ahead))
        if before.utcoffset() != after.utcoffset():
            return day + timedelta(days=ahead)
    return day


@st.composite
def series(draw: st.DrawFn) -> Series:
    kind = draw(st.sampled_from(PATTERN_TYPES))
    all_day = draw(st.booleans())
    zone = draw(st.sampled_from(sorted(ZONES)))
    day = draw(st.dates(date(2026, 1, 1), date(2028, 12, 31)))
    if draw(st.booleans()):  # half the series start shortly before the zone's next clock change
        day = _next_change(day, ZoneInfo(ZONES[zone])) - timedelta(days=draw(st.integers(0, 40)))
    if all_day:
        start = datetime.combine(day, time())
        length = timedelta(days=draw(st.integers(1, 2)))
    else:
        start = datetime.combine(day, time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45]))))
        length = timedelta(minutes=draw(st.sampled_from([15, 30, 60, 90, 150, 24 * 60])))
    tz = ZoneInfo(ZONES[zone])
    # A first start or end the zone's clock skips has no faithful reading on the other days either (UNCONFIRMED).
    if not (_exists(start, tz) and _exists(start + length, tz)):
        start = datetime.combine(day, time(12)) if not all_day else start + timedelta(days=1)
        if not (_exists(start, tz) and _exists(start + length, tz)):
            zone = "UTC"
    range_type = draw(st.sampled_from(["numbered", "endDate", "noEnd"]))
    return Series(
        zone=zone,
        kind=kind,
        interval=draw(st.integers(1, 3)),
        days=draw(st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True)),
        first_day=draw(st.integers(0, 6)),
        day_of_month=draw(st.integers(1, 31)),
        month=draw(st.integers(1, 12)),
        index=draw(st.sampled_from(sorted(INDEXES))),
        start=start,
        length=length,
        all_day=all_day,
        range_type=range_type,
        count=draw(st.integers(2, 60)),
        end_date=start.date() + timedelta(days=draw(st.integers(0, 800))),
    )


def test_the_emulator_expands_series_as_dateutil_does_with_graphs_rules(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    mailbox = empty_mailbox(emulator, "property", "UTC")
    checked = {"examples": 0, "occurrences": 0, "across a change": 0}

    @settings(max_examples=300, deadline=None, derandomize=True, database=None)
    @given(series(), st.integers(0, 6), st.integers(0, 30), st.integers(20, 61))
    def same_instants(drawn: Series, nth: int, before: int, days: int) -> None:
        created = post_event(emulator, token, mailbox, drawn.body())
        assert created.status_code == 201, created.text
        event_id = created.json()["id"]
        try:
            # The window opens up to a month before the reference's n-th occurrence (or the start, if none).
            anchor = next(islice(drawn.rule(), nth, None), drawn.start)
            lo = datetime.combine(anchor.date() - timedelta(days=before), time(), UTC)
            hi = lo + timedelta(days=days)
            expected = drawn.expected(lo, hi)
            listed = occurrences(emulator, mailbox, event_id, _z(lo), _z(hi))
            assert listed == expected, drawn
            items = schedule_items(emulator, token, mailbox, _z(lo)[:-1], _z(hi)[:-1])
            assert [(i["start"]["dateTime"][:19] + "Z", i["end"]["dateTime"][:19] + "Z") for i in items] == expected
            checked["examples"] += 1
            checked["occurrences"] += len(expected)
            offsets = {ZoneInfo(ZONES[drawn.zone]).utcoffset(datetime.fromisoformat(s[:-1])) for s, _ in expected}
            checked["across a change"] += len(offsets) > 1
        finally:
            graph(emulator, "DELETE", f"/users/{mailbox}/events/{event_id}", token)

    same_instants()
    # The examples must reach real occurrences, and daylight-saving changes between them, not only empty windows.
    assert checked["occurrences"] > 600 and checked["across a change"] > 10, checked
