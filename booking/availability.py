"""Fresh availability for one slot (a stand-in until the booking page's module lands; same names)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from accounts.models import Membership, Organization
from integrations import calendars

_BLOCKING = {"busy", "oof", "tentative", "unknown"}


@dataclass(frozen=True)
class SlotCheck:
    free: bool
    reasons: tuple[str, ...] = ()


def availability_check_slot(
    *,
    organizer: Membership,
    required: Sequence[Membership],
    optional: Sequence[Membership],
    start: datetime,
    end: datetime,
) -> SlotCheck:
    people = [organizer, *required]
    schedules = calendars.free_busy(
        organizer=organizer, people=[p.user.email for p in people], start=start, end=end
    )
    reasons = []
    for person in people:
        schedule = schedules[person.user.email]
        if schedule.error is not None:
            reasons.append(f"{person.user.display_name}: {schedule.error.message}")
        elif any(i.status in _BLOCKING and i.start < end and start < i.end for i in schedule.items):
            reasons.append(f"{person.user.display_name} is busy then.")
    return SlotCheck(free=not reasons, reasons=tuple(reasons))


def availability_forget(*, organization: Organization, people: Sequence[Membership]) -> None:
    return None
