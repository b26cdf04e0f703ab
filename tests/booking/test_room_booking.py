"""Booking a room with the meeting: a resource attendee with its directory address and a location naming it; a
room taken meanwhile offers another; the room's answer read back; a declined room re-roomed in one click; a move
carries the room along and a cancel frees it. Against the emulator's demo rooms, in both modes."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse

from booking import readback
from booking.models import Booking, RoomPreference
from integrations.models import Room
from tests.booking.helpers import World, book, form, free_slot, meeting_url
from tests.booking.rooms_world import (
    DOMAIN,
    LISBON,
    PUGET,
    TULIP,
    book_in_outlook,
    clear_rooms,
    room,
    rooms_on,
)
from tests.conftest import Org, signed_in


def with_room(world: World, start: datetime, address: str, **ask: str) -> dict[str, Any]:
    fields = form(start, required=[world.adele])
    return fields | {"room_mode": "in_person", "seats": "2", "room": str(room(world.org, address).code)} | ask


def ready(world: World) -> datetime:
    """Rooms on, and a free half hour for Megan, Adele and every room."""
    rooms_on(world.org, world.emulator)
    start = free_slot(world, [world.megan, world.adele])
    clear_rooms(world.emulator, start - timedelta(hours=2), start + timedelta(hours=3))
    return start


def the_event(world: World, booking: Booking) -> dict[str, Any]:
    address = world.megan.user.email
    events = world.emulator.control("GET", f"/tenants/{DOMAIN}/mailboxes/{address}/events")["value"]
    found: dict[str, Any] = next(e for e in events if e["iCalUId"] == booking.ical_uid)
    return found


def resources(event: dict[str, Any]) -> list[str]:
    return [a["emailAddress"]["address"].lower() for a in event["attendees"] if a["type"] == "resource"]


def rooms_answer_and_read_back(world: World, booking: Booking) -> Booking:
    world.emulator.control("POST", "/rooms/answer", {"tenant": DOMAIN})
    readback.read_back(organizer=world.megan, bookings=[Booking.objects.get(pk=booking.pk)])
    return Booking.objects.get(pk=booking.pk)


def holds(org: Org, address: str, start: datetime) -> Booking:
    """Another Overlap booking holding the room at `start` (as the room guard counts it)."""
    organizer = org.organization.memberships.get(user=org.admin)
    return Booking.objects.create(
        organization=org.organization,
        organizer=organizer,
        start=start,
        end=start + timedelta(minutes=30),
        subject="Held",
        room_address=address,
        room_name="Held room",
        room_response="none",
    )


class TestBookingARoom:
    def test_the_room_is_a_resource_attendee_named_in_the_location_and_its_acceptance_is_read_back(
        self, world: World
    ) -> None:
        start = ready(world)

        book(world.client(world.megan), world.org, with_room(world, start, TULIP))

        booking = Booking.objects.get()
        event = the_event(world, booking)
        assert booking.state == Booking.State.CONFIRMED and booking.room_address == TULIP
        assert resources(event) == [TULIP]
        assert event["location"]["displayName"] == "Focus room 1.01 Tulip"
        assert event["location"]["locationEmailAddress"].lower() == TULIP
        assert rooms_answer_and_read_back(world, booking).room_response == "accepted"
        page = world.client(world.megan).get(reverse("meetings", kwargs={"code": world.org.code})).content.decode()
        assert "Focus room 1.01 Tulip" in page and ">accepted<" in page
        preference = RoomPreference.objects.get(membership=world.megan)
        assert preference.building == "Headquarters" and preference.room_list is not None

    def test_a_room_overlap_booked_meanwhile_offers_another_room_for_that_time_instead_of_an_error(
        self, world: World
    ) -> None:
        start = ready(world)
        holds(world.org, TULIP, start)
        client = world.client(world.megan)

        answer = book(client, world.org, with_room(world, start, TULIP))

        assert answer.status_code == 302 and "/book/confirm?" in answer["Location"]
        assert f"room={room(world.org, PUGET).code}" in answer["Location"]  # the next smallest fitting room
        page = client.get(answer["Location"]).content.decode()
        assert "Focus room 1.01 Tulip was booked for this time since you searched. Puget 1 is free then" in page
        assert 'id="room"><strong>Puget 1</strong>' in page
        assert Booking.objects.filter(subject="Quarterly plan").count() == 0

    def test_a_room_booked_in_outlook_before_the_confirmation_gives_way_to_another_free_room(
        self, world: World
    ) -> None:
        start = ready(world)
        book_in_outlook(world.emulator, TULIP, start - timedelta(minutes=15), 60)

        book(world.client(world.megan), world.org, with_room(world, start, TULIP))

        booking = Booking.objects.get()
        assert booking.state == Booking.State.CONFIRMED and booking.room_address == PUGET
        assert resources(the_event(world, booking)) == [PUGET]
        assert booking.history.filter(kind="room_changed").exists()

    def test_a_move_carries_the_room_along_and_a_cancel_frees_it(self, world: World) -> None:
        start = ready(world)
        book(world.client(world.megan), world.org, with_room(world, start, TULIP))
        booking = rooms_answer_and_read_back(world, Booking.objects.get())
        later = start + timedelta(hours=1)
        client = world.client(world.megan)

        client.post(meeting_url(booking, "meeting_reschedule"), {"start": later.isoformat(), "minutes": "30"})

        booking.refresh_from_db()
        assert (booking.start, booking.room_address, booking.room_response) == (later, TULIP, "none")
        assert resources(the_event(world, booking)) == [TULIP]
        client.post(meeting_url(booking, "meeting_cancel"), {"confirm": "yes"})
        with transaction.atomic():
            assert holds(world.org, TULIP, later).pk  # the guard lets the room go with the cancelled meeting
        booking.refresh_from_db()
        assert booking.state == Booking.State.CANCELLED


class TestADeclinedRoom:
    def declined(self, world: World) -> Booking:
        start = ready(world)
        path = f"/tenants/{DOMAIN}/rooms/{TULIP}/policy"
        world.emulator.control("POST", path, {"MaximumDurationInMinutes": 15})  # it declines a half hour
        book(world.client(world.megan), world.org, with_room(world, start, TULIP))
        booking = rooms_answer_and_read_back(world, Booking.objects.get())
        assert booking.room_response == "declined"
        return booking

    def test_my_meetings_shows_it_and_one_click_books_another_room_for_the_same_time(self, world: World) -> None:
        booking = self.declined(world)
        client = world.client(world.megan)
        page = client.get(reverse("meetings", kwargs={"code": world.org.code})).content.decode()
        assert ">declined<" in page and "Find another room for this time" in page

        after = client.post(meeting_url(booking, "meeting_reroom"), follow=True).content.decode()

        booking.refresh_from_db()
        assert booking.room_address == PUGET and booking.room_response == "none"
        assert "Puget 1 is booked for this meeting" in html.unescape(after)
        event = the_event(world, booking)
        assert resources(event) == [PUGET] and event["location"]["displayName"] == "Puget 1"
        assert [a["emailAddress"]["address"] for a in event["attendees"] if a["type"] != "resource"] == [
            world.adele.user.email
        ]
        assert rooms_answer_and_read_back(world, booking).room_response == "accepted"

    def test_an_outsider_gets_404_and_an_attendee_who_is_not_the_organizer_403(
        self, world: World, other_org: Org
    ) -> None:
        booking = self.declined(world)

        outsider = signed_in(other_org.admin).post(meeting_url(booking, "meeting_reroom"))
        attendee = world.client(world.adele).post(meeting_url(booking, "meeting_reroom"))

        assert (outsider.status_code, attendee.status_code) == (404, 403)
        booking.refresh_from_db()
        assert booking.room_address == TULIP


def test_a_room_of_another_organization_cannot_be_booked(world: World, other_org: Org) -> None:
    start = ready(world)
    theirs = Room.objects.create(organization=other_org.organization, address=LISBON, name="Their Lisbon", capacity=9)
    fields = with_room(world, start, TULIP) | {"room": str(theirs.code)}

    answer = book(world.client(world.megan), world.org, fields)

    assert answer.status_code == 400 and "not one of your organization" in html.unescape(answer.content.decode())
    assert not Booking.objects.exists()
