"""Races: many members book the same colleague at overlapping times at the same instant, through the real page,
on PostgreSQL → exactly one booking stands and is confirmed; everyone else is told why."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from booking.models import Booking
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import ADELE, form, world_in
from tests.conftest import Org
from tests.integrations.helpers import browser
from tests.proof.conftest import figure, promise
from tests.proof.world import meetings_by_subject, posted_at_once, quiet_slots, racers

pytestmark = [pytest.mark.proof, pytest.mark.django_db(transaction=True)]

REQUESTS = 50


def test_fifty_simultaneous_bookings_of_one_person_leave_exactly_one_and_tell_the_others_why(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    organizers = racers(org.organization, besides=ADELE)
    base = quiet_slots(4)[2].start  # a Saturday morning nobody's calendar holds anything on
    url = reverse("booking_create", kwargs={"code": org.organization.code})
    requests: list[tuple[Any, dict[str, Any]]] = []
    for i in range(REQUESTS):
        # Half ask for 09:00-09:30, half for 08:30-09:30: every pair overlaps for Adele.
        start, minutes = (base, 30) if i % 2 else (base - timedelta(minutes=30), 60)
        fields = form(start, minutes=minutes, required=[world.adele], subject=f"Proof race {i:02d}")
        requests.append((browser(organizers[i % len(organizers)].user), fields))
    answers = posted_at_once(url, requests)

    statuses = Counter(status for status, _, _ in answers)
    refused = [body for status, _, body in answers if status == 409]
    told_why = [body for body in refused if "overlaps another meeting booked through Overlap" in body]
    standing = Booking.objects.filter(organization=org.organization, state__in=Booking.ACTIVE)
    confirmed = standing.filter(state=Booking.State.CONFIRMED)
    subjects = meetings_by_subject(emulator_settings, ADELE)
    in_mailbox = sum(n for subject, n in subjects.items() if subject.startswith("Proof race"))
    figure(
        "races",
        f"{REQUESTS} simultaneous requests ({len({c for c, _ in requests})} clients, {len(organizers)} organizers) "
        f"to book Adele at overlapping times on PostgreSQL: {statuses[302]} booked, {confirmed.count()} confirmed, "
        f"{len(refused)} refused with 409, {len(told_why)} of them told why; {in_mailbox} meeting in Adele's calendar; "
        f"answers {dict(statuses)}",
    )

    promise(len(answers) == REQUESTS, f"every request is answered: {len(answers)} of {REQUESTS}")
    promise(statuses[302] == 1 and standing.count() == 1, f"exactly one booking stands: {dict(statuses)}")
    promise(confirmed.count() == 1 and in_mailbox == 1, "the one booking is confirmed, one meeting in the calendar")
    promise(len(told_why) == REQUESTS - 1, f"everyone else is told why: {len(told_why)} of {REQUESTS - 1}")
    promise(statuses[500] == 0, "no server error under the race")
