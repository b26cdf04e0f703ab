"""The booking page's search through the test client, against the emulator's demo calendars, in both modes."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import Membership, User
from localtime.reading import clock
from m365_emulator.testing import EmulatorProcess
from tests.booking.world import (
    address,
    connected,
    event,
    graph_calls,
    member,
    next_week,
    plant,
    raw_busy,
    schedule_calls,
    search_page,
    set_zone,
)
from tests.conftest import Org, signed_in
from tests.emulator.helpers import app_token

ALEX = address("Alex Wilber")
WEST_EUROPE = ["Diego Ruiz", "Enrico Cattaneo", "Henrietta Mueller", "Johanna Lorenz", "Sofia Rossi", "Marie Dubois"]
BRITAIN = ["Oliver Smith", "Harry Taylor", "Liam Murphy", "Amelia Jones"]


@pytest.fixture(params=["domain_wide", "delegated"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def adele_books(org: Org, emulator: EmulatorProcess, mode: str) -> tuple[Membership, Client]:
    """Adele (Western Europe) books, with her browser's zone stored, in an organization connected in `mode`."""
    adele = connected(org, emulator, mode, organizer="Adele Vance")
    set_zone(adele, "Europe/Berlin")
    return adele, signed_in(adele.user)


def plant_alexs_week(emulator: EmulatorProcess, monday: datetime) -> list[tuple[datetime, datetime]]:
    """A daily series, an all-day Wednesday, a tentative Tuesday and an out-of-office Thursday in Alex's week,
    all inside the two hours a day that Adele's and Alex's working hours share; returns what must stay free."""
    series = event(monday + timedelta(hours=15), 15, "Secret series")
    series["recurrence"] = {
        "pattern": {
            "type": "weekly",
            "interval": 1,
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        },
        "range": {"type": "numbered", "startDate": monday.date().isoformat(), "numberOfOccurrences": 5},
    }
    plant(emulator, ALEX, series)
    wednesday = (monday + timedelta(days=2)).date()
    plant(
        emulator,
        ALEX,
        {
            "subject": "Secret offsite",
            "isAllDay": True,
            "showAs": "busy",
            "start": {"dateTime": f"{wednesday.isoformat()}T00:00:00", "timeZone": "Eastern Standard Time"},
            "end": {
                "dateTime": f"{(wednesday + timedelta(days=1)).isoformat()}T00:00:00",
                "timeZone": "Eastern Standard Time",
            },
        },
    )
    plant(emulator, ALEX, event(monday + timedelta(days=1, hours=14), 60, "Secret maybe", showAs="tentative"))
    plant(emulator, ALEX, event(monday + timedelta(days=3, hours=14), 120, "Secret dentist", showAs="oof"))
    eastern = ZoneInfo("America/New_York")
    wednesday_local = datetime(wednesday.year, wednesday.month, wednesday.day, tzinfo=eastern)
    return [
        *((monday + timedelta(days=d, hours=15), monday + timedelta(days=d, hours=15, minutes=15)) for d in range(5)),
        (wednesday_local.astimezone(UTC), (wednesday_local + timedelta(days=1)).astimezone(UTC)),
        (monday + timedelta(days=1, hours=14), monday + timedelta(days=1, hours=15)),
        (monday + timedelta(days=3, hours=14), monday + timedelta(days=3, hours=16)),
    ]


def overlapping(starts: list[datetime], minutes: int, busy: list[tuple[datetime, datetime]]) -> list[datetime]:
    length = timedelta(minutes=minutes)
    return [s for s in starts if any(b_start < s + length and s < b_end for b_start, b_end in busy)]


def blocking(
    busy: dict[str, list[tuple[datetime, datetime, str]]], people: list[str]
) -> list[tuple[datetime, datetime]]:
    return [(s, e) for who in people for s, e, status in busy[who] if status in {"busy", "oof", "tentative"}]


