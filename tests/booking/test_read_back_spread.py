"""The periodic read-back of many meetings: every due meeting in exactly one $batch-sized chunk, chunks of one
mailbox far apart and spread over the round, within Graph's per-mailbox budget (bench.scale_readback runs a
round of 10,000 against the emulator with Outlook's limits on)."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone

from accounts.models import Membership
from booking import readback
from booking.models import Booking
from tests.booking.helpers import at_once
from tests.conftest import Org
from tests.factories import MembershipFactory


def _due(organizer: Membership, count: int) -> list[int]:
    start = timezone.now() + timedelta(hours=3)
    made = Booking.objects.bulk_create(
        Booking(
            organization=organizer.organization,
            organizer=organizer,
            start=start + timedelta(hours=n),
            end=start + timedelta(hours=n, minutes=30),
            subject="Plan",
            state=Booking.State.CONFIRMED,
            event_id=f"AAMk-{organizer.pk}-{n}",
        )
        for n in range(count)
    )
    return [b.pk for b in made]


def test_each_due_meeting_is_planned_once_in_chunks_interleaved_and_spread_over_the_round(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readback, "MAILBOX_REQUESTS_PER_ROUND", 60)
    busy, usual, rare = (MembershipFactory.create(organization=org.organization) for _ in range(3))
    due = {busy.pk: _due(busy, 75), usual.pk: _due(usual, 41), rare.pk: _due(rare, 3)}

    plan = readback.read_back_plan()
    again = readback.read_back_plan()

    planned = [i for chunk in plan for i in chunk.booking_ids]
    assert sorted(planned) == sorted(due[busy.pk][:60] + due[usual.pk] + due[rare.pk])  # once each; busy capped
    assert all(len(c.booking_ids) <= 20 and set(c.booking_ids) <= set(due[c.organizer_id]) for c in plan)
    assert [c.organizer_id for c in plan[:3]] == [busy.pk, usual.pk, rare.pk]  # everyone's first chunk first
    assert all(a.organizer_id != b.organizer_id for a, b in pairwise(plan))  # one mailbox's chunks apart
    countdowns = [c.countdown for c in plan]
    assert countdowns == sorted(countdowns) and countdowns[0] == 0
    assert countdowns[-1] < readback.read_back_round().total_seconds() * readback.SPREAD
    assert [c.booking_ids for c in again] == [tuple(due[busy.pk][60:])]  # the rest; none planned twice


def test_a_chunk_that_could_not_be_read_is_planned_again_next_round(org: Org) -> None:
    organizer = MembershipFactory.create(organization=org.organization)
    _due(organizer, 5)
    (chunk,) = readback.read_back_plan()

    done = readback.read_back_chunk(membership_id=chunk.organizer_id, booking_ids=chunk.booking_ids)

    assert done.paused  # not connected: nothing was read
    assert [c.booking_ids for c in readback.read_back_plan()] == [chunk.booking_ids]


def test_two_plans_at_once_never_queue_one_meeting_twice(org: Org, threads_share_the_database: None) -> None:
    first, second = (MembershipFactory.create(organization=org.organization) for _ in range(2))
    due = _due(first, 300) + _due(second, 300)

    plans = at_once(2, lambda: [i for chunk in readback.read_back_plan() for i in chunk.booking_ids])

    assert sorted(plans[0] + plans[1]) == sorted(due)  # every due meeting queued, and by one plan only
