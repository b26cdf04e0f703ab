"""Booking through the pages against the Microsoft 365 emulator: people, free slots, what each calendar holds."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.db import connection
from django.test import Client, TestCase
from django.urls import reverse

from accounts.models import Membership, User
from booking.models import Booking
from integrations.models import Connection
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import browser, connect, connect_calendar, in_directory

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
ADELE = "adele.vance@contoso.onmicrosoft.com"
ALEX = "alex.wilber@contoso.onmicrosoft.com"
T = TypeVar("T")


@dataclass
class World:
    org: Org
    emulator: EmulatorProcess
    mode: str
    megan: Membership
    adele: Membership
    alex: Membership

    @property
    def delegated(self) -> bool:
        return self.mode == "delegated"

    def client(self, membership: Membership) -> Client:
        return browser(membership.user)


def member(org: Org, address: str, name: str) -> Membership:
    user, _ = User.objects.get_or_create(email=address, defaults={"name": name})
    membership, _ = Membership.objects.get_or_create(user=user, organization=org.organization)
    return in_directory(membership)


def directory_synced(org: Org, timeout: float = 30) -> None:
    """Wait for the directory sync that consent starts: with a real worker it runs beside the test, and the test
    must not link people to their records while the sync is doing the same (eagerly, it has already run)."""
    deadline = time.monotonic() + timeout
    while not Connection.objects.filter(organization=org.organization, last_sync_at__isnull=False).exists():
        assert time.monotonic() < deadline, "the directory sync did not finish"
        time.sleep(0.1)


def world_in(org: Org, emulator: EmulatorProcess, mode: str) -> World:
    """Contoso connected in `mode`; Megan (who books) has her calendar connected in individual mode."""
    connect(browser(org.admin), org, emulator, mode=mode)
    if mode == "domain_wide":
        directory_synced(org)
    megan = member(org, MEGAN, "Megan Bowen")
    if mode == "delegated":
        connect_calendar(browser(megan.user), org, emulator, MEGAN)
    return World(org, emulator, mode, megan, member(org, ADELE, "Adele Vance"), member(org, ALEX, "Alex Wilber"))


def free_slot(world: World, people: list[Membership], *, minutes: int = 30, days: int = 9) -> datetime:
    """16:00 UTC on the `days`-th weekday from today, made free in everyone's calendar: the demo calendars are
    drawn anew each week, so a test plants the free time it needs instead of hoping to find some."""
    start = datetime.now(UTC).replace(hour=16, minute=0, second=0, microsecond=0)
    while days:
        start += timedelta(days=1)
        days -= start.weekday() < 5
    for person in people:
        world.emulator.clear(person.user.email, start - timedelta(hours=2), start + timedelta(minutes=minutes, hours=2))
    return start


def form(
    start: datetime,
    *,
    minutes: int = 30,
    required: list[Membership],
    optional: list[Membership] | None = None,
    subject: str = "Quarterly plan",
    agenda: str = "1. Numbers\n2. Next steps",
    teams: bool = True,
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "start": start.isoformat().replace("+00:00", "Z"),
        "minutes": str(minutes),
        "required": [str(m.user.uuid) for m in required],
        "optional": [str(m.user.uuid) for m in optional or []],
        "subject": subject,
        "agenda": agenda,
    }
    if teams:
        fields["teams"] = "on"
    return fields


def book(client: Client, org: Org, fields: dict[str, Any], *, run_tasks: bool = True) -> Any:
    """POST the confirm page's form; the confirmation task runs (eagerly) when the transaction commits."""
    with TestCase.captureOnCommitCallbacks(execute=run_tasks):
        return client.post(reverse("booking_create", kwargs={"code": org.organization.code}), fields)


def meeting_url(booking: Booking, name: str = "meeting_detail") -> str:
    return reverse(name, kwargs={"code": booking.organization.code, "booking": booking.code})


def copies(emulator: EmulatorProcess, address: str, ical_uid: str) -> list[dict[str, Any]]:
    """The events in `address`'s mailbox that are this meeting (by iCalUId), as the emulator holds them."""
    events = emulator.control("GET", f"/tenants/{emulator.tenant_id}/mailboxes/{address}/events")["value"]
    return [e for e in events if e["iCalUId"] == ical_uid]


def graph_calls(emulator: EmulatorProcess, since: int, *, batched: bool = False) -> list[dict[str, Any]]:
    return [e for e in emulator.log(since) if e["path"].startswith("/v1.0") and (batched or e["batch"] is None)]


_MAILBOX = r"/v1\.0/(me|users/[^/]+)"
_ALLOWED = [
    ("POST", rf"{_MAILBOX}/calendar/getSchedule"),
    ("POST", r"/v1\.0/me/findMeetingTimes"),
    ("POST", rf"{_MAILBOX}/events"),  # create
    ("GET", rf"{_MAILBOX}/events/[^/]+"),  # one of our own ids
    ("GET", rf"{_MAILBOX}/events/[^/]+/instances"),  # the occurrences of our own series, by its id
    ("PATCH", rf"{_MAILBOX}/events/[^/]+"),
    ("POST", rf"{_MAILBOX}/events/[^/]+/cancel"),
    ("POST", r"/v1\.0/\$batch"),
]


def calendar_calls_keep_the_data_contract(emulator: EmulatorProcess, since: int) -> None:
    """Every calendar call since `since` is one the data contract allows: free/busy, suggestions, our events by
    id, a lookup by our tag; never a listing, calendarView, /messages or a search."""
    for call in graph_calls(emulator, since, batched=True):
        path = call["path"]
        if "/calendar" not in path and "/events" not in path and "Meeting" not in path and "$batch" not in path:
            assert "messages" not in path and "search" not in path.lower(), path
            continue  # directory and sign-in calls of the test's own set-up
        if call["method"] == "GET" and re.fullmatch(rf"{_MAILBOX}/events", path):
            assert call["query"]["$filter"][0].startswith("singleValueExtendedProperties/Any("), call
            continue
        assert any(call["method"] == m and re.fullmatch(p, path) for m, p in _ALLOWED), (call["method"], path)
        if call["method"] == "GET":
            assert "$select" in call["query"], call


def at_once(n: int, work: Callable[[], T]) -> list[T]:
    """Run `work` in `n` threads released together (two beats, two workers); each thread's database connection
    is closed after it. Needs committed data: `threads_share_the_database`."""
    barrier, results = threading.Barrier(n), []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