def cache_contents() -> list[bytes]:
    """Every value in Django's cache as stored (pickled), from local memory or from Redis."""
    backend = cache._cache  # type: ignore[attr-defined]
    if isinstance(backend, dict):
        return [bytes(value) for value in backend.values()]
    client = backend.get_client(None)
    return [client.get(key) or b"" for key in client.keys("*")]


class TestTwoPeople:
    def test_no_time_touches_a_series_an_all_day_event_a_tentative_or_an_out_of_office(
        self, org: Org, emulator_settings: EmulatorProcess, mode: str
    ) -> None:
        adele, client = adele_books(org, emulator_settings, mode)
        alex = member(org, "Alex Wilber")
        monday, friday = next_week()
        planted = plant_alexs_week(emulator_settings, monday)

        page, starts = search_page(client, org, required=[alex])

        assert starts, page
        assert overlapping(starts, 30, planted) == []
        busy = raw_busy(emulator_settings, app_token(emulator_settings), [adele.user.email, ALEX], monday, friday)
        assert overlapping(starts, 30, blocking(busy, [adele.user.email, ALEX])) == []
        assert all(monday <= s and s + timedelta(minutes=30) <= friday for s in starts)
        assert "Secret" not in page

    def test_times_show_in_the_members_zone_with_the_colleagues_clock_beside_them(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        _adele, client = adele_books(org, emulator_settings, "domain_wide")
        alex = member(org, "Alex Wilber")

        page, starts = search_page(client, org, required=[alex])

        first = starts[0]
        berlin, eastern = first.astimezone(ZoneInfo("Europe/Berlin")), first.astimezone(ZoneInfo("America/New_York"))
        # An English (US) reader's clock: "4:00\u00a0PM".
        assert clock(berlin, "en") in page and f"· {clock(eastern, 'en')} for Alex Wilber (America/New_York)" in page
        # Microsoft's zone for each person is kept, for the pages that show the meeting later.
        assert User.objects.get(email=ALEX).mailbox_time_zone == "America/New_York"
        assert User.objects.get(pk=_adele.user.pk).mailbox_time_zone == "Europe/Berlin"
        assert "Best times" in page and "Every time, by day" in page
        assert "for you" in page  # the reasons, in words

    def test_the_reasons_read_you_on_the_clock_the_page_shows_when_you_travel_away_from_your_mailboxs_zone(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        adele, client = adele_books(org, emulator_settings, "domain_wide")  # her mailbox: Western Europe
        set_zone(adele, "America/New_York")  # her browser, this week
        alex = member(org, "Alex Wilber")

        page, _ = search_page(client, org, required=[alex])

        best = re.findall(r'<li class="slot">.*?<strong>(.*?)</strong>.*?<p class="reasons">(.*?)</p>', page, re.S)
        assert best
        for shown, reasons in best:
            start = html.unescape(shown).split(", ")[2].split("\u2013")[0]  # "Mon, Dec 7, 10:00 AM to 10:30 AM"
            assert html.unescape(reasons).startswith(f"{start} for you"), (shown, reasons)


class TestTenPeople:
    def test_ten_colleagues_get_times_that_respect_every_required_calendar(
        self, org: Org, emulator_settings: EmulatorProcess, mode: str
    ) -> None:
        adele, client = adele_books(org, emulator_settings, mode)
        required = [member(org, name) for name in [*WEST_EUROPE[:3], *BRITAIN[:2]]]
        optional = [member(org, name) for name in [*WEST_EUROPE[3:], *BRITAIN[2:]]]
        assert len(required) + len(optional) == 10
        start, _ = next_week()
        end = start + timedelta(days=12)
        since = emulator_settings.last_seq()

        page, starts = search_page(
            client,
            org,
            required=required,
            optional=optional,
            minutes=15,
            days=(start.date(), (end - timedelta(days=1)).date()),
        )
        searched = emulator_settings.last_seq()

        assert starts, page
        everyone = [adele.user.email, *(m.user.email for m in required)]
        busy = raw_busy(emulator_settings, app_token(emulator_settings), everyone, start, end)
        assert overlapping(starts, 15, blocking(busy, everyone)) == []
        asked = graph_calls(emulator_settings, since, searched)
        if mode == "domain_wide":  # eleven mailboxes, one getSchedule
            assert asked == [f"POST /v1.0/users/{adele.directory_entry.object_id}/calendar/getSchedule"]
        else:  # the times Microsoft offers, checked with the member's own free/busy of everyone
            assert asked == ["POST /v1.0/me/findMeetingTimes", "POST /v1.0/me/calendar/getSchedule"]


class TestWorkingHours:
    def test_three_zones_one_of_them_custom_stay_in_everyones_hours_across_a_daylight_saving_change(
        self, org: Org, emulator_settings: EmulatorProcess, mode: str
    ) -> None:
        _adele, client = adele_books(org, emulator_settings, mode)
        lee, oliver = member(org, "Lee Gu"), member(org, "Oliver Smith")  # India (a custom zone), Britain
        change = date(2027, 3, 28) if date.today() < date(2027, 3, 20) else date(date.today().year + 1, 3, 26)
        first, last = change - timedelta(days=4), change + timedelta(days=4)

        _, before = search_page(client, org, required=[lee, oliver], days=(first, change - timedelta(days=1)))
        _, after = search_page(client, org, required=[lee, oliver], days=(change + timedelta(days=1), last))

        assert before and after
        hours = [("Europe/Berlin", 9, 17), ("Europe/London", 9, 17), ("Asia/Kolkata", 10, 18)]
        for start in [*before, *after]:
            for zone, begin, end in hours:
                local = start.astimezone(ZoneInfo(zone))
                assert begin * 60 <= local.hour * 60 + local.minute <= end * 60 - 30, (start, zone)
        assert min(s.hour for s in before) >= 9  # London's 09:00 is 09:00 UTC in winter...
        if mode == "domain_wide":  # (Microsoft's own few suggestions need not reach the first hour)
            assert min(s.hour for s in after) == 8  # ...and 08:00 UTC in summer: the hours stayed put locally


class TestFailsClosed:
    def test_a_required_person_who_cannot_be_read_yields_no_time_and_says_why(
        self, org: Org, emulator_settings: EmulatorProcess, mode: str
    ) -> None:
        _adele, client = adele_books(org, emulator_settings, mode)
        emulator_settings.control(
            "POST",
            "/tenants/contoso.onmicrosoft.com/users",
            {"userPrincipalName": address("Nomail Person"), "displayName": "Nomail Person", "hasMailbox": False},
        )
        nomail = member(org, "Nomail Person")

        page, starts = search_page(client, org, required=[member(org, "Alex Wilber"), nomail])

        assert starts == []  # in both modes free/busy says who could not be read
        assert "Nomail Person</strong> (required)" in page and "could not find a mailbox" in page
        assert "No time can be suggested until every required person" in page

    def test_an_optional_person_who_cannot_be_read_is_unknown_not_free(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        _adele, client = adele_books(org, emulator_settings, "domain_wide")
        emulator_settings.control(
            "POST",
            "/tenants/contoso.onmicrosoft.com/users",
            {"userPrincipalName": address("Nomail Person"), "displayName": "Nomail Person", "hasMailbox": False},
        )

        page, starts = search_page(
            client, org, required=[member(org, "Alex Wilber")], optional=[member(org, "Nomail Person")]
        )

        assert starts
        assert "Nomail Person</strong> (optional)" in page and "shown as unknown, never as free" in page


class TestCallsAndCache:
    def test_one_get_schedule_for_everyone_then_none_within_the_cache_time_then_one_after_a_booking(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        from booking.search.availability import availability_forget

        _adele, client = adele_books(org, emulator_settings, "domain_wide")
        people = [member(org, name) for name in WEST_EUROPE[:4]]
        since = emulator_settings.last_seq()

        _first_page, first = search_page(client, org, required=people[:2], optional=people[2:])
        after_first = emulator_settings.last_seq()
        _second_page, second = search_page(client, org, required=people[:2], optional=people[2:])
        after_second = emulator_settings.last_seq()
        availability_forget(organization=org.organization, people=[people[0]])
        search_page(client, org, required=people[:2], optional=people[2:])

        assert schedule_calls(emulator_settings, since, after_first) == 1
        assert schedule_calls(emulator_settings, after_first, after_second) == 0
        assert first == second and first
        last = [e for e in emulator_settings.log(after_second) if e["path"].endswith("/getSchedule")]
        assert len(last) == 1 and last[0]["body"]["schedules"] == [people[0].user.email]

    def test_subjects_and_locations_never_reach_the_cache_the_database_or_the_page(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        from io import StringIO

        from django.core.management import call_command

        _adele, client = adele_books(org, emulator_settings, "domain_wide")
        alex = member(org, "Alex Wilber")
        monday, friday = next_week()
        plant(
            emulator_settings,
            ALEX,
            event(monday + timedelta(hours=15), 60, "Zanzibar acquisition", location={"displayName": "Room Xylophone"}),
        )
        emulator_settings.control(
            "POST", f"/tenants/contoso.onmicrosoft.com/mailboxes/{ALEX}/calendar-sharing", {"sharesDetails": True}
        )
        raw = emulator_settings.session.post(
            f"{emulator_settings.base_url}/v1.0/users/{ALEX}/calendar/getSchedule",
            json={
                "schedules": [ALEX],
                "startTime": {"dateTime": monday.replace(tzinfo=None).isoformat(), "timeZone": "UTC"},
                "endTime": {"dateTime": friday.replace(tzinfo=None).isoformat(), "timeZone": "UTC"},
            },
            headers={"Authorization": f"Bearer {app_token(emulator_settings)}"},
            timeout=10,
        )
        assert "Zanzibar acquisition" in raw.text, "Microsoft does send the subject: Overlap must drop it"
        seeded = {
            e["subject"]
            for e in emulator_settings.control("GET", f"/tenants/contoso.onmicrosoft.com/mailboxes/{ALEX}/events")[
                "value"
            ]
        }

        page, starts = search_page(client, org, required=[alex])

        assert starts
        dump = StringIO()
        call_command("dumpdata", stdout=dump)
        cached = cache_contents()
        assert cached and any(b"Europe/Berlin" in value or b"New_York" in value for value in cached)  # zones are kept
        stored = dump.getvalue() + repr(cached)
        for secret in ["Zanzibar acquisition", "Room Xylophone", *(s for s in seeded if len(s) > 12)]:
            assert secret not in page and secret not in stored, secret


class TestSlotCheck:
    def test_a_slot_taken_since_the_search_is_no_longer_free_and_says_by_whom(
        self, org: Org, emulator_settings: EmulatorProcess, mode: str
    ) -> None:
        from booking.search.availability import availability_check_slot

        adele, client = adele_books(org, emulator_settings, mode)
        alex = member(org, "Alex Wilber")
        _, starts = search_page(client, org, required=[alex])
        free, taken = starts[0], starts[-1]
        plant(emulator_settings, ALEX, event(taken, 30, "Grabbed meanwhile"))
        since = emulator_settings.last_seq()

        still = availability_check_slot(
            organizer=adele, required=[alex], optional=[], start=free, end=free + timedelta(minutes=30)
        )
        gone = availability_check_slot(
            organizer=adele, required=[alex], optional=[], start=taken, end=taken + timedelta(minutes=30)
        )

        assert still.free and still.problems == ()
        assert not gone.free and gone.problems == ("Alex Wilber is no longer free then (busy).",)
        asked = {"domain_wide": f"POST /v1.0/users/{adele.directory_entry.object_id}/calendar/getSchedule"}
        one_check = asked.get(mode, "POST /v1.0/me/calendar/getSchedule")
        assert graph_calls(emulator_settings, since) == [one_check] * 2  # fresh each time, never from the cache
