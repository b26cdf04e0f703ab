"""Whatever is posted to book, a wrong booking is refused with a clear message and nothing is created or sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from accounts.models import Membership
from booking.models import Booking
from integrations.models import Connection
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import World, book, form, free_slot, graph_calls, world_in
from tests.conftest import Org
from tests.factories import MembershipFactory, UserFactory, reach_found


@pytest.fixture
def world(org: Org, emulator_settings: EmulatorProcess) -> World:
    return world_in(org, emulator_settings, "domain_wide")


def _past(w: World, f: dict[str, Any]) -> None:
    f["start"] = "2020-01-06T15:00:00Z"


def _negative(w: World, f: dict[str, Any]) -> None:
    f["minutes"] = "-30"


def _off_grid_duration(w: World, f: dict[str, Any]) -> None:
    f["minutes"] = "31"


def _off_grid_start(w: World, f: dict[str, Any]) -> None:
    f["start"] = f["start"].replace(":00:00Z", ":07:00Z").replace(":30:00Z", ":37:00Z")


def _no_zone(w: World, f: dict[str, Any]) -> None:
    f["start"] = f["start"].rstrip("Z")


def _garbage_start(w: World, f: dict[str, Any]) -> None:
    f["start"] = "next tuesday"


def _unknown_person(w: World, f: dict[str, Any]) -> None:
    f["required"] = ["0c4e7b8a-0000-4000-8000-000000000bad"]


def _not_a_uuid(w: World, f: dict[str, Any]) -> None:
    f["required"] = ["1 OR 1=1"]


def _deactivated(w: World, f: dict[str, Any]) -> None:
    Membership.objects.filter(pk=w.adele.pk).update(is_active=False)


def _other_organization(w: World, f: dict[str, Any]) -> None:
    stranger = UserFactory.create(email="stranger@fabrikam.example")
    MembershipFactory.create(user=stranger)
    f["required"] = [str(stranger.uuid)]


def _outside_the_group(w: World, f: dict[str, Any]) -> None:
    reach_found(w.adele, reachable=False, reason="outside the group")


def _themselves(w: World, f: dict[str, Any]) -> None:
    f["required"] = [str(w.megan.user.uuid)]


def _too_many(w: World, f: dict[str, Any]) -> None:
    people = [MembershipFactory.create(organization=w.org.organization) for _ in range(10)]
    f["optional"] = [str(m.user.uuid) for m in people]


def _nobody(w: World, f: dict[str, Any]) -> None:
    f["required"] = []


def _not_connected(w: World, f: dict[str, Any]) -> None:
    Connection.objects.filter(organization=w.org.organization).update(status=Connection.Status.REVOKED)


CASES: dict[str, tuple[Callable[[World, dict[str, Any]], None], str]] = {
    "a slot in the past": (_past, "This time has passed"),
    "an end before its start": (_negative, "must end after it starts"),
    "a duration off the grid": (_off_grid_duration, "15 to 120 minutes, in steps of 15 minutes"),
    "a start off the grid": (_off_grid_start, "15-minute mark"),
    "a time without its zone": (_no_zone, "time zone"),
    "a start that is no time": (_garbage_start, "not a date and time"),
    "an unknown person": (_unknown_person, "not an active member"),
    "an identifier that is no UUID": (_not_a_uuid, "not known here"),
    "a deactivated person": (_deactivated, "not an active member"),
    "a person of another organization": (_other_organization, "not an active member"),
    "a person outside the security group": (_outside_the_group, "not enabled for Overlap by your admin"),
    "the organizer as their own attendee": (_themselves, "You are the organizer"),
    "more than ten attendees": (_too_many, "at most 10 attendees"),
    "nobody to meet": (_nobody, "at least one colleague"),
    "a connection that is not active": (_not_connected, "Microsoft 365 is revoked"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_wrong_booking_is_refused_with_a_clear_message_and_nothing_happens(case: str, world: World) -> None:
    spoil, message = CASES[case]
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=8)
    fields = form(start, required=[world.adele])
    spoil(world, fields)
    since = world.emulator.last_seq()

    response = book(world.client(world.megan), world.org, fields)

    assert response.status_code in (400, 409)
    assert message in response.content.decode()
    assert Booking.objects.count() == 0
    assert graph_calls(world.emulator, since) == []


def test_a_time_already_booked_through_overlap_for_a_colleague_is_refused(world: World) -> None:
    start = free_slot(world, [world.megan, world.adele, world.alex])
    book(world.client(world.alex), world.org, form(start, required=[world.adele]), run_tasks=False)

    response = book(world.client(world.megan), world.org, form(start + timedelta(minutes=15), required=[world.adele]))

    assert response.status_code == 409
    assert "overlaps another meeting booked through Overlap for Adele Vance" in response.content.decode()
    assert Booking.objects.count() == 1
