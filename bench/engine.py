"""How fast the availability engine is, next to reading the Graph reply it works from.

    python -m bench.engine [--repeat 5]      (or python bench/engine.py)

For 2, 20 and 100 people over 14 and 60 days at 15-minute granularity it builds one getSchedule reply as Graph
sends it (UTC times with seven-digit fractions, subjects and locations where shared, working hours as Windows
names, a legacy IANA name and a customTimeZone with rules), then times:

- reading: json.loads plus Overlap's parser (integrations/microsoft/parse.py), as the client does;
- search: the parsed schedules turned into the engine's people (booking/search/schedules.py) and the search itself,
  every slot scored and ranked;
- words: the same search with every slot's reasons written out (what a page that lists every slot pays);
- hard: what a search with few times or none adds (who blocks each day, and the near misses).

Prints a table; ratio = search / reading (the target is at most 1). Each figure is the best of --repeat runs (more
for a small search: as many as a quarter of a second holds), in CPU time (`time.process_time`): the machine is
shared, and time spent waiting for a core is not the search's.
The engine keeps zones' offsets by day, working days and words for the process (`engine.forget_kept`), so every
run after the first finds them, as the same people's searches do; `--cold` forgets them before every run.
The people: the organizer and up to 9 colleagues are required (10 in all), the rest optional; then the same with
only two required and everyone else optional (more slots, many optional people); then the product's largest
searches (`--large` prints only these): 20 required (the organizer and 19 colleagues, one getSchedule), alone and
with 20 optional (40 schedules, one $batch of two getSchedule calls).
Calendars: a daily stand-up, two to five meetings a day (busy, some tentative, a few out of office), an
occasional day off, on working days in Berlin, London, New York and Kolkata.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django  # booking.search.schedules reads Graph's types through the integration, which needs the app registry

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup()

from booking.engine import Person, Request, Result, WorkingHours, forget_kept, near_misses, search, who_blocks
from booking.search.schedules import ViewGrid, person_from_schedule
from integrations.microsoft import parse
from integrations.microsoft.timezones import zone_from_graph
from integrations.microsoft.types import Schedule

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday; the 60-day window crosses both daylight-saving changes
INTERVAL = 15
MEASURE_SECONDS = 0.25  # of CPU time, at the least, for each figure of a small search (`_best_of`)
REQUIRED_AT_MOST = 10
LARGEST = 20  # required people in the product's largest search: the organizer and 19 colleagues
EASTERN_CUSTOM = {
    "@odata.type": "#microsoft.graph.customTimeZone",
    "bias": 300,
    "name": "Customized Time Zone",
    "standardOffset": {"time": "02:00:00.0000000", "dayOccurrence": 1, "dayOfWeek": "sunday", "month": 11, "year": 0},
    "daylightOffset": {
        "time": "02:00:00.0000000",
        "dayOccurrence": 2,
        "dayOfWeek": "sunday",
        "month": 3,
        "year": 0,
        "daylightBias": -60,
    },
}
ZONES: list[dict[str, Any]] = [
    {"name": "W. Europe Standard Time"},
    {"name": "GMT Standard Time"},
    EASTERN_CUSTOM,
    {"name": "Asia/Calcutta"},
]
DAYS_OF_WEEK = ["monday", "tuesday", "wednesday", "thursday", "friday"]


def _zone_for(index: int) -> dict[str, Any]:
    # Required people work in Europe and New York (their days overlap); Kolkata is among the optional.
    return ZONES[index % 4] if index >= REQUIRED_AT_MOST or index % 4 != 3 else ZONES[index % 3]


def _graph_time(instant: datetime) -> dict[str, str]:
    return {"dateTime": instant.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def _meetings(rng: random.Random, tz: tzinfo, days: int) -> list[tuple[datetime, datetime, str]]:
    meetings = []
    for offset in range(days):
        day = (START + timedelta(days=offset)).date()
        if day.weekday() >= 5:
            continue
        if rng.random() < 0.03:
            meetings.append((_at(day, 0, tz), _at(day + timedelta(days=1), 0, tz), "oof"))
            continue
        meetings.append((_at(day, 9 * 60 + 30, tz), _at(day, 9 * 60 + 45, tz), "busy"))
        for _ in range(rng.randint(2, 5)):
            begin = rng.randrange(8 * 60, 18 * 60, 15)
            status = rng.choices(["busy", "tentative", "oof", "free"], [75, 15, 3, 7])[0]
            meetings.append((_at(day, begin, tz), _at(day, begin + rng.choice([30, 30, 45, 60, 90]), tz), status))
    return sorted(meetings)


def _at(day: date, minutes: int, tz: tzinfo) -> datetime:
    local = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def _view(meetings: list[tuple[datetime, datetime, str]], days: int) -> str:
    cells = [0] * (days * 24 * 60 // INTERVAL)
    digit = {"free": 0, "tentative": 1, "busy": 2, "oof": 3}
    for begin, end, status in meetings:
        first = max(int((begin - START).total_seconds()) // 60 // INTERVAL, 0)
        last = min(-(-int((end - START).total_seconds()) // 60 // INTERVAL), len(cells))
        for cell in range(first, last):
            cells[cell] = max(cells[cell], digit[status])
    return "".join(map(str, cells))


def reply(people: int, days: int, seed: int = 7) -> bytes:
    """A getSchedule reply for `people` mailboxes over `days` days, as Graph would send it."""
    rng = random.Random(seed)
    value = []
    for index in range(people):
        zone = _zone_for(index)
        meetings = _meetings(rng, zone_from_graph(zone), days)
        items = [
            {
                "isPrivate": False,
                "status": status,
                "subject": f"Meeting {n}",
                "location": "Room 4",
                "start": _graph_time(begin),
                "end": _graph_time(end),
            }
            for n, (begin, end, status) in enumerate(meetings)
        ]
        value.append(
            {
                "scheduleId": f"person{index}@contoso.example",
                "availabilityView": _view(meetings, days),
                "scheduleItems": items,
                "workingHours": {
                    "daysOfWeek": DAYS_OF_WEEK,
                    "startTime": "09:00:00.0000000",
                    "endTime": "17:30:00.0000000" if index % 2 else "17:00:00.0000000",
                    "timeZone": zone,
                },
            }
        )
    context = "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)"
    return json.dumps({"@odata.context": context, "value": value}).encode()


def read(body: bytes) -> list[Schedule]:
    """What Overlap's client does with the reply: json.loads, then the parser, schedule by schedule."""
    return [parse.schedule(item) for item in json.loads(body)["value"]]


