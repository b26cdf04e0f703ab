"""A series Overlap created, read and changed occurrence by occurrence through the Graph client: its instances
(by the series' id, a few fields, every page, long horizons batched), one occurrence moved or cancelled, the
series ended on a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from integrations.microsoft.client import GraphClient
from integrations.microsoft.errors import BadRequest
from integrations.microsoft.types import NewAttendee, NewEvent, SeriesRule
from m365_emulator.testing import EmulatorProcess
from tests.microsoft.conftest import ADELE, MEGAN, graph_calls

EUROPE = "W. Europe Standard Time"
FIRST = datetime(2027, 3, 2, 9, tzinfo=UTC)  # a Tuesday, 10:00 in Berlin (Adele's zone)
HORIZON = (datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 9, 1, tzinfo=UTC))


def weekly(count: int = 10) -> NewEvent:
    rule = SeriesRule(
        pattern="weekly", interval=1, start_date=FIRST.date(), time_zone=EUROPE, days_of_week=("tuesday",),
        occurrences=count,
    )  # fmt: skip
    return NewEvent(
        subject="Adele / Megan, weekly",
        start=FIRST,
        end=FIRST + timedelta(minutes=30),
        attendees=(NewAttendee(MEGAN, "Megan Bowen"),),
        transaction_id="0c9e4f1a-0000-4000-8000-00000000s001",
        recurrence=rule,
    )


def tuesdays(count: int) -> list[date]:
    return [FIRST.date() + timedelta(weeks=n) for n in range(count)]


def megans_occurrences(emulator: EmulatorProcess, ical_uid: str | None) -> list[dict[str, Any]]:
    path = f"/tenants/{emulator.tenant_id}/mailboxes/{MEGAN}/events?start=2027-03-01T00:00:00Z&end=2027-09-01T00:00:00Z"
    [copy] = [e for e in emulator.control("GET", path)["value"] if e["iCalUId"] == ical_uid]
    return list(copy["occurrences"])


def test_it_reads_the_occurrences_of_its_own_series_sorted_with_a_few_fields(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    series = graph.create_event(ADELE, weekly())
    since = emulator.last_seq()

    found = graph.series_instances(ADELE, series.id, *HORIZON)

    assert [o.start.date() for o in found] == tuesdays(10)
    assert {(o.series_master_id, o.kind) for o in found} == {(series.id, "occurrence")}
    assert found[0].original_start == FIRST and found[-1].start == datetime(2027, 5, 4, 8, tzinfo=UTC)  # summer
    assert found[0].end - found[0].start == timedelta(minutes=30)
    assert [(a.address, a.response) for a in found[0].attendees] == [(MEGAN, "none")]
    [call] = graph_calls(emulator, since)
    assert call["path"] == f"/v1.0/users/{ADELE}/events/{series.id}/instances"
    assert call["query"]["$select"] == ["id,seriesMasterId,originalStart,type,start,end,attendees"]


def test_every_page_is_followed(graph: GraphClient, emulator: EmulatorProcess) -> None:
    series = graph.create_event(ADELE, weekly(25))
    since = emulator.last_seq()

    found = graph.series_instances(ADELE, series.id, HORIZON[0], datetime(2028, 1, 1, tzinfo=UTC))

    assert [o.start.date() for o in found] == tuesdays(25)
    assert len(graph_calls(emulator, since)) == 3  # Graph's pages of 10


def test_a_horizon_longer_than_graph_accepts_is_read_in_windows_in_one_batch(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    series = graph.create_event(ADELE, weekly())
    since = emulator.last_seq()

    found = graph.series_instances(ADELE, series.id, datetime(2025, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))

    assert [o.start.date() for o in found] == tuesdays(10)
    [call] = graph_calls(emulator, since)
    assert call["path"] == "/v1.0/$batch"
    assert len([e for e in graph_calls(emulator, since, batched=True) if e["path"].endswith("/instances")]) == 2


def test_a_moved_occurrence_comes_back_as_an_exception_and_stays_one(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    series = graph.create_event(ADELE, weekly())
    third = graph.series_instances(ADELE, series.id, *HORIZON)[2]
    since = emulator.last_seq()

    moved = graph.move_occurrence(ADELE, third.id, third.start + timedelta(days=1), third.end + timedelta(days=1))

    assert (moved.id, moved.kind, moved.original_start) == (third.id, "exception", third.original_start)
    [patch] = graph_calls(emulator, since)
    assert set(patch["body"]) == {"start", "end"}
    again = graph.series_instances(ADELE, series.id, *HORIZON)
    assert [o.kind for o in again].count("exception") == 1 and again[2].start == third.start + timedelta(days=1)
    assert megans_occurrences(emulator, series.ical_uid)[2]["type"] == "exception"


def test_moving_an_occurrence_onto_its_neighbours_day_is_refused(graph: GraphClient) -> None:
    series = graph.create_event(ADELE, weekly())
    third = graph.series_instances(ADELE, series.id, *HORIZON)[2]

    with pytest.raises(BadRequest) as refused:
        graph.move_occurrence(ADELE, third.id, third.start + timedelta(days=7), third.end + timedelta(days=7))

    assert refused.value.code == "ErrorOccurrenceCrossingBoundary"


def test_a_cancelled_occurrence_is_gone_from_both_calendars(graph: GraphClient, emulator: EmulatorProcess) -> None:
    series = graph.create_event(ADELE, weekly())
    second = graph.series_instances(ADELE, series.id, *HORIZON)[1]

    graph.cancel_event(ADELE, second.id, "Away that week")

    assert second.id not in {o.id for o in graph.series_instances(ADELE, series.id, *HORIZON)}
    assert [o["start"][:10] for o in megans_occurrences(emulator, series.ical_uid)] == [
        d.isoformat() for d in tuesdays(10) if d != tuesdays(10)[1]
    ]


def test_ending_the_series_sends_its_whole_recurrence_with_a_new_end(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    series = graph.create_event(ADELE, weekly())
    since = emulator.last_seq()

    ended = graph.end_series(ADELE, series.id, date(2027, 3, 23))

    get, patch = graph_calls(emulator, since)
    assert ended.id == series.id
    assert [o.start.date() for o in graph.series_instances(ADELE, series.id, *HORIZON)] == tuesdays(4)
    assert len(megans_occurrences(emulator, series.ical_uid)) == 4
    assert (get["method"], get["query"]["$select"], patch["method"]) == ("GET", ["recurrence"], "PATCH")
    assert patch["body"] == {
        "recurrence": {
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["tuesday"], "firstDayOfWeek": "sunday"},
            "range": {"type": "endDate", "startDate": "2027-03-02", "endDate": "2027-03-23",
                      "recurrenceTimeZone": EUROPE},
        }
    }  # fmt: skip


def test_ending_an_event_that_is_no_series_is_refused_before_any_change(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    single = graph.create_event(ADELE, NewEvent(subject="Once", start=FIRST, end=FIRST + timedelta(minutes=30)))
    since = emulator.last_seq()

    with pytest.raises(BadRequest):
        graph.end_series(ADELE, single.id, date(2027, 3, 23))

    assert [c["method"] for c in graph_calls(emulator, since)] == ["GET"]


def test_a_colleagues_answer_to_one_occurrence_is_read_on_that_occurrence(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    series = graph.create_event(ADELE, weekly())
    theirs = megans_occurrences(emulator, series.ical_uid)[0]["id"]
    emulator.control("POST", f"/tenants/{emulator.tenant_id}/mailboxes/{MEGAN}/events/{theirs}/respond",
                     {"response": "declined"})  # fmt: skip

    first, second = graph.series_instances(ADELE, series.id, *HORIZON)[:2]

    megan = first.attendee(MEGAN)
    assert megan is not None and megan.response == "declined" and megan.response_time is not None
    assert second.attendee(MEGAN) is not None and second.attendee(MEGAN).response == "none"  # type: ignore[union-attr]
