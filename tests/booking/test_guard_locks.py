"""On PostgreSQL, whoever writes a person's holds first takes that person's guard lock, all of a booking's people at
once and in id order: two bookings sharing people, or a booking and the worker rewriting another's holds, then wait
for one another in turn instead of in a circle (a deadlock PostgreSQL breaks with an error the member would see as
a server error: 9 of the proof's 20 racing series once did)."""

from __future__ import annotations

import os
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.models import Booking, Participant
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import book, form, free_slot, world_in
from tests.conftest import Org

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL's locks"),
]

_LOCK = re.compile(r'FROM "accounts_membership" WHERE "accounts_membership"\."id" IN \(([^)]*)\).* FOR NO KEY UPDATE')


def _order(queries: list[dict[str, str]]) -> list[str]:
    """What the queries did to the guard, in order: "lock <ids>", "delete", "insert"."""
    done = []
    for query in (q["sql"] for q in queries):
        locked = _LOCK.search(query)
        if locked:
            done.append("lock " + ",".join(part.strip() for part in locked[1].split(",")))
        elif query.startswith('DELETE FROM "booking_hold"'):
            done.append("delete")
        elif query.startswith('INSERT INTO "booking_hold"'):
            done.append("insert")
    return done


def test_a_booking_locks_all_its_guarded_people_in_id_order_before_its_first_hold(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    start = free_slot(world, [world.megan, world.adele, world.alex])
    with CaptureQueriesContext(connection) as seen:
        response = book(
            world.client(world.megan), world.org, form(start, required=[world.adele, world.alex]), run_tasks=False
        )

    assert response.status_code == 302
    people = sorted(m.pk for m in (world.megan, world.adele, world.alex))
    done = _order(seen.captured_queries)
    assert done[0] == "lock " + ",".join(map(str, people)), done  # all three, lowest id first, before any hold
    assert "insert" in done and all(done[i - 1].startswith("lock") for i, d in enumerate(done) if d == "delete")


def test_rewriting_a_bookings_holds_locks_its_people_before_deleting_them(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    start = free_slot(world, [world.megan, world.adele])
    book(world.client(world.megan), world.org, form(start, required=[world.adele]), run_tasks=False)
    booking = Booking.objects.get()
    guarded = sorted(booking.participants.filter(guarded=True).values_list("membership_id", flat=True))

    with CaptureQueriesContext(connection) as seen:
        booking.hold_times()  # as the worker does when the booking changes state

    assert _order(seen.captured_queries) == ["lock " + ",".join(map(str, guarded)), "delete", "insert"]
    assert booking.holds.count() == 2
    assert Participant.objects.filter(booking=booking, guarded=True).count() == 2
