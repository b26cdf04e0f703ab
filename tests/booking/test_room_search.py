"""Searching with a room: each time names a fitting room free for all of it, read by getSchedule in both modes,
and the page says why the other rooms were not offered. Against the emulator's demo rooms in two buildings."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

import integrations.calendars as calendars
from accounts.models import Membership
from integrations.models import Room, RoomList
from m365_emulator.testing import EmulatorProcess
from tests.booking.rooms_world import (
    AMSTEL,
    EVERY_ROOM,
    HQ_LIST,
    OSLO,
    VIENNA,
    book_in_outlook,
    clear_rooms,
    linked_rooms,
    room_list,
    rooms_on,
)
from tests.booking.world import connected, graph_calls, member, next_week_days, search_page, set_zone
from tests.conftest import Org, signed_in

FABRIKAM_ROOM = "fab-thames@fabrikam.onmicrosoft.com"


@pytest.fixture(params=["domain_wide", "delegated"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def a_wednesday() -> date:
    return next_week_days()[0] + timedelta(days=2)


def around(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start - timedelta(hours=6), start + timedelta(hours=30)


def adele_with_rooms(org: Org, emulator: EmulatorProcess, mode: str) -> tuple[Membership, Membership, Client]:
    adele = connected(org, emulator, mode, organizer="Adele Vance")
    set_zone(adele, "Europe/Amsterdam")
    rooms_on(org, emulator)
    colleague = member(org, "Diego Ruiz")
    start, end = around(a_wednesday())
    for person in (adele, colleague):
        emulator.clear(person.user.email, start, end)
    clear_rooms(emulator, start, end)
    return adele, colleague, signed_in(adele.user)


def room_search(client: Client, org: Org, colleague: Membership, **extra: str) -> tuple[str, list[datetime]]:
    day = a_wednesday()
    return search_page(client, org, required=[colleague], minutes=30, days=(day, day), **extra)  # type: ignore[arg-type]


class TestTimesWithARoom:
    def test_each_time_names_the_smallest_free_fitting_room_and_the_page_says_why_others_were_not_offered(
        self, org: Org, emulator_settings: EmulatorProcess, mode: str
    ) -> None:
        _, colleague, client = adele_with_rooms(org, emulator_settings, mode)
        start, end = around(a_wednesday())
        book_in_outlook(emulator_settings, OSLO, start, int((end - start).total_seconds() // 60))
        hq = str(room_list(org, HQ_LIST).code)
        ask = {"room_mode": "in_person", "seats": "5", "room_list": hq}
        _, first = room_search(client, org, colleague, **ask)
        assert first, "Adele and Megan share no time on the day"
        book_in_outlook(emulator_settings, VIENNA, first[0], 60)

        page, starts = room_search(client, org, colleague, **ask)

        rooms = linked_rooms(org, page)
        taken = (first[0], first[0] + timedelta(minutes=60))
        assert starts and set(rooms) == set(starts)
        for start_at, address in rooms.items():
            overlaps = start_at < taken[1] and taken[0] < start_at + timedelta(minutes=30)
            assert address == (AMSTEL if overlaps else VIENNA), (start_at, address)
        assert "Room 3.01 Vienna" in page and "Boardroom 4.01 Amstel" in page
        not_offered = re.search(r'<ul id="rooms-not-offered">(.*?)</ul>', page, re.S)
        assert not_offered is not None
        assert re.findall(r"<li>(.*?)</li>", not_offered.group(1)) == [
            "1 room: booked at every suggested time",
            "2 rooms: in another building or room list",
            "4 rooms: too few seats",
        ]
        assert ("with your own calendar access" in page) == (mode == "delegated")

    def test_no_fitting_room_free_when_everyone_can_meet_offers_no_time_and_says_so(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        _, colleague, client = adele_with_rooms(org, emulator_settings, "domain_wide")
        start, end = around(a_wednesday())
        book_in_outlook(emulator_settings, AMSTEL, start, int((end - start).total_seconds() // 60))

        page, starts = room_search(client, org, colleague, room_mode="in_person", seats="12")

        assert starts == []
        assert "No fitting room is free at a time when everyone can meet" in page
        assert "1 room: booked at every suggested time" in page

    def test_hybrid_asks_for_video_and_no_room_is_the_default(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        _, colleague, client = adele_with_rooms(org, emulator_settings, "domain_wide")

        hybrid, _ = room_search(client, org, colleague, room_mode="hybrid", seats="2")
        plain, plain_starts = room_search(client, org, colleague)

        offered = set(linked_rooms(org, hybrid).values())
        with_video = set(
            Room.objects.filter(organization=org.organization, has_video=True).values_list("address", flat=True)
        )
        assert offered and offered <= with_video
        assert "You asked for a room with 2 seats and video, for a hybrid meeting (others join by Teams)." in hybrid
        assert "no video" in hybrid
        assert plain_starts and set(linked_rooms(org, plain).values()) == {""}
        assert 'id="rooms-answer"' not in plain

    def test_a_room_list_of_another_organization_is_refused_and_no_room_is_read(
        self, org: Org, other_org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        _, colleague, client = adele_with_rooms(org, emulator_settings, "domain_wide")
        theirs = RoomList.objects.create(
            organization=other_org.organization, address="rooms@fabrikam.example", name="X"
        )
        since = emulator_settings.last_seq()

        page, starts = room_search(client, org, colleague, room_mode="in_person", room_list=str(theirs.code))

        assert starts == [] and "This is not one of your organization&#x27;s room lists" in page
        assert graph_calls(emulator_settings, since) == []


class TestRoomsFreeBusy:
    def test_every_room_is_read_in_one_request_and_an_address_that_is_not_ours_comes_back_unreadable(
        self, org: Org, emulator_settings: EmulatorProcess, mode: str
    ) -> None:
        adele, _, _ = adele_with_rooms(org, emulator_settings, mode)
        start, _ = around(a_wednesday())
        book_in_outlook(emulator_settings, VIENNA, start + timedelta(hours=10), 60)
        since = emulator_settings.last_seq()

        found = calendars.rooms_free_busy(
            organizer=adele, rooms=[*EVERY_ROOM, FABRIKAM_ROOM], start=start, end=start + timedelta(days=1)
        )

        calls = graph_calls(emulator_settings, since)
        mailbox = "me" if mode == "delegated" else f"users/{emulator_settings.user_id(adele.user.email)}"
        path = f"/v1.0/{mailbox}/calendar/getSchedule"
        assert calls == [f"POST {path}"]
        foreign = found[FABRIKAM_ROOM].error
        assert foreign is not None and foreign.response_code == "no_room"
        assert all(found[r].error is None for r in EVERY_ROOM)
        vienna = [(i.start, i.end, i.status) for i in found[VIENNA].items]
        assert vienna == [(start + timedelta(hours=10), start + timedelta(hours=11), "busy")]
        assert all(found[r].items == () for r in EVERY_ROOM if r != VIENNA)
