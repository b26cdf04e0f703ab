"""Recurring series as Exchange keeps them, over real HTTPS: all-day days across daylight saving, moves sent in
another zone, and Graph's monthly and yearly patterns (recurrencePattern / recurrenceRange in Graph's reference)."""

from __future__ import annotations

from typing import Any

from m365_emulator.testing import EmulatorProcess
from tests.emulator.calendar_support import (
    CONTOSO,
    consented_app_token,
    empty_mailbox,
    occurrences,
    post_event,
    schedule_items,
)
from tests.emulator.helpers import graph

EASTERN, PACIFIC = "Eastern Standard Time", "Pacific Standard Time"


def _series(start: str, end: str, zone: str, pattern: dict[str, Any], rng: dict[str, Any], **fields: Any) -> dict:
    return {
        "subject": fields.pop("subject", "Series"),
        "start": {"dateTime": start, "timeZone": zone},
        "end": {"dateTime": end, "timeZone": zone},
        "recurrence": {"pattern": pattern, "range": {"recurrenceTimeZone": zone, **rng}},
        **fields,
    }


def _create(emulator: EmulatorProcess, token: str, mailbox: str, body: dict[str, Any]) -> dict[str, Any]:
    response = post_event(emulator, token, mailbox, body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _dates(emulator: EmulatorProcess, mailbox: str, event_id: str, start: str, end: str) -> list[str]:
    return [s[:10] for s, _ in occurrences(emulator, mailbox, event_id, start, end)]


def test_an_all_day_series_runs_from_local_midnight_to_local_midnight_on_the_23_hour_day(
    emulator: EmulatorProcess,
) -> None:
    token = consented_app_token(emulator)
    mailbox = empty_mailbox(emulator, "allday.spring", EASTERN)
    body = _series(
        "2027-03-13T00:00:00", "2027-03-14T00:00:00", EASTERN,
        {"type": "daily", "interval": 1}, {"type": "numbered", "startDate": "2027-03-13", "numberOfOccurrences": 3},
        isAllDay=True, showAs="oof",
    )  # fmt: skip
    event = _create(emulator, token, mailbox, body)
    expected = [
        ("2027-03-13T05:00:00Z", "2027-03-14T05:00:00Z"),
        ("2027-03-14T05:00:00Z", "2027-03-15T04:00:00Z"),  # the day the clocks go forward has 23 hours
        ("2027-03-15T04:00:00Z", "2027-03-16T04:00:00Z"),
    ]
    assert occurrences(emulator, mailbox, event["id"], "2027-03-10T00:00:00Z", "2027-03-20T00:00:00Z") == expected
    items = schedule_items(emulator, token, mailbox, "2027-03-10T00:00:00", "2027-03-20T00:00:00")
    assert [(i["start"]["dateTime"][:19] + "Z", i["end"]["dateTime"][:19] + "Z") for i in items] == expected


def test_the_last_hour_of_an_all_day_out_of_office_on_the_25_hour_day_is_not_free(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    mailbox = empty_mailbox(emulator, "allday.autumn", EASTERN)
    body = _series(
        "2027-11-06T00:00:00", "2027-11-07T00:00:00", EASTERN,
        {"type": "daily", "interval": 1}, {"type": "endDate", "startDate": "2027-11-06", "endDate": "2027-11-07"},
        isAllDay=True, showAs="oof",
    )  # fmt: skip
    _create(emulator, token, mailbox, body)
    # 2027-11-07 runs from 04:00Z to 05:00Z the next day: 25 hours, the last one from 04:00Z to 05:00Z.
    response = graph(emulator, "POST", f"/users/{mailbox}/calendar/getSchedule", token, json={
        "schedules": [mailbox], "availabilityViewInterval": 60,
        "startTime": {"dateTime": "2027-11-08T03:00:00", "timeZone": "UTC"},
        "endTime": {"dateTime": "2027-11-08T06:00:00", "timeZone": "UTC"},
    })  # fmt: skip
    assert response.json()["value"][0]["availabilityView"] == "330"


def test_a_series_moved_with_times_sent_in_utc_stays_on_its_days(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    mailbox = empty_mailbox(emulator, "evening.patch", PACIFIC)
    body = _series(
        "2027-01-06T20:00:00", "2027-01-06T21:00:00", PACIFIC,
        {"type": "daily", "interval": 1}, {"type": "noEnd", "startDate": "2027-01-06"},
    )  # fmt: skip
    event = _create(emulator, token, mailbox, body)
    moved = {
        "start": {"dateTime": "2027-01-07T05:00:00", "timeZone": "UTC"},  # 21:00 Pacific on the 6th
        "end": {"dateTime": "2027-01-07T06:00:00", "timeZone": "UTC"},
    }
    response = graph(emulator, "PATCH", f"/users/{mailbox}/events/{event['id']}", token, json=moved)
    assert response.status_code == 200, response.text
    assert response.json()["recurrence"]["range"]["startDate"] == "2027-01-06"
    assert response.json()["recurrence"]["range"]["recurrenceTimeZone"] == PACIFIC
    found = occurrences(emulator, mailbox, event["id"], "2027-01-06T00:00:00Z", "2027-01-09T00:00:00Z")
    assert found == [
        ("2027-01-07T05:00:00Z", "2027-01-07T06:00:00Z"),
        ("2027-01-08T05:00:00Z", "2027-01-08T06:00:00Z"),
    ]


def test_a_series_the_organizer_moves_in_outlook_by_utc_times_stays_on_its_days(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    mailbox = empty_mailbox(emulator, "evening.move", PACIFIC)
    body = _series(
        "2027-01-06T20:00:00", "2027-01-06T21:00:00", PACIFIC,
        {"type": "daily", "interval": 1}, {"type": "numbered", "startDate": "2027-01-06", "numberOfOccurrences": 2},
    )  # fmt: skip
    event = _create(emulator, token, mailbox, body)
    moved = {
        "start": {"dateTime": "2027-01-07T05:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2027-01-07T06:00:00", "timeZone": "UTC"},
    }
    described = emulator.control("POST", f"/tenants/{CONTOSO}/mailboxes/{mailbox}/events/{event['id']}/move", moved)
    assert described["recurrence"]["range"]["startDate"] == "2027-01-06"
    items = schedule_items(emulator, token, mailbox, "2027-01-05T00:00:00", "2027-01-10T00:00:00")
    assert [i["start"]["dateTime"] for i in items] == ["2027-01-07T05:00:00.0000000", "2027-01-08T05:00:00.0000000"]


def test_a_move_to_another_day_moves_the_range_start_with_it(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    mailbox = empty_mailbox(emulator, "weekly.move", PACIFIC)
    body = _series(
        "2027-01-04T20:00:00", "2027-01-04T21:00:00", PACIFIC,
        {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]}, {"type": "noEnd", "startDate": "2027-01-04"},
    )  # fmt: skip
    event = _create(emulator, token, mailbox, body)
    later = {"start": {"dateTime": "2027-01-12T04:00:00", "timeZone": "UTC"},  # Monday 20:00 Pacific, a week on
             "end": {"dateTime": "2027-01-12T05:00:00", "timeZone": "UTC"}}  # fmt: skip
    moved = graph(emulator, "PATCH", f"/users/{mailbox}/events/{event['id']}", token, json=later).json()
    assert moved["recurrence"]["range"]["startDate"] == "2027-01-11"
    assert _dates(emulator, mailbox, event["id"], "2027-01-01T00:00:00Z", "2027-01-20T00:00:00Z") == [
        "2027-01-12",
        "2027-01-19",
    ]


def test_graphs_documented_monthly_and_yearly_examples(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    mailbox = empty_mailbox(emulator, "patterns", "UTC")
    examples = [
        # "Repeat on the 15th of every other month"
        ({"type": "absoluteMonthly", "interval": 2, "dayOfMonth": 15}, "2027-01-15",
         ["2027-01-15", "2027-03-15", "2027-05-15"]),
        # "Repeat on the second Thursday or Friday every three months": the month's second Thursday-or-Friday
        ({"type": "relativeMonthly", "interval": 3, "daysOfWeek": ["thursday", "friday"], "index": "second"},
         "2027-01-01", ["2027-01-07", "2027-04-02", "2027-07-02"]),
        # "Repeat on March 15 every 3 years"
        ({"type": "absoluteYearly", "interval": 3, "dayOfMonth": 15, "month": 3}, "2027-03-15",
         ["2027-03-15", "2030-03-15", "2033-03-15"]),
        # "the second Thursday or Friday of every November every 3 years"
        ({"type": "relativeYearly", "interval": 3, "daysOfWeek": ["thursday", "friday"], "index": "second",
          "month": 11}, "2027-01-01", ["2027-11-05", "2030-11-07", "2033-11-04"]),
        # the 31st falls on the last day of shorter months (Outlook's rule; RFC 5545 would skip them)
        ({"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 31}, "2027-01-31",
         ["2027-01-31", "2027-02-28", "2027-03-31"]),
        # the last weekday of the month
        ({"type": "relativeMonthly", "interval": 1, "index": "last",
          "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"]}, "2027-01-01",
         ["2027-01-29", "2027-02-26", "2027-03-31"]),
    ]  # fmt: skip
    for pattern, start, expected in examples:
        body = _series(
            f"{start}T09:00:00", f"{start}T10:00:00", "UTC", pattern,
            {"type": "numbered", "startDate": start, "numberOfOccurrences": 3},
        )  # fmt: skip
        event = _create(emulator, token, mailbox, body)
        assert event["recurrence"]["pattern"]["type"] == pattern["type"]
        assert _dates(emulator, mailbox, event["id"], "2026-12-01T00:00:00Z", "2034-01-01T00:00:00Z") == expected


def test_a_yearly_series_on_february_29_falls_on_the_28th_in_other_years(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    mailbox = empty_mailbox(emulator, "leap", "UTC")
    pattern = {"type": "absoluteYearly", "interval": 1, "dayOfMonth": 29, "month": 2}
    body = _series("2028-02-29T09:00:00", "2028-02-29T10:00:00", "UTC", pattern,
                   {"type": "endDate", "startDate": "2028-02-29", "endDate": "2032-12-31"})  # fmt: skip
    event = _create(emulator, token, mailbox, body)
    dates = _dates(emulator, mailbox, event["id"], "2028-01-01T00:00:00Z", "2033-01-01T00:00:00Z")
    assert dates == ["2028-02-29", "2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"]


def test_the_recurrence_reads_back_with_every_pattern_field(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    mailbox = empty_mailbox(emulator, "readback", EASTERN)
    pattern = {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["tuesday"], "index": "last"}
    body = _series("2027-02-23T10:00:00", "2027-02-23T11:00:00", EASTERN, pattern,
                   {"type": "numbered", "startDate": "2027-02-23", "numberOfOccurrences": 4})  # fmt: skip
    created = _create(emulator, token, mailbox, body)
    read = graph(emulator, "GET", f"/users/{mailbox}/events/{created['id']}", token).json()["recurrence"]
    assert read == {
        "pattern": {"type": "relativeMonthly", "interval": 1, "month": 0, "dayOfMonth": 0,
                    "daysOfWeek": ["tuesday"], "firstDayOfWeek": "sunday", "index": "last"},
        "range": {"type": "numbered", "startDate": "2027-02-23", "endDate": "0001-01-01",
                  "recurrenceTimeZone": EASTERN, "numberOfOccurrences": 4},
    }  # fmt: skip


def test_a_pattern_missing_what_its_type_requires_is_refused_and_nothing_is_created(
    emulator: EmulatorProcess,
) -> None:
    token = consented_app_token(emulator)
    mailbox = empty_mailbox(emulator, "refused", "UTC")
    broken = [
        ({"type": "absoluteMonthly", "interval": 1}, {"type": "noEnd", "startDate": "2027-01-01"}),
        ({"type": "relativeYearly", "interval": 1, "daysOfWeek": ["monday"]}, {"type": "noEnd",
                                                                                 "startDate": "2027-01-01"}),
        ({"type": "weekly", "interval": 1}, {"type": "noEnd", "startDate": "2027-01-01"}),
        ({"type": "daily", "interval": 0}, {"type": "noEnd", "startDate": "2027-01-01"}),
        ({"type": "hourly", "interval": 1}, {"type": "noEnd", "startDate": "2027-01-01"}),
        ({"type": "daily", "interval": 1}, {"type": "endDate", "startDate": "2027-01-05", "endDate": "2027-01-01"}),
        ({"type": "daily", "interval": 1}, {"type": "numbered", "startDate": "2027-01-01"}),
        ({"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["monday"], "index": "fifth"},
         {"type": "noEnd", "startDate": "2027-01-01"}),
    ]  # fmt: skip
    for pattern, rng in broken:
        body = _series("2027-01-01T09:00:00", "2027-01-01T10:00:00", "UTC", pattern, rng)
        response = post_event(emulator, token, mailbox, body)
        assert response.status_code == 400, (pattern, rng, response.text)
    assert emulator.control("GET", f"/tenants/{CONTOSO}/mailboxes/{mailbox}/events")["value"] == []


def test_a_series_sent_again_with_its_transaction_id_is_the_same_series_not_a_second(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    mailbox = empty_mailbox(emulator, "retried", EASTERN)
    pattern = {"type": "weekly", "interval": 1, "daysOfWeek": ["Tuesday"]}
    body = _series("2027-03-02T09:00:00", "2027-03-02T10:00:00", EASTERN, pattern,
                   {"type": "numbered", "startDate": "2027-03-02", "numberOfOccurrences": 26},
                   transactionId="booking-series-1")  # fmt: skip
    first = _create(emulator, token, mailbox, body)
    again = _create(emulator, token, mailbox, body)

    assert again["id"] == first["id"] and first["type"] == "seriesMaster" and first["seriesMasterId"] is None
    listed = graph(emulator, "GET", f"/users/{mailbox}/events", token).json()["value"]
    assert [e["id"] for e in listed] == [first["id"]]
    # Occurrences keep 09:00 in New York across the 14 March change: 14:00 UTC before, 13:00 UTC after.
    starts = [s for s, _ in occurrences(emulator, mailbox, first["id"], "2027-03-01T00:00:00Z", "2027-03-20T00:00:00Z")]
    assert [s[:16] for s in starts] == ["2027-03-02T14:00", "2027-03-09T14:00", "2027-03-16T13:00"]
