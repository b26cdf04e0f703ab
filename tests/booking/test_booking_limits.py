"""A member who books in a loop is held back at the limit: nothing past it reaches Microsoft or the database."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.test import Client
from django.urls import reverse

from booking.models import Booking
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import MEGAN, book, form, world_in
from tests.conftest import Org
from tests.proof.world import quiet_slots


def _creates(emulator: EmulatorProcess, since: int) -> int:
    return sum(1 for c in emulator.log(since) if c["method"] == "POST" and c["path"].endswith("/events"))


def test_forty_bookings_in_a_few_seconds_stop_at_twenty_an_hour(
    org: Org, other_org: Org, emulator_settings: EmulatorProcess, outsider_client: Client
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    megan = world.client(world.megan)
    since = emulator_settings.last_seq()

    with time_machine.travel(datetime.now(UTC), tick=False):  # the limit counts in fixed windows: all in one
        answers = [
            book(megan, org, form(slot.start, required=[world.adele], subject=f"Flood {n}"))
            for n, slot in enumerate(quiet_slots(40))
        ]

    assert [a.status_code for a in answers] == [302] * 20 + [429] * 20
    assert "bookings and reschedules (20 an hour). Try again in" in answers[-1].text
    assert Booking.objects.filter(organizer__user__email=MEGAN).count() == 20
    assert _creates(emulator_settings, since) == 20
    # Another member's bookings are counted apart; the outsider still reaches only their own organization.
    adele = world.client(world.adele)
    assert book(adele, org, form(quiet_slots(41)[40].start, required=[world.alex])).status_code == 302
    assert outsider_client.post(reverse("booking_create", kwargs={"code": org.code})).status_code == 404
