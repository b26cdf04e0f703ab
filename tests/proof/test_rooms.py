"""Rooms raced: members book the last free fitting room at one time, at the same instant, through the real page,
on PostgreSQL with a real worker; each with a colleague of their own, so only the room is contested → exactly one
booking holds the room (in the database and in the room's calendar at Microsoft, where the room accepts it),
everyone else is offered another room or refused with the reason, and no room is double-booked."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Membership
from booking import readback
from booking.models import Booking
from booking.services import ROOM_HELD
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import form, world_in
from tests.booking.rooms_world import (
    AMSTEL,
    DOMAIN,
    HQ_LIST,
    VIENNA,
    book_in_outlook,
    clear_rooms,
    room,
    room_list,
    rooms_on,
)
from tests.conftest import Org
from tests.integrations.helpers import browser
from tests.proof.conftest import figure, promise
from tests.proof.world import mailbox, posted_at_once, quiet_slots, wait_until

pytestmark = [pytest.mark.proof, pytest.mark.django_db(transaction=True)]

RACERS = int(os.environ.get("PROOF_ROOM_RACERS", "10"))
SUBJECT = "Proof room race"


def _instant(value: dict[str, str]) -> datetime:
    return datetime.fromisoformat(value["dateTime"][:26]).replace(tzinfo=UTC)  # the control API answers in UTC


def _held_in_calendar(emulator: EmulatorProcess, address: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The bookings the room's own calendar holds over [start, end) (a declined or cancelled one holds nothing)."""
    return [
        event
        for event in mailbox(emulator, address)
        if not event.get("isCancelled")
        and event.get("showAs") != "free"
        and _instant(event["start"]) < end
        and start < _instant(event["end"])
    ]


def _held_in_database(org: Org, address: str, start: datetime, end: datetime) -> int:
    held = Booking.objects.filter(
        organization=org.organization, room_address=address, state__in=ROOM_HELD, start__lt=end, end__gt=start
    )
    return held.exclude(room_response="declined").count()


def _pairs(org: Org, count: int) -> list[tuple[Membership, Membership]]:
    """`count` organizers, each with a colleague of their own: nobody is in two of the racing meetings."""
    people = list(
        Membership.objects.filter(organization=org.organization, is_active=True, user__email__endswith=".com")
        .select_related("user")
        .order_by("user__email")
    )
    promise(len(people) >= 2 * count, f"the demo directory has two people per racer: {len(people)} for {count}")
    return [(people[2 * i], people[2 * i + 1]) for i in range(count)]


def test_members_racing_for_the_last_free_fitting_room_leave_it_held_once_and_nobody_double_booked(
    org: Org, emulator_settings: EmulatorProcess, request: pytest.FixtureRequest
) -> None:
    emulator = emulator_settings
    world_in(org, emulator, "domain_wide")
    rooms_on(org, emulator)
    slot = quiet_slots(4)[2]  # a Saturday morning nobody's calendar holds anything on
    start, end = slot.start, slot.end
    pairs = _pairs(org, RACERS)
    for organizer, colleague in pairs:
        for person in (organizer, colleague):
            emulator.clear(person.user.email, start - timedelta(hours=2), end + timedelta(hours=2))
    clear_rooms(emulator, start - timedelta(hours=2), end + timedelta(hours=2))
    # Eight seats at headquarters: Vienna (8) and Amstel (12) fit; Amstel is taken in Outlook, Vienna is the last.
    book_in_outlook(emulator, AMSTEL, start - timedelta(minutes=15), 60)
    request.getfixturevalue("worker_process")  # from here the confirmations run in a real worker, through Redis
    url = reverse("booking_create", kwargs={"code": org.organization.code})
    ask = {"room_mode": "in_person", "seats": "8", "room_list": str(room_list(org, HQ_LIST).code)}
    ask["room"] = str(room(org, VIENNA).code)  # the room each racer's page offered
    requests = [
        (browser(organizer.user), form(start, required=[colleague], subject=f"{SUBJECT} {i:02d}") | ask)
        for i, (organizer, colleague) in enumerate(pairs)
    ]
    answers = posted_at_once(url, requests)

    booked = [where for status, where, _ in answers if status == 302 and "/book/confirm" not in where]
    offered = [where for status, where, _ in answers if status == 302 and "/book/confirm" in where]
    told_why = [body for status, _, body in answers if status == 409 and "was booked for this time since" in body]
    standing = Booking.objects.filter(organization=org.organization, subject__startswith=SUBJECT)
    settled = wait_until(lambda: not standing.filter(state=Booking.State.PENDING).exists(), timeout=90, every=1)
    emulator.control("POST", "/rooms/answer", {"tenant": DOMAIN})  # the rooms answer their invitations
    for booking in standing.filter(state=Booking.State.CONFIRMED):
        readback.read_back(organizer=booking.organizer, bookings=[booking])
    winner = standing.filter(state=Booking.State.CONFIRMED, room_address=VIENNA).first()
    in_calendar = {address: _held_in_calendar(emulator, address, start, end) for address in (VIENNA, AMSTEL)}
    in_database = {address: _held_in_database(org, address, start, end) for address in (VIENNA, AMSTEL)}
    double_booked = sum(len(events) > 1 for events in in_calendar.values()) + sum(n > 1 for n in in_database.values())
    statuses = Counter(status for status, _, _ in answers)
    figure(
        "rooms raced",
        f"{RACERS} bookings of the last free fitting room at one time (each with a colleague of their own), on "
        f"PostgreSQL with a real worker: {len(booked)} booked, {len(offered)} offered another room, "
        f"{len(told_why)} refused and told why; {in_database[VIENNA]} room held, {double_booked} double-booked "
        f"(room calendars: Vienna {len(in_calendar[VIENNA])}, Amstel {len(in_calendar[AMSTEL])} booked in Outlook); "
        f"answers {dict(statuses)}",
    )

    promise(len(answers) == RACERS, f"every request is answered: {len(answers)} of {RACERS}")
    promise(statuses[500] == 0, "no server error under the race")
    promise(len(booked) == 1 and standing.count() == 1, f"exactly one booking is made: {dict(statuses)}")
    promise(
        len(offered) + len(told_why) == RACERS - 1,
        f"everyone else is offered another room or told why: {len(offered) + len(told_why)} of {RACERS - 1}",
    )
    promise(settled and winner is not None, "the one booking is confirmed with the room it raced for")
    assert winner is not None
    promise(winner.room_response == "accepted", f"the room accepts it: {winner.room_response!r}")
    promise(double_booked == 0, f"no room is double-booked: {in_calendar}, {in_database}")
    promise(
        [e["iCalUId"] for e in in_calendar[VIENNA]] == [winner.ical_uid],
        "the room's calendar holds the one booking, and it is the winner's",
    )