def find(schedules: list[Schedule], days: int, required: int = REQUIRED_AT_MOST) -> Result:
    """The schedules as the engine's people, and the search (organizer = person 0, then who is required)."""
    return search(*inputs(schedules, days, required))


def hard(schedules: list[Schedule], days: int, required: int = REQUIRED_AT_MOST) -> None:
    """What a search with no time adds: who blocks each day, and the near misses."""
    people, request = inputs(schedules, days, required)
    who_blocks(people, request)
    near_misses(people, request, durations=range(15, 121, 15))


def inputs(schedules: list[Schedule], days: int, required: int) -> tuple[list[Person], Request]:
    default = WorkingHours(frozenset(range(5)), time(9), time(17), UTC)
    view = ViewGrid(START, timedelta(minutes=INTERVAL))
    people: list[Person] = [
        person_from_schedule(
            schedule,
            person_id=schedule.address,
            name=f"Person {index}",
            required=index < required,
            default_hours=default,
            view=view,
        )
        for index, schedule in enumerate(schedules)
    ]
    request = Request(
        start=START,
        end=START + timedelta(days=days),
        duration=timedelta(minutes=30),
        now=START - timedelta(days=1),
        granularity=timedelta(minutes=INTERVAL),
        buffer_before=timedelta(minutes=5),
        buffer_after=timedelta(minutes=5),
        you=people[0].id,
    )
    return people, request


def _best_of(repeat: int, call: Callable[[], object], *, cold: bool = False) -> float:
    """The fastest of at least `repeat` runs, and of as many more as a quarter of a second of CPU time holds (at
    most 200): a search of a millisecond is otherwise judged on five samples of a busy machine."""
    return _best_of_each(repeat, [(call, cold)])[0]


def _best_of_each(repeat: int, calls: list[tuple[Callable[[], object], bool]]) -> list[float]:
    """The fastest run of each call (each with whether to forget what the engine keeps first), the calls taken in
    turn, a round at a time: at least `repeat` rounds, and as many more as a quarter of a second of CPU time a call
    holds (at most 200). A ratio's two sides thus see the same moments of the machine: measured one after the
    other, a machine that slowed for a second made one side slow and a ratio of 0.8 read 1.2."""
    timings: list[list[float]] = [[] for _ in calls]
    while len(timings[0]) < repeat or (sum(map(sum, timings)) < MEASURE_SECONDS * len(calls) and len(timings[0]) < 200):
        for (call, cold), taken in zip(calls, timings, strict=True):
            if cold:
                forget_kept()
            began = clock.process_time()
            call()
            taken.append(clock.process_time() - began)
    return [min(taken) for taken in timings]


def measure(people: int, days: int, required: int, repeat: int, *, cold: bool = False) -> dict[str, Any]:
    body = reply(people, days)
    schedules = read(body)
    result = find(schedules, days, required)

    def with_words() -> None:
        for slot in find(schedules, days, required).slots:
            _ = slot.summary

    reading, searching, wording = _best_of_each(
        repeat, [(lambda: read(body), False), (lambda: find(schedules, days, required), cold), (with_words, cold)]
    )
    hardest = _best_of(repeat, lambda: hard(schedules, days, required), cold=cold)
    return {
        "people": people,
        "days": days,
        "required": required,
        "reply_kb": len(body) // 1024,
        "items": sum(len(s.items) for s in schedules),
        "slots": len(result.slots),
        "read_ms": reading * 1000,
        "search_ms": searching * 1000,
        "ratio": searching / reading,
        "words_ms": wording * 1000,
        "words_ratio": wording / reading,
        "hard_ms": hardest * 1000,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--large", action="store_true", help="only the largest searches the product allows")
    parser.add_argument("--cold", action="store_true", help="forget what the engine keeps before every run")
    args = parser.parse_args(argv)
    header = "people days required reply_KB items slots  read_ms search_ms ratio  words_ms ratio_w  hard_ms"
    print(header)
    cases = [(people, days, min(people, REQUIRED_AT_MOST)) for people in (2, 20, 100) for days in (14, 60)]
    cases += [(people, days, 2) for people in (5, 20, 100) for days in (14, 60)]  # two required, more optional
    large = [(people, days, LARGEST) for people in (LARGEST, 2 * LARGEST) for days in (14, 60)]
    cases = large if args.large else cases + large
    for people, days, required in cases:
        row = measure(people, days, required, args.repeat, cold=args.cold)
        print(
            f"{row['people']:>6} {row['days']:>4} {row['required']:>8} {row['reply_kb']:>8} {row['items']:>5}"
            f" {row['slots']:>5} {row['read_ms']:>8.1f} {row['search_ms']:>9.1f} {row['ratio']:>5.2f}"
            f" {row['words_ms']:>9.1f} {row['words_ratio']:>7.2f} {row['hard_ms']:>8.1f}"
        )


if __name__ == "__main__":
    main()
