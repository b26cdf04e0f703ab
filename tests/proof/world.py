"""What the proof's tests share: the Contoso world, many free slots, what the emulator's mailboxes and log hold."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection

from accounts.models import Membership, Organization
from booking.engine import Slot
from booking.models import Booking
from m365_emulator.testing import EmulatorProcess


def quiet_slots(count: int, *, minutes: int = 30, first_week: int = 10) -> list[Slot]:
    """`count` half hours on Saturdays from `first_week` weeks ahead, where the demo calendars hold nothing."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    slots: list[Slot] = []
    week = first_week
    while len(slots) < count:
        saturday = monday + timedelta(weeks=week, days=5)
        for index in range(24 * 60 // minutes):
            if len(slots) == count:
                break
            start = saturday + timedelta(minutes=minutes * index)
            slots.append(Slot(start, start + timedelta(minutes=minutes)))
        week += 1
    return slots


def mailbox(emulator: EmulatorProcess, address: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = emulator.control("GET", f"/tenants/{emulator.tenant_id}/mailboxes/{address}/events")[
        "value"
    ]
    return events


def meetings_by_subject(emulator: EmulatorProcess, address: str) -> Counter[str]:
    return Counter(str(event["subject"]) for event in mailbox(emulator, address))


def graph_statuses(emulator: EmulatorProcess, since: int) -> Counter[int]:
    return Counter(int(e["status"]) for e in emulator.log(since) if e["path"].startswith("/v1.0"))


def wait_until(done: Callable[[], bool], *, timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(every)
    return done()


def pending(bookings: Iterable[Booking]) -> int:
    return Booking.objects.filter(pk__in=[b.pk for b in bookings], state=Booking.State.PENDING).count()


def foreign_words(emulator: EmulatorProcess, addresses: Iterable[str], ours: str) -> set[str]:
    """The subjects and locations of events in these mailboxes that Overlap did not make (not starting `ours`)."""
    words: set[str] = set()
    for address in addresses:
        for event in mailbox(emulator, address):
            if str(event.get("subject", "")).startswith(ours):
                continue
            location = (event.get("location") or {}).get("displayName") or ""
            words |= {w for w in (str(event.get("subject") or ""), str(location)) if len(w) >= 8}
    return words


def stored_text() -> str:
    """Every text the database holds (each model's rows, as text)."""
    from django.apps import apps

    parts: list[str] = []
    for model in apps.get_models():
        for row in model._default_manager.all().values():
            parts.extend(str(value) for value in row.values() if value is not None)
    return "\n".join(parts)


def cached_bytes(redis_url: str) -> bytes:
    """Every value the Redis database behind the cache holds."""
    import redis

    server = redis.Redis.from_url(redis_url)
    values: list[bytes] = []
    for key in server.scan_iter(count=500):
        if server.type(key) == b"string":
            values.append(key + b"=" + (server.get(key) or b""))
    return b"\n".join(values)


def posted_at_once(url: str, requests: list[tuple[Any, dict[str, Any]]]) -> list[tuple[int, str, str]]:
    """Each (client, form) POSTed to `url` in its own thread, all released at the same instant (a race); each
    answer's status, `Location` and body."""
    answers: list[tuple[int, str, str]] = []
    gate = threading.Barrier(len(requests))

    def attempt(client: Any, fields: dict[str, Any]) -> None:
        try:
            gate.wait()
            response = client.post(url, fields)
            answers.append((response.status_code, response.get("Location", ""), response.content.decode()))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def racers(organization: Organization, besides: str) -> list[Membership]:
    """The organization's active members with a Microsoft address, but `besides` (the person they all book)."""
    return list(
        Membership.objects.filter(organization=organization, is_active=True, user__email__endswith=".com")
        .exclude(user__email=besides)
        .select_related("user")
    )
