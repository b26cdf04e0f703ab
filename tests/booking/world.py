"""An organization connected to the emulator's Contoso, in either mode, and its people as members."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from accounts.models import Membership, User
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import browser, connect, connect_calendar

DOMAIN = "contoso.onmicrosoft.com"


def address(name: str) -> str:
    """ "Megan Bowen" -> megan.bowen@contoso.onmicrosoft.com"""
    return name.lower().replace(" ", ".") + "@" + DOMAIN


def member(org: Org, name: str) -> Membership:
    """The Contoso person of this name as an active member (the directory sync may already have made them)."""
    user, _ = User.objects.get_or_create(email=address(name), defaults={"name": name})
    membership, _ = Membership.objects.get_or_create(user=user, organization=org.organization)
    return membership


def connected(org: Org, emulator: EmulatorProcess, mode: str, organizer: str = "Megan Bowen") -> Membership:
    """The organization connected in `mode`; the organizer's own calendar connected in individual mode."""
    connect(browser(org.admin), org, emulator, mode=mode)
    membership = member(org, organizer)
    if mode == "delegated":
        connect_calendar(browser(membership.user), org, emulator, membership.user.email)
    return membership


def next_week(days: int = 5) -> tuple[datetime, datetime]:
    """Next Monday 00:00 UTC to `days` days later."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today + timedelta(days=7 - today.weekday())
    return monday, monday + timedelta(days=days)
