"""Individual mode: the times Microsoft's findMeetingTimes offers, ranked and checked under the organization's rules
with the member's own getSchedule, as the pages and the emulator's request log show it.

Every test that needs free time empties the calendars it reads (the emulator's demo calendars change every week)
and plants what it needs."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from booking.rules import booking_rules_of
from booking.search.availability import availability_check_slot, availability_search
from localtime.reading import clock
from m365_emulator.testing import EmulatorProcess
from tests.booking.world import (
    address,
    connected,
    event,
    find_bodies,
    graph_calls,
    member,
    next_week,
    next_week_days,
    plant,
    search_page,
    set_zone,
)
from tests.conftest import Org, signed_in
from tests.emulator.helpers import delegated_token, graph

FIND = "POST /v1.0/me/findMeetingTimes"
SCHEDULE = "POST /v1.0/me/calendar/getSchedule"
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def adele(org: Org, emulator_settings: EmulatorProcess) -> Membership:
    """Adele (Berlin) books in an organization connected in individual mode, her own calendar connected."""
    adele = connected(org, emulator_settings, "delegated", organizer="Adele Vance")
    set_zone(adele, "Europe/Berlin")
    # The demo calendars are drawn anew each week: these tests start from free calendars and plant what they need.
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    for name in ("Adele Vance", "Alex Wilber", "Diego Ruiz"):
        emulator_settings.clear(address(name), today - timedelta(days=1), today + timedelta(days=15))
    return adele


def quiet(emulator: EmulatorProcess, *people: Membership) -> None:
    """These people's calendars emptied from this week to the end of the next: the test owns every minute."""
    start, _ = next_week()
    for person in people:
        emulator.clear(person.user.email, start - timedelta(days=7), start + timedelta(days=7))


def monday_at(hour: int, minute: int = 0) -> datetime:
    """Next week's Monday at this UTC time (inside Berlin's and New York's working days alike)."""
    first, _ = next_week_days()
    return datetime(first.year, first.month, first.day, hour, minute, tzinfo=UTC)


def set_rules(org: Org, **fields: object) -> None:
    rules = booking_rules_of(organization=org.organization)
    for name, value in fields.items():
        setattr(rules, name, value)
    rules.save()


def best_starts(page: str) -> list[datetime]:
    """The starts of the "Best times" list, in the page's order (each card links its start once)."""
    best = html.unescape(page.split('id="best"', 1)[1].split('id="every"', 1)[0])
    found = [part.split("&", 1)[0].replace("%3A", ":") for part in best.split("/book/confirm?start=")[1:]]
    return [datetime.fromisoformat(value.replace("Z", "+00:00")) for value in found]


def instant(value: dict[str, str]) -> datetime:
    """A dateTimeTimeZone in UTC, as Overlap sends them."""
    assert value["timeZone"] == "UTC"
    return datetime.fromisoformat(value["dateTime"][:19]).replace(tzinfo=UTC)


