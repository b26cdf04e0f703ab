"""A series' people against the emulator: Oliver organizes in London, Alex works in New York, both 09:00-17:00,
their calendars cleared over the whole horizon (the demo calendars are drawn anew, nothing may be assumed free)."""

from __future__ import annotations

from datetime import UTC, datetime

from accounts.models import Membership
from m365_emulator.testing import EmulatorProcess
from tests.booking.world import connected, member, set_zone
from tests.conftest import Org

NOW = datetime(2027, 2, 22, 9, tzinfo=UTC)  # before both March 2027 changes: US on the 14th, Europe on the 28th
CLEARED = (datetime(2027, 2, 26, tzinfo=UTC), datetime(2027, 9, 1, tzinfo=UTC))


def london_and_new_york(
    org: Org, emulator: EmulatorProcess, mode: str = "domain_wide"
) -> tuple[Membership, Membership]:
    """Oliver (the organizer, page zone Europe/London) and Alex, with nothing in their calendars over `CLEARED`.
    Call it on the frozen clock (`NOW`)."""
    oliver = connected(org, emulator, mode, organizer="Oliver Smith")
    alex = member(org, "Alex Wilber")
    set_zone(oliver, "Europe/London")
    for person in (oliver, alex):
        emulator.clear(person.user.email, *CLEARED)
    return oliver, alex
