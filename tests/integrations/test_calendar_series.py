"""A series Overlap booked, as booking reads and changes it through the calendars facade, in both modes: only
the series' own instances are read; one occurrence moved or cancelled and the series ended reach both mailboxes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from accounts.models import Membership
from integrations import calendars
from integrations.calendars import CalendarError, Event, NewAttendee, NewEvent, SeriesRule
from integrations.models import Connection
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.test_calendars import ADELE, MEGAN, graph_calls, megan_in

PACIFIC = "Pacific Standard Time"
FIRST = datetime(2027, 3, 2, 17, tzinfo=UTC)  # a Tuesday, 09:00 for Megan in Pacific time
HORIZON = {"lo": datetime(2027, 3, 1, tzinfo=UTC), "hi": datetime(2027, 6, 1, tzinfo=UTC)}
SERIES = "6e2a1c0d-0000-4000-8000-00000000e001"


@pytest.fixture(params=["domain_wide", "delegated"])
def organizer(request: pytest.FixtureRequest, org: Org, emulator_settings: EmulatorProcess) -> Membership:
    return megan_in(org, emulator_settings, request.param)


def booked(organizer: Membership) -> Event:
    """Eight Tuesdays at 09:00 in Megan's zone, Adele invited."""
    rule = SeriesRule(
        pattern="weekly", interval=1, start_date=date(2027, 3, 2), time_zone=PACIFIC, days_of_week=("tuesday",),
        occurrences=8,
    )  # fmt: skip
    new = NewEvent(
        subject="Megan / Adele, weekly",
        start=FIRST,
        end=FIRST + timedelta(minutes=30),
        attendees=(NewAttendee(ADELE, "Adele Vance"),),
        transaction_id=SERIES,
        recurrence=rule,
    )
    return calendars.event_create(organizer=organizer, new=new)


def adeles_days(emulator: EmulatorProcess, ical_uid: str | None) -> list[str]:
    path = f"/tenants/{emulator.tenant_id}/mailboxes/{ADELE}/events?start=2027-03-01T00:00:00Z&end=2027-06-01T00:00:00Z"
    [copy] = [e for e in emulator.control("GET", path)["value"] if e["iCalUId"] == ical_uid]
    occurrences: list[dict[str, Any]] = copy["occurrences"]
    return [o["start"][:10] for o in occurrences]


def tuesdays(*skipped: int) -> list[str]:
    return [(date(2027, 3, 2) + timedelta(weeks=n)).isoformat() for n in range(8) if n not in skipped]


def test_it_reads_only_the_instances_of_its_own_series_in_the_organizations_mode(
    organizer: Membership, emulator_settings: EmulatorProcess
) -> None:
    series = booked(organizer)
    since = emulator_settings.last_seq()

    found = calendars.series_occurrences(organizer=organizer, event_id=series.id, **HORIZON)

    assert [o.start.date().isoformat() for o in found] == tuesdays()
    assert found[0].start == FIRST and found[-1].start == datetime(2027, 4, 20, 16, tzinfo=UTC)  # summer time
    assert {o.series_master_id for o in found} == {series.id}
    [call] = graph_calls(emulator_settings, since)
    delegated = Connection.objects.get(organization=organizer.organization).mode == Connection.Mode.DELEGATED
    mailbox = "me" if delegated else f"users/{emulator_settings.user_id(MEGAN)}"  # an object id, never an address
    assert call["path"] == f"/v1.0/{mailbox}/events/{series.id}/instances"
    assert call["token_kind"] == ("delegated" if delegated else "app")


def test_a_moved_and_a_cancelled_occurrence_reach_the_colleagues_calendar(
    organizer: Membership, emulator_settings: EmulatorProcess
) -> None:
    series = booked(organizer)
    first, second = calendars.series_occurrences(organizer=organizer, event_id=series.id, **HORIZON)[:2]

    moved = calendars.occurrence_move(
        organizer=organizer,
        occurrence_id=first.id,
        start=first.start + timedelta(hours=2),
        end=first.end + timedelta(hours=2),
    )
    calendars.occurrence_cancel(organizer=organizer, occurrence_id=second.id, comment="Away that week")

    assert (moved.kind, moved.start, moved.original_start) == ("exception", FIRST + timedelta(hours=2), FIRST)
    after = calendars.series_occurrences(organizer=organizer, event_id=series.id, **HORIZON)
    assert [o.start.date().isoformat() for o in after] == tuesdays(1)
    assert adeles_days(emulator_settings, series.ical_uid) == tuesdays(1)


def test_a_move_onto_a_neighbours_day_is_a_permanent_error_that_changes_nothing(
    organizer: Membership, emulator_settings: EmulatorProcess
) -> None:
    series = booked(organizer)
    first = calendars.series_occurrences(organizer=organizer, event_id=series.id, **HORIZON)[0]

    with pytest.raises(CalendarError) as refused:
        calendars.occurrence_move(
            organizer=organizer,
            occurrence_id=first.id,
            start=first.start + timedelta(days=7),
            end=first.end + timedelta(days=7),
        )

    assert (refused.value.code, refused.value.permanent) == ("ErrorOccurrenceCrossingBoundary", True)
    assert {o.kind for o in calendars.series_occurrences(organizer=organizer, event_id=series.id, **HORIZON)} == {
        "occurrence"
    }


def test_ending_the_series_leaves_the_occurrences_until_that_day_in_both_calendars(
    organizer: Membership, emulator_settings: EmulatorProcess
) -> None:
    series = booked(organizer)

    ended = calendars.series_end(organizer=organizer, event_id=series.id, last_day=date(2027, 3, 23))

    assert ended.id == series.id
    kept = calendars.series_occurrences(organizer=organizer, event_id=series.id, **HORIZON)
    assert [o.start.date().isoformat() for o in kept] == tuesdays(4, 5, 6, 7)
    assert adeles_days(emulator_settings, series.ical_uid) == tuesdays(4, 5, 6, 7)


def test_an_unknown_series_is_gone(organizer: Membership) -> None:
    with pytest.raises(CalendarError) as missing:
        calendars.series_occurrences(organizer=organizer, event_id="AAMkAGnothingAAA=", **HORIZON)

    assert missing.value.gone and missing.value.permanent


def test_several_series_are_read_in_one_batch_and_a_gone_one_does_not_hide_the_others(
    organizer: Membership, emulator_settings: EmulatorProcess
) -> None:
    series = booked(organizer)
    window = (HORIZON["lo"], HORIZON["hi"])
    since = emulator_settings.last_seq()

    found = calendars.series_occurrences_of(organizer=organizer, wanted={series.id: window, "AAMkAGgoneAAA=": window})

    ours, gone = found[series.id], found["AAMkAGgoneAAA="]
    assert isinstance(ours, list) and [o.start.date().isoformat() for o in ours] == tuesdays()
    assert isinstance(gone, CalendarError) and gone.gone
    [call] = graph_calls(emulator_settings, since)
    assert call["path"] == "/v1.0/$batch"
