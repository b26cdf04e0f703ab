"""Individual mode: availability only from Microsoft's findMeetingTimes, as the emulator's request log shows it."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Membership
from booking.availability import availability_check_slot
from booking.rules import booking_rules_of
from m365_emulator.testing import EmulatorProcess
from tests.booking.world import (
    address,
    connected,
    event,
    find_bodies,
    graph_calls,
    member,
    next_week_days,
    plant,
    search_page,
    set_zone,
)
from tests.conftest import Org, signed_in
from tests.emulator.helpers import delegated_token, graph

FIND = "POST /v1.0/me/findMeetingTimes"
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
    def test_a_search_is_one_find_meeting_times_with_required_and_optional_attendees_and_no_free_busy(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex, diego = member(org, "Alex Wilber"), member(org, "Diego Ruiz")
        since = emulator_settings.last_seq()

        page, starts = search_page(signed_in(adele.user), org, required=[alex], optional=[diego])

        assert starts, page
        assert graph_calls(emulator_settings, since) == [FIND]
        [body] = find_bodies(emulator_settings, since)
        assert body["attendees"] == [
            {"type": "required", "emailAddress": {"address": alex.user.email}},
            {"type": "optional", "emailAddress": {"address": diego.user.email}},
        ]
        assert body["timeConstraint"]["activityDomain"] == "work"
        assert body["minimumAttendeePercentage"] == 50  # Graph weighs Diego like Alex; Overlap checks Alex itself
        assert body["maxCandidates"] == 30 and body["returnSuggestionReasons"] is True
        assert "Confidence 100%" in page and "Alex Wilber: free" in page and "Diego Ruiz (optional):" in page
        assert "Suggested because it is one of the nearest times when all attendees are available." in page

    def test_only_required_colleagues_ask_graph_for_everyone_free(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        since = emulator_settings.last_seq()

        search_page(signed_in(adele.user), org, required=[member(org, "Alex Wilber"), member(org, "Diego Ruiz")])

        [body] = find_bodies(emulator_settings, since)
        assert body["minimumAttendeePercentage"] == 100
        assert [a["type"] for a in body["attendees"]] == ["required", "required"]

    def test_the_best_times_keep_graphs_order(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex, diego = member(org, "Alex Wilber"), member(org, "Diego Ruiz")
        first, _ = next_week_days()
        monday = datetime(first.year, first.month, first.day, 13, tzinfo=UTC)
        plant(emulator_settings, diego.user.email, event(monday, 120, "Diego's long lunch"))  # optional, busy early
        since = emulator_settings.last_seq()

        page, _ = search_page(signed_in(adele.user), org, required=[alex], optional=[diego])

        [body] = find_bodies(emulator_settings, since)
        token = delegated_token(emulator_settings, adele.user.email, "openid offline_access Calendars.Read.Shared")
        replayed = graph(emulator_settings, "POST", "/me/findMeetingTimes", token, json=body).json()
        alex_free = [
            instant(s["meetingTimeSlot"]["start"])
            for s in replayed["meetingTimeSuggestions"]
            if s["organizerAvailability"] == "free" and s["attendeeAvailability"][0]["availability"] == "free"
        ]
        shown = best_starts(page)
        assert shown == alex_free and len(shown) > 2  # Graph's order, less the times Alex cannot make
        assert shown != sorted(shown), "Diego's lunch makes Graph's order differ from the clock's"

    def test_a_time_when_the_organizer_is_tentative_is_left_out_with_a_note_unless_tentative_does_not_block(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        client = signed_in(adele.user)
        _, before = search_page(client, org, required=[alex])
        maybe = before[0]
        plant(emulator_settings, adele.user.email, event(maybe, 30, "Maybe a dentist", showAs="tentative"))

        page, starts = search_page(client, org, required=[alex])
        set_rules(org, blocking_statuses=["busy", "oof"])
        relaxed, relaxed_starts = search_page(client, org, required=[alex])

        assert maybe not in starts and starts
        assert "Left out 1 of Microsoft 365&#x27;s" in page and "suggestions: 1 when you are tentative" in page
        assert "(your organization counts tentative as busy)" in page
        assert maybe in relaxed_starts and "you: tentative" in relaxed and "Left out" not in relaxed

    def test_a_required_colleague_working_elsewhere_is_left_out_when_the_organization_says_it_blocks(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        client = signed_in(adele.user)
        _, before = search_page(client, org, required=[alex])
        plant(emulator_settings, alex.user.email, event(before[0], 30, "From home", showAs="workingElsewhere"))
        set_rules(org, blocking_statuses=["busy", "oof", "tentative", "workingElsewhere"])

        page, starts = search_page(client, org, required=[alex])

        assert before[0] not in starts and starts
        assert "1 when Alex Wilber is working elsewhere (your organization counts working elsewhere as busy)" in page

    def test_starts_off_the_organizations_grid_are_left_out(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        set_rules(org, granularity_minutes=60, default_duration_minutes=60)

        page, starts = search_page(signed_in(adele.user), org, required=[member(org, "Diego Ruiz")], minutes=60)

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

    def test_colleagues_local_times_come_from_their_profile_and_only_when_known(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex, diego = member(org, "Alex Wilber"), member(org, "Diego Ruiz")
        set_zone(alex, "America/New_York")

        page, starts = search_page(signed_in(adele.user), org, required=[alex], optional=[diego])

        eastern = starts[0].astimezone(ZoneInfo("America/New_York"))
        assert f'<span class="local">· {eastern:%H:%M} for Alex Wilber (America/New_York)</span>' in page
        assert "for Diego Ruiz" not in page  # no zone stored: only Adele's own time

    def test_a_person_allowed_outside_their_hours_is_told_microsoft_keeps_everyones_hours(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        since = emulator_settings.last_seq()

        page, starts = search_page(signed_in(adele.user), org, required=[alex], widen=[str(alex.user.uuid)])

        assert starts
        assert "Microsoft 365&#x27;s suggestions keep everyone&#x27;s working hours: Alex Wilber cannot be" in page
        assert [b["timeConstraint"]["activityDomain"] for b in find_bodies(emulator_settings, since)] == ["work"]


class TestSlotCheck:
    def test_the_check_is_one_find_meeting_times_for_exactly_the_slot_with_its_buffers(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        _, starts = search_page(signed_in(adele.user), org, required=[alex])
        set_rules(org, buffer_before_minutes=10, buffer_after_minutes=5)
        start = starts[0]
        since = emulator_settings.last_seq()

        check = availability_check_slot(
            organizer=adele, required=[alex], optional=[], start=start, end=start + timedelta(minutes=30)
        )

        assert check.free and check.problems == ()
        assert graph_calls(emulator_settings, since) == [FIND]
        [body] = find_bodies(emulator_settings, since)
        [window] = body["timeConstraint"]["timeSlots"]
        assert instant(window["start"]) == start - timedelta(minutes=10)
        assert instant(window["end"]) == start + timedelta(minutes=35)
        assert body["timeConstraint"]["activityDomain"] == "unrestricted"
        assert body["meetingDuration"] == "PT0H30M"
        assert [a["emailAddress"]["address"] for a in body["attendees"]] == [alex.user.email]

    def test_a_colleague_tentative_since_makes_the_slot_not_free_unless_tentative_does_not_block(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        _, starts = search_page(signed_in(adele.user), org, required=[alex])
        start, end = starts[0], starts[0] + timedelta(minutes=30)
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
        _, starts = search_page(signed_in(adele.user), org, required=[alex])
        start = starts[0]
        plant(emulator_settings, adele.user.email, event(start, 30, "Something came up"))

        check = availability_check_slot(
            organizer=adele, required=[alex], optional=[], start=start, end=start + timedelta(minutes=30)
        )

        assert not check.free and check.problems == ("You are no longer free then.",)

    def test_a_colleague_microsoft_cannot_read_is_never_taken_for_free(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        emulator_settings.control(
            "POST",
            "/tenants/contoso.onmicrosoft.com/users",
            {"userPrincipalName": address("Nomail Person"), "displayName": "Nomail Person", "hasMailbox": False},
        )
        start = datetime.combine(next_week_days()[0], datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)

        check = availability_check_slot(
            organizer=adele,
            required=[member(org, "Nomail Person")],
            optional=[],
            start=start,
            end=start + timedelta(minutes=30),
        )

        assert not check.free
        assert check.problems == ("Microsoft 365 could not tell whether Nomail Person is free then.",)


class TestRulesOnGraphsAnswer:
    def test_the_grid_is_read_on_the_organizers_clock(self) -> None:
        from booking.delegated import grid_start, on_grid

        kolkata = ZoneInfo("Asia/Kolkata")  # UTC+05:30: a whole UTC hour is half past there
        ten_utc = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)

        assert grid_start(ten_utc, timedelta(minutes=60), kolkata) == datetime(2027, 1, 11, 10, 30, tzinfo=UTC)
        assert grid_start(ten_utc + timedelta(seconds=1), timedelta(minutes=15), BERLIN) == ten_utc + timedelta(
            minutes=15
        )
        assert not on_grid(ten_utc, timedelta(minutes=60), kolkata) and on_grid(ten_utc, timedelta(minutes=60), BERLIN)

    def test_graph_is_asked_for_everyone_free_only_when_nobody_is_optional(self) -> None:
        from booking.delegated import attendee_threshold

        assert attendee_threshold(3, 0) == 100
        assert attendee_threshold(2, 1) == 66.66  # Alex and Diego free, Megan (optional) busy still comes back
        assert attendee_threshold(1, 9) == 10
