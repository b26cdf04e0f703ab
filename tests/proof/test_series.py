"""Series: weekly series booked through a real worker while Microsoft loses replies and throttles and while the
whole worker is killed and replaced → none lost, no series made twice, each near miss's skipped week cancelled
exactly once; and members racing for the same weekly slot of one person, some from a week later (the series
overlap only on later occurrences), on PostgreSQL → exactly one series stands."""

from __future__ import annotations

import os
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from booking import services, sweep
from booking.engine.recurrence import Recurrence
from booking.models import Booking, BookingOccurrence
from booking.occurrences import NearMiss
from booking.search.availability import member_zone
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import ADELE, MEGAN, form, world_in
from tests.conftest import Org
from tests.integrations.helpers import browser
from tests.proof.conftest import PROOF_VISIBILITY_TIMEOUT, WorkerProcess, figure, promise
from tests.proof.world import meetings_by_subject, pending, posted_at_once, quiet_slots, racers, wait_until

pytestmark = [pytest.mark.proof, pytest.mark.django_db(transaction=True)]

SERIES = int(os.environ.get("PROOF_SERIES", "16"))
WEEKS = 6
LOST_REPLIES, THROTTLED = 4, 4
RACERS = 20


def _undone(bookings: list[Booking]) -> int:
    return BookingOccurrence.objects.filter(booking__in=bookings, state__in=BookingOccurrence.UNDONE).count()


def test_series_under_faults_are_none_lost_none_doubled_and_each_skipped_week_is_cancelled_once(
    org: Org, emulator_settings: EmulatorProcess, request: pytest.FixtureRequest
) -> None:
    emulator = emulator_settings
    world = world_in(org, emulator, "domain_wide")
    worker: WorkerProcess = request.getfixturevalue("worker_process")
    slots, zone = quiet_slots(SERIES), member_zone(world.megan)
    for address in (MEGAN, ADELE):
        emulator.clear(address, slots[0].start - timedelta(days=1), slots[-1].end + timedelta(weeks=WEEKS))
    since = emulator.last_seq()
    emulator.control("POST", "/latency", {"ms": 60})  # calls take a while, so a kill lands inside a task
    emulator.control("POST", "/lost-replies", {"mailbox": MEGAN, "count": LOST_REPLIES})
    emulator.control("POST", "/throttle", {"mailbox": MEGAN, "count": THROTTLED, "retry_after": 1})

    bookings, skipping = [], []
    for i, slot in enumerate(slots):
        day = slot.start.astimezone(zone).date()
        near_miss = NearMiss(skip=frozenset({day + timedelta(weeks=2)})) if i % 2 else NearMiss()
        recurrence = Recurrence("weekly", day, days=frozenset({day.weekday()}), count=WEEKS)
        booking = services.booking_create(
            organizer=world.megan,
            required=[world.adele],
            optional=[],
            slot=slot,
            subject=f"Proof series {i:02d}",
            recurrence=recurrence,
            near_miss=near_miss,
        )
        bookings.append(booking)
        if near_miss:
            skipping.append(booking)
    wait_until(lambda: Booking.objects.filter(pk__in=[b.pk for b in bookings], state="confirmed").exists(), timeout=30)
    busy = pending(bookings) + _undone(bookings)
    worker.kill_whole_and_replace(wait=PROOF_VISIBILITY_TIMEOUT)  # the tasks it held come back from Redis

    def settled() -> bool:
        sweep.pending_sweep(older_than=timedelta(seconds=20))  # as the beat does every minute
        return pending(bookings) == 0 and _undone(bookings) == 0

    done = wait_until(settled, timeout=200, every=2)

    states = {b.pk: b for b in Booking.objects.filter(pk__in=[b.pk for b in bookings])}
    confirmed = [b for b in states.values() if b.state == Booking.State.CONFIRMED]
    lost = [b for b in states.values() if b.state not in (Booking.State.CONFIRMED, Booking.State.FAILED)]
    organizer, attendee = meetings_by_subject(emulator, MEGAN), meetings_by_subject(emulator, ADELE)
    duplicates = sum(max(organizer[b.subject] - 1, 0) + max(attendee[b.subject] - 1, 0) for b in states.values())
    missing = [b for b in confirmed if organizer[b.subject] != 1 or attendee[b.subject] != 1]
    cancels = Counter(e["path"] for e in emulator.log(since) if e["method"] == "POST" and e["path"].endswith("/cancel"))
    skipped_confirmed = [b for b in skipping if states[b.pk].state == Booking.State.CONFIRMED]
    figure(
        "series",
        f"{SERIES} weekly series of {WEEKS} by a real worker ({len(skipping)} with a week skipped), "
        f"{LOST_REPLIES} create replies lost, {THROTTLED} x 429, the whole worker killed and replaced while "
        f"{busy} creates or skips were still to do: {len(confirmed)} confirmed, {len(lost)} lost, {duplicates} "
        f"duplicate series, {sum(cancels.values())} occurrence cancels for {len(skipped_confirmed)} skipped weeks "
        f"({sum(n - 1 for n in cancels.values())} sent twice)",
    )

    promise(done and not lost, f"no series is lost: {len(lost)} still {sorted({b.state for b in lost})}")
    promise(duplicates == 0, f"no series is made twice: {duplicates} duplicates in the mailboxes")
    promise(not missing, f"a confirmed series has its one event in each mailbox: {[b.subject for b in missing]}")
    promise(busy > 0 and worker.replaced == 1, "the whole worker was killed while work was still to do")
    promise(
        len(cancels) == len(skipped_confirmed) and all(n == 1 for n in cancels.values()),
        f"each skipped week is cancelled exactly once: {dict(cancels)}",
    )
    promise(len(confirmed) >= SERIES * 0.9, f"most series are confirmed: {len(confirmed)} of {SERIES}")


def test_members_racing_for_one_persons_weekly_slot_leave_exactly_one_series_even_a_week_apart(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    organizers = racers(org.organization, besides=ADELE)
    base = quiet_slots(4)[2].start  # a Saturday morning nobody's calendar holds anything on
    url = reverse("booking_create", kwargs={"code": org.organization.code})
    series = {"repeats": "weekly", "ends": "count", "occurrences": str(WEEKS)}
    requests: list[tuple[Any, dict[str, Any]]] = []
    for i in range(RACERS):
        # Half start a week later: their series meets the others' only from its second occurrence on.
        start = base + timedelta(weeks=i % 2)
        fields = {**form(start, required=[world.adele], subject=f"Proof series race {i:02d}"), **series}
        requests.append((browser(organizers[i % len(organizers)].user), fields))
    answers = posted_at_once(url, requests)

    statuses = Counter(status for status, _, _ in answers)
    told_why = [b for s, _, b in answers if s == 409 and "overlaps another meeting booked through Overlap" in b]
    standing = Booking.objects.filter(organization=org.organization, state__in=Booking.ACTIVE)
    figure(
        "series races",
        f"{RACERS} simultaneous requests to book a weekly series with Adele at one time of day, half starting a "
        f"week later: {statuses[302]} booked, {len(told_why)} refused with 409 and told why; answers {dict(statuses)}",
    )
    promise(len(answers) == RACERS, f"every request is answered: {len(answers)} of {RACERS}")
    promise(statuses[302] == 1 and standing.count() == 1, f"exactly one series stands: {dict(statuses)}")
    promise(len(told_why) == RACERS - 1, f"everyone else is told why: {len(told_why)} of {RACERS - 1}")
    promise(statuses[500] == 0, "no server error under the race")
