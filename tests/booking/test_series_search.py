"""A weekly series searched against the emulator across the March 2027 clock changes: the horizon read once (one
$batch of three getSchedule windows), every occurrence judged, the clashes and the colleague's clock shift told."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from booking.engine.recurrence import Recurrence
from booking.engine.series import Problem
from booking.search.series import horizon_windows, series_search
from m365_emulator.testing import EmulatorProcess
from tests.booking.world import connected, event, member, plant, set_zone
from tests.conftest import Org

NOW = datetime(2027, 2, 22, 9, tzinfo=UTC)
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
        oliver = connected(org, emulator_settings, mode, organizer="Oliver Smith")  # London, 09:00-17:00
        alex = member(org, "Alex Wilber")  # New York, 09:00-17:00
        set_zone(oliver, "Europe/London")
        for person in (oliver, alex):
            emulator_settings.clear(
                person.user.email, datetime(2027, 2, 26, tzinfo=UTC), datetime(2027, 9, 1, tzinfo=UTC)
            )
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
