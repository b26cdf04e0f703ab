"""Booking a weekly series through the pages against the emulator: one series event in the organizer's mailbox
(in their Windows zone, from the first Tuesday), the colleague's copy of the same series, and a confirmation
delivered again after a lost reply that makes no second series."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime
from typing import Any

import time_machine
from django.urls import reverse

import integrations.calendars as calendars
from booking import services
from booking.engine.recurrence import Recurrence
from booking.models import Booking
from booking.series import series_rule
from booking.tasks import confirm_booking
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import book, copies, form, graph_calls
from tests.booking.series_world import NOW, london_and_new_york
from tests.booking.world import search_page
from tests.conftest import Org, signed_in

SERIES: dict[str, Any] = {"repeats": "weekly", "ends": "count", "occurrences": "26"}
FIRST = datetime(2027, 3, 2, 14, tzinfo=UTC)  # 14:00 in London, 09:00 in New York


def _series_fields(start: datetime, required: list[Any]) -> dict[str, Any]:
    return {**form(start, minutes=60, required=required), **SERIES}


def test_a_series_is_booked_once_in_both_mailboxes_and_a_retried_confirmation_makes_no_second(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    with time_machine.travel(NOW, tick=True):
        oliver, alex = london_and_new_york(org, emulator_settings)
        client = signed_in(oliver.user)
        _, starts = search_page(
            client, org, required=[alex], minutes=60, days=(date(2027, 3, 2), date(2027, 3, 5)), **SERIES
        )
        assert FIRST in starts
        query = {**_series_fields(FIRST, [alex]), "start": "2027-03-02T14:00:00Z"}
        confirm = client.get(reverse("booking_confirm_page", kwargs={"code": org.code}), query)
        assert "Weekly on Tuesday, 26 times, until Aug 24, 2027" in html.unescape(confirm.content.decode())
        assert "Book this series" in confirm.content.decode()

        book(client, org, _series_fields(FIRST, [alex]), run_tasks=False)
        booking = Booking.objects.get(organizer=oliver)
        # The first worker sent the create and died before the reply came back.
        Booking.objects.filter(pk=booking.pk).update(create_attempted_at=booking.created)
        participants = list(booking.participants.select_related("membership__user"))
        calendars.event_create(organizer=oliver, new=services._new_event(booking, participants))
        since = emulator_settings.last_seq()
        confirm_booking.delay(booking.pk)  # delivered again
        meetings = client.get(reverse("meetings", kwargs={"code": org.code})).content.decode()

    booking.refresh_from_db()
    assert booking.state == Booking.State.CONFIRMED, booking.failure_reason
    assert booking.recurrence is not None and booking.start == FIRST
    creates = [c for c in graph_calls(emulator_settings, since, batched=True) if c["path"].endswith("/events")]
    assert [c["method"] for c in creates] == ["GET"]  # found by its tag: no second create
    (mine,) = copies(emulator_settings, oliver.user.email, booking.ical_uid)
    (theirs,) = copies(emulator_settings, alex.user.email, booking.ical_uid)
    for event in (mine, theirs):
        assert event["type"] == "seriesMaster"
        rule = event["recurrence"]
        assert rule["pattern"]["type"] == "weekly" and rule["pattern"]["daysOfWeek"] == ["tuesday"]
        assert rule["range"]["type"] == "numbered" and rule["range"]["numberOfOccurrences"] == 26
        assert rule["range"]["startDate"] == "2027-03-02"
        assert rule["range"]["recurrenceTimeZone"] == "GMT Standard Time"
    assert "Weekly on Tuesday, 26 times, until Aug 24, 2027" in html.unescape(meetings)


def test_a_single_meeting_is_booked_without_a_recurrence(org: Org, emulator_settings: EmulatorProcess) -> None:
    with time_machine.travel(NOW, tick=True):
        oliver, alex = london_and_new_york(org, emulator_settings)
        book(signed_in(oliver.user), org, form(FIRST, minutes=60, required=[alex]))

    booking = Booking.objects.get(organizer=oliver)
    assert booking.state == Booking.State.CONFIRMED and booking.recurrence is None
    (mine,) = copies(emulator_settings, oliver.user.email, booking.ical_uid)
    assert mine["type"] == "singleInstance" and mine["recurrence"] is None


def test_a_series_of_an_organizer_whose_zone_is_not_known_yet_recurs_at_utc_offsets() -> None:
    # The page zone falls back to datetime.UTC, which has no IANA key; CLDR's table, as tzlocal ships it, maps ""
    # to a Mexican zone, which once made such a series recur on the wrong day. The Windows zone that keeps UTC's
    # offsets all year stands for it (localtime.windows_name).
    rule = series_rule(Recurrence("weekly", date(2027, 2, 20), days=frozenset({5}), count=6), UTC)

    assert rule.time_zone == "Greenwich Standard Time" and rule.days_of_week == ("saturday",)