class TestSearch:
    def test_a_search_is_one_find_meeting_times_and_one_get_schedule_of_the_members_own(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex, diego = member(org, "Alex Wilber"), member(org, "Diego Ruiz")
        quiet(emulator_settings, adele, alex, diego)
        since = emulator_settings.last_seq()

        page, starts = search_page(signed_in(adele.user), org, required=[alex], optional=[diego])

        assert starts, page
        assert graph_calls(emulator_settings, since) == [FIND, SCHEDULE]
        [body] = find_bodies(emulator_settings, since)
        assert body["attendees"] == [
            {"type": "required", "emailAddress": {"address": alex.user.email}},
            {"type": "optional", "emailAddress": {"address": diego.user.email}},
        ]
        assert body["timeConstraint"]["activityDomain"] == "work"
        assert body["minimumAttendeePercentage"] == 50  # Graph weighs Diego like Alex; Overlap checks Alex itself

    def test_only_required_colleagues_ask_graph_for_everyone_free(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        since = emulator_settings.last_seq()

        search_page(signed_in(adele.user), org, required=[member(org, "Alex Wilber"), member(org, "Diego Ruiz")])

        [body] = find_bodies(emulator_settings, since)
        assert body["minimumAttendeePercentage"] == 100
        assert [a["type"] for a in body["attendees"]] == ["required", "required"]

    def test_the_best_times_are_the_fair_order_and_reasons_of_domain_wide_mode(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        quiet(emulator_settings, adele, alex)
        set_rules(org, granularity_minutes=30)  # Graph offers half hours: every time the engine may rank
        plant(emulator_settings, alex.user.email, event(monday_at(15), 60, "Alex's one-to-one"))
        window = (monday_at(0), monday_at(0) + timedelta(days=5))

        since = emulator_settings.last_seq()
        page, _ = search_page(signed_in(adele.user), org, required=[alex])
        graph_first = replay(emulator_settings, adele, find_bodies(emulator_settings, since)[0])[0]
        ranked = availability_search(
            organizer=adele, required=[alex], optional=[], minutes=30,
            window_start=window[0], window_end=window[1], graph_suggests=False,
        )  # fmt: skip

        assert [s.start for s in ranked.best] == best_starts(page) and len(ranked.best) > 2
        # Graph's first is the first minute of Alex's day; the fair order puts a time that costs nobody first.
        assert best_starts(page)[0] != instant(graph_first["meetingTimeSlot"]["start"])
        for suggestion in ranked.best:
            assert html.escape(suggestion.summary) in page
        assert "in its order" not in page and "fairest first" in page

    def test_a_tentative_event_does_not_hide_a_working_elsewhere_block_the_organization_counts_as_busy(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        quiet(emulator_settings, adele, alex)
        set_rules(org, blocking_statuses=["busy", "oof", "workingElsewhere"])
        away = monday_at(14)
        plant(emulator_settings, adele.user.email, event(away, 120, "Client office", showAs="workingElsewhere"))
        plant(emulator_settings, adele.user.email, event(away, 30, "Maybe a call", showAs="tentative"))
        since = emulator_settings.last_seq()

        page, starts = search_page(signed_in(adele.user), org, required=[alex])

        graph_offered = [
            instant(s["meetingTimeSlot"]["start"])
            for s in replay(emulator_settings, adele, find_bodies(emulator_settings, since)[0])
        ]
        assert away in graph_offered, "Graph reports Adele tentative then, which the organization lets through"
        assert starts and not any(away <= s < away + timedelta(hours=2) for s in starts)
        assert "when you are working elsewhere (your organization counts working elsewhere as busy)" in page

    def test_a_time_when_the_organizer_is_tentative_is_left_out_with_a_note_unless_tentative_does_not_block(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        quiet(emulator_settings, adele, alex)
        client = signed_in(adele.user)
        maybe = monday_at(14)
        plant(emulator_settings, adele.user.email, event(maybe, 30, "Maybe a dentist", showAs="tentative"))

        page, starts = search_page(client, org, required=[alex])
        set_rules(org, blocking_statuses=["busy", "oof"])
        relaxed, relaxed_starts = search_page(client, org, required=[alex])

        assert maybe not in starts and starts
        assert "Left out 1 of Microsoft 365&#x27;s" in page and "suggestions: 1 when you are tentative" in page
        assert "(your organization counts tentative as busy)" in page
        assert maybe in relaxed_starts and "Left out" not in relaxed

    def test_starts_off_the_organizations_grid_are_left_out(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        diego = member(org, "Diego Ruiz")
        quiet(emulator_settings, adele, diego)
        set_rules(org, granularity_minutes=60, default_duration_minutes=60)

        page, starts = search_page(signed_in(adele.user), org, required=[diego], minutes=60)

        assert starts and all(s.astimezone(BERLIN).minute == 0 for s in starts)
        assert "off your organization&#x27;s 60-minute grid" in page

    def test_the_minimum_notice_moves_the_start_of_what_graph_is_asked(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        set_rules(org, minimum_notice_minutes=180)
        today = timezone.now().astimezone(BERLIN).date()
        since = emulator_settings.last_seq()
        asked_at = timezone.now()

        _, starts = search_page(
            signed_in(adele.user), org, required=[member(org, "Alex Wilber")], days=(today, today + timedelta(days=2))
        )

        [body] = find_bodies(emulator_settings, since)
        start = instant(body["timeConstraint"]["timeSlots"][0]["start"])
        assert start >= asked_at + timedelta(minutes=180) and start.astimezone(BERLIN).minute % 15 == 0
        assert start - (asked_at + timedelta(minutes=180)) < timedelta(minutes=16)
        assert all(s >= asked_at + timedelta(minutes=180) for s in starts)

    def test_every_colleagues_zone_comes_from_their_working_hours_and_is_kept_for_the_other_pages(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex, diego = member(org, "Alex Wilber"), member(org, "Diego Ruiz")
        quiet(emulator_settings, adele, alex, diego)
        assert alex.user.zone_for_others == ""  # nobody told Overlap yet

        page, starts = search_page(signed_in(adele.user), org, required=[alex], optional=[diego])

        alex.user.refresh_from_db()
        eastern = starts[0].astimezone(ZoneInfo("America/New_York"))
        assert f'<span class="local">· {clock(eastern, "en")} for Alex Wilber (America/New_York)</span>' in page
        assert "for Diego Ruiz (" in page
        assert alex.user.zone_for_others == "America/New_York"

    def test_a_zone_outlook_wrote_out_as_bias_and_rules_is_shown_by_the_name_outlook_shows_not_as_customized(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        lee = member(org, "Lee Gu")  # India, working hours in a customTimeZone named "Customized Time Zone"
        quiet(emulator_settings, adele, lee)

        page, starts = search_page(signed_in(adele.user), org, required=[lee])

        india = starts[0].astimezone(ZoneInfo("Asia/Kolkata"))
        assert f'<span class="local">· {clock(india, "en")} for Lee Gu (India Standard Time)</span>' in page
        assert "Customized Time Zone" not in page

    def test_night_is_only_night_on_the_members_own_outlook_clock_and_the_page_offers_that_clock(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        quiet(emulator_settings, adele, alex)
        set_zone(adele, "Asia/Tokyo")  # travelling: Berlin's and New York's shared afternoon is night in Tokyo
        client = signed_in(adele.user)

        page, starts = search_page(client, org, required=[alex])
        best = html.unescape(page.split('id="best"', 1)[1].split('id="every"', 1)[0])
        client.post(reverse("booking_time_zone", kwargs={"code": org.code}), {"time_zone": "Europe/Berlin"})
        home, _ = search_page(client, org, required=[alex])

        tokyo = starts[0].astimezone(ZoneInfo("Asia/Tokyo"))
        assert tokyo.hour in (22, 23, 0, 1) and clock(tokyo, "en") in page  # the page's clock...
        assert " for you" in best and "night" not in best  # ...but it is Adele's Berlin afternoon
        assert "Your Outlook working hours are in Europe/Berlin; this page shows Asia/Tokyo." in page
        assert 'name="time_zone" value="Europe/Berlin"' in page
        assert "Your Outlook working hours are in" not in home

    def test_working_hours_that_never_overlap_are_said_as_such_not_as_a_full_calendar(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        megan = member(org, "Megan Bowen")  # 08:00-17:00 Pacific: Adele's Berlin day is over before hers begins
        quiet(emulator_settings, adele, megan)

        page, starts = search_page(signed_in(adele.user), org, required=[megan])

        assert starts == []
        assert "The working hours of you and Megan Bowen never overlap for 30 minutes in this range" in page
        assert "Your own calendar has no free time" not in page

    def test_a_person_allowed_outside_their_hours_is_told_microsoft_keeps_everyones_hours(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        quiet(emulator_settings, adele, alex)
        since = emulator_settings.last_seq()

        page, starts = search_page(signed_in(adele.user), org, required=[alex], widen=[str(alex.user.uuid)])

        assert starts
        assert "Microsoft 365&#x27;s suggestions keep everyone&#x27;s working hours: Alex Wilber cannot be" in page
        assert [b["timeConstraint"]["activityDomain"] for b in find_bodies(emulator_settings, since)] == ["work"]


class TestSlotCheck:
    def test_the_check_is_one_get_schedule_of_the_members_own_across_the_buffers(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        quiet(emulator_settings, adele, alex)
        set_rules(org, buffer_before_minutes=10, buffer_after_minutes=5)
        start = monday_at(14)
        since = emulator_settings.last_seq()

        check = availability_check_slot(
            organizer=adele, required=[alex], optional=[], start=start, end=start + timedelta(minutes=30)
        )

        assert check.free and check.problems == ()
        assert graph_calls(emulator_settings, since) == [SCHEDULE]
        [body] = [e["body"] for e in emulator_settings.log(since) if e["path"] == "/v1.0/me/calendar/getSchedule"]
        # The same margin as the search reads: the largest buffer beyond either edge.
        assert instant(body["startTime"]) == start - timedelta(minutes=10)
        assert instant(body["endTime"]) == start + timedelta(minutes=40)
        assert body["schedules"] == [adele.user.email, alex.user.email]

    def test_a_colleague_tentative_since_makes_the_slot_not_free_unless_tentative_does_not_block(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        quiet(emulator_settings, adele, alex)
        start = monday_at(14)
        end = start + timedelta(minutes=30)
        plant(emulator_settings, alex.user.email, event(start, 30, "Perhaps", showAs="tentative"))

        taken = availability_check_slot(organizer=adele, required=[alex], optional=[], start=start, end=end)
        set_rules(org, blocking_statuses=["busy", "oof"])
        allowed = availability_check_slot(organizer=adele, required=[alex], optional=[], start=start, end=end)

        assert not taken.free and taken.problems == ("Alex Wilber is no longer free then (tentative).",)
        assert allowed.free

    def test_the_organizer_busy_since_makes_the_slot_not_free(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        quiet(emulator_settings, adele, alex)
        start = monday_at(14)
        plant(emulator_settings, adele.user.email, event(start, 30, "Something came up"))

        check = availability_check_slot(
            organizer=adele, required=[alex], optional=[], start=start, end=start + timedelta(minutes=30)
        )

        assert not check.free and check.problems == ("Adele Vance is no longer free then (busy).",)

    def test_a_colleague_microsoft_cannot_read_is_never_taken_for_free(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        emulator_settings.control(
            "POST",
            "/tenants/contoso.onmicrosoft.com/users",
            {"userPrincipalName": address("Nomail Person"), "displayName": "Nomail Person", "hasMailbox": False},
        )
        quiet(emulator_settings, adele)
        start = monday_at(14)

        check = availability_check_slot(
            organizer=adele,
            required=[member(org, "Nomail Person")],
            optional=[],
            start=start,
            end=start + timedelta(minutes=30),
        )

        assert not check.free
        [problem] = check.problems
        assert problem.startswith("Nomail Person's calendar could not be read (")


def replay(emulator: EmulatorProcess, organizer: Membership, body: dict[str, object]) -> list[dict[str, Any]]:
    """Graph's own suggestions for the body Overlap sent, read apart from Overlap's client."""
    token = delegated_token(emulator, organizer.user.email, "openid offline_access Calendars.Read.Shared")
    suggestions: list[dict[str, Any]] = graph(emulator, "POST", "/me/findMeetingTimes", token, json=body).json()[
        "meetingTimeSuggestions"
    ]
    return suggestions


class TestRulesOnGraphsAnswer:
    def test_the_grid_is_read_on_the_organizers_clock(self) -> None:
        from localtime import grid_start, on_grid

        kolkata = ZoneInfo("Asia/Kolkata")  # UTC+05:30: a whole UTC hour is half past there
        ten_utc = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)

        assert grid_start(ten_utc, timedelta(minutes=60), kolkata) == datetime(2027, 1, 11, 10, 30, tzinfo=UTC)
        assert grid_start(ten_utc + timedelta(seconds=1), timedelta(minutes=15), BERLIN) == ten_utc + timedelta(
            minutes=15
        )
        assert not on_grid(ten_utc, timedelta(minutes=60), kolkata) and on_grid(ten_utc, timedelta(minutes=60), BERLIN)

    def test_graph_is_asked_for_everyone_free_only_when_nobody_is_optional(self) -> None:
        from booking.search.microsoft_offers import attendee_threshold

        assert attendee_threshold(3, 0) == 100
        assert attendee_threshold(2, 1) == 66.66  # Alex and Diego free, Megan (optional) busy still comes back
        assert attendee_threshold(1, 9) == 10
