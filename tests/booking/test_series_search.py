"""A weekly series searched against the emulator across the March 2027 clock changes: the horizon read once (one
$batch of three getSchedule windows), every occurrence judged, the clashes and the colleague's clock shift told."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine

from booking.engine.recurrence import Recurrence
from booking.engine.series import Problem
from booking.search.availability import horizon_windows
from booking.search.series import series_search
from m365_emulator.testing import EmulatorProcess
from tests.booking.series_world import NOW, london_and_new_york
from tests.booking.world import connected, event, member, plant, schedule_calls, search_page
from tests.conftest import Org, signed_in

TUESDAYS = Recurrence("weekly", date(2027, 3, 1), days=frozenset({1}), count=26)  # 2 March .. 24 August


@pytest.fixture(params=["domain_wide", "delegated"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_horizon_is_cut_into_as_few_windows_under_62_days_as_it_needs() -> None:
    start = datetime(2027, 3, 1, tzinfo=UTC)
    assert len(horizon_windows(start, start + timedelta(days=61))) == 1
    assert len(horizon_windows(start, start + timedelta(days=62))) == 2
    windows = horizon_windows(start, start + timedelta(weeks=26))
    assert len(windows) == 3 and all(end - begin < timedelta(days=62) for begin, end in windows)
    assert [w[0] for w in windows[1:]] == [w[1] for w in windows[:-1]]  # back to back


def test_a_weekly_series_is_judged_on_all_26_tuesdays_across_both_clock_changes(
    org: Org, emulator_settings: EmulatorProcess, mode: str
) -> None:
    with time_machine.travel(NOW, tick=True):
        oliver, alex = london_and_new_york(org, emulator_settings, mode)
        # Out of office 15:00-17:00 London time on 13 April; a weekly meeting of his own at 10:00 New York time
        # on three Tuesdays in May (a series: getSchedule must give each occurrence).
        plant(
            emulator_settings,
            alex.user.email,
            event(datetime(2027, 4, 13, 14, tzinfo=UTC), 120, "Dentist", showAs="oof"),
        )
        weekly = {
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["Tuesday"]},
            "range": {"type": "numbered", "startDate": "2027-05-04", "numberOfOccurrences": 3},
        }
        plant(
            emulator_settings,
            alex.user.email,
            event(datetime(2027, 5, 4, 14, tzinfo=UTC), 60, "Sync", recurrence=weekly),
        )
        since = emulator_settings.last_seq()

        answer = series_search(organizer=oliver, required=[alex], optional=[], minutes=60, recurrence=TUESDAYS)

    assert not answer.failed, answer.failed
    log = [e for e in emulator_settings.log(since) if e["path"].startswith("/v1.0")]
    assert [e["path"] for e in log if e["batch"] is None] == ["/v1.0/$batch"]  # one HTTP request...
    assert sum(e["path"].endswith("/calendar/getSchedule") for e in log) == 3 == answer.windows  # ...of 3 windows
    best = answer.times[0]
    assert best.fits and best.at == time(14) and len(best.starts) == 26  # 09:00 in New York
    assert [(s.name, s.day, s.before, s.now) for s in best.shifts] == [
        ("Alex Wilber", date(2027, 3, 16), time(9), time(10)),  # New York changed on 14 March, London not yet
        ("Alex Wilber", date(2027, 3, 30), time(10), time(9)),  # London changed on 28 March
    ]
    three = next(t for t in answer.times if t.at == time(15))
    assert [(c.day, c.problems) for c in three.clashes] == [
        (date(2027, 4, 13), (Problem("Alex Wilber", "out of office"),)),
        (date(2027, 5, 4), (Problem("Alex Wilber", "busy"),)),
        (date(2027, 5, 11), (Problem("Alex Wilber", "busy"),)),
        (date(2027, 5, 18), (Problem("Alex Wilber", "busy"),)),
    ]


def _series_query(**fields: str) -> dict[str, Any]:
    return {"repeats": "weekly", "ends": "count", "occurrences": "26", **fields}


def test_the_booking_page_lists_series_times_with_their_clashes_and_the_colleagues_clock_shift(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    with time_machine.travel(NOW, tick=True):
        oliver, alex = london_and_new_york(org, emulator_settings)
        plant(
            emulator_settings,
            alex.user.email,
            event(datetime(2027, 4, 13, 14, tzinfo=UTC), 120, "Dentist", showAs="oof"),
        )
        client = signed_in(oliver.user)
        page, starts = search_page(
            client, org, required=[alex], minutes=60, days=(date(2027, 3, 2), date(2027, 3, 5)), **_series_query()
        )

    text = html.unescape(page)
    assert "Weekly on Tuesday, 26 times, until Aug 24, 2027" in text
    assert "14:00-15:00" in text and "works all 26 times" in text
    assert "from Mar 16 this is 10:00\xa0AM for Alex Wilber, not 9:00\xa0AM" in text
    assert "1 of 26 clashes: Apr 13 Alex Wilber out of office" in text
    assert datetime(2027, 3, 2, 14, tzinfo=UTC) in starts  # each link books from the first Tuesday
    assert "repeats=weekly" in text and "occurrences=26" in text


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"repeats": "yearly"}, "Select a valid choice"),
        ({"repeats": "weeks"}, "Every N weeks: say how many weeks apart (2 to 8)."),
        ({"occurrences": "27"}, "A series is searched at most 26 weeks ahead (to Aug 30, 2027)"),
        ({"ends": "until", "until": "2027-02-01"}, "The series ends before its first day."),
        ({"ends": "", "occurrences": ""}, "Say when the series ends"),
        ({"ends": "count", "occurrences": "0"}, "greater than or equal to 1"),
        ({"until": "not a date", "ends": "until"}, "Enter a valid date."),
    ],
)
def test_a_bad_series_is_refused_with_a_clear_message_and_nothing_is_searched(
    org: Org, emulator_settings: EmulatorProcess, fields: dict[str, str], problem: str
) -> None:
    with time_machine.travel(NOW, tick=True):
        oliver = connected(org, emulator_settings, "domain_wide", organizer="Oliver Smith")
        alex = member(org, "Alex Wilber")
        since = emulator_settings.last_seq()
        page, starts = search_page(
            signed_in(oliver.user), org, required=[alex], minutes=60, days=(date(2027, 3, 2), date(2027, 3, 5)),
            **_series_query(**fields),
        )  # fmt: skip

    assert "Nothing was searched" in page and problem in html.unescape(page), page
    assert not starts and schedule_calls(emulator_settings, since) == 0


def test_a_time_whose_first_occurrences_are_too_soon_is_offered_as_the_series_from_the_next_one(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    """Searched on the series' first Tuesday at 14:30 London time: 14:00 that day has passed, and the confirmation
    refuses a start that has. The page offers that time as the series from the next Tuesday, one time fewer; when
    every time listed does so, it says it once above them."""
    with time_machine.travel(NOW, tick=True):
        oliver, alex = london_and_new_york(org, emulator_settings)
    days = (date(2027, 3, 2), date(2027, 3, 5))
    with time_machine.travel(datetime(2027, 3, 2, 14, 30, tzinfo=UTC), tick=True):
        client = signed_in(oliver.user)
        page, starts = search_page(client, org, required=[alex], minutes=60, days=days, **_series_query())
        text = html.unescape(page)
        link = re.search(r'href="([^"]*/book/confirm\?start=2027-03-09T14%3A00%3A00Z[^"]*)"', text)
        confirm = client.get(link[1]) if link else None
    with time_machine.travel(datetime(2027, 3, 2, 16, 10, tzinfo=UTC), tick=True):
        late_page, _ = search_page(client, org, required=[alex], minutes=60, days=days, **_series_query())

    assert "works all 26 times" in text and "starts Mar 9: too soon on Mar 2" in text, text
    assert all(start > datetime(2027, 3, 2, 14, 30, tzinfo=UTC) for start in starts)  # no link is refused
    assert link and "occurrences=25" in link[1] and "skip=" not in link[1]
    assert confirm is not None and confirm.status_code == 200
    shown = html.unescape(confirm.content.decode())
    assert "Book this series" in shown and "Weekly on Tuesday, 25 times, until Aug 24, 2027" in shown
    late = html.unescape(late_page)
    assert "Too soon on Mar 2: every series below starts Mar 9." in late and "starts Mar 9:" not in late
    assert "works all 25 times" in late and "works all 26 times" not in late


def test_a_series_that_starts_a_week_later_names_only_the_clock_changes_it_meets(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    """Searched late on Tuesday 9 March, two days after New York's change: the series booked starts on 16 March,
    at 10:00 for Alex from its first time, so only London's change (30 March) moves it for him."""
    with time_machine.travel(NOW, tick=True):
        oliver, alex = london_and_new_york(org, emulator_settings)
    with time_machine.travel(datetime(2027, 3, 9, 17, 30, tzinfo=UTC), tick=True):
        page, _ = search_page(
            signed_in(oliver.user), org, required=[alex], minutes=60, days=(date(2027, 3, 9), date(2027, 3, 12)),
            **_series_query(occurrences="6"),
        )  # fmt: skip

    text = html.unescape(page)
    assert "every series below starts Mar 16" in text and "works all 5 times" in text, text
    assert "from Mar 30 this is 9:00\xa0AM for Alex Wilber, not 10:00\xa0AM" in text
    assert "from Mar 16" not in text
