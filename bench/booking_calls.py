"""How many Graph calls each action makes, counted from the Microsoft 365 emulator's request log.

    python -m bench.booking_calls [--meetings 1 20 21 45] [--people 5000]

Starts the emulator in-process, adds `--people` people to its Contoso tenant, makes a throw-away in-memory
database with a domain-wide organization, then:
- the connection check: 1 token request + 1 Graph call;
- the first directory sync: ⌈people in the tenant / 999⌉ pages of `GET /users`, and 1 `GET /users/delta` for the
  link the next sync starts from; the next sync: 1 `GET /users/delta` (nobody changed);
- suggestions: one HTTP request per search: 1 getSchedule for up to 20 people (searches of 2, 11 and 20 people),
  1 $batch of getSchedule calls beyond (20 required and 20 optional: 40 schedules; the free/busy read of 45,
  which the search uses), each timed; then the same search again: 0 calls, from the cache (the searches allow
  times outside the colleagues' hours: a search where nothing fits reads the weeks after it too, one more call);
- books meetings through the booking service (the confirmation task runs in-process, as without Redis):
  each should cost 1 availability check (getSchedule) + 1 create;
- reads n meetings back at once: ⌈n/20⌉ $batch calls, each holding only GETs of Overlap's own ids;
- moves one (1 availability check + 1 PATCH) and cancels one (1 cancel).
Prints one line per action: the Graph calls by method and endpoint, and the total.
"""

from __future__ import annotations

import argparse
import os
import sys
import time as clock
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"

import django

django.setup()

from django.conf import settings
from django.db import connection
from django.test.utils import setup_test_environment

from accounts.models import Membership, Organization, User
from bench.django_env import domain_wide_connection
from config.celery_app import app as _celery  # noqa: F401  (tasks run in-process: no broker)
from integrations.models import DirectoryEntry
from m365_emulator.testing import EmulatorProcess

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
ADELE = "adele.vance@contoso.onmicrosoft.com"


def _point_at(emulator: EmulatorProcess) -> None:
    settings.MICROSOFT_LOGIN_URL = settings.MICROSOFT_GRAPH_URL = emulator.base_url
    settings.MICROSOFT_CA_BUNDLE = emulator.ca_file
    settings.MICROSOFT_CLIENT_ID = emulator.client_id
    settings.MICROSOFT_CLIENT_SECRET = emulator.client_secret


def _organization(emulator: EmulatorProcess) -> tuple[Membership, Membership]:

    organization = Organization.objects.create(name="Contoso")
    emulator.grant_admin_consent()
    domain_wide_connection(organization, emulator)
    people = []
    for address, name in ((MEGAN, "Megan Bowen"), (ADELE, "Adele Vance")):
        user = User.objects.create_user(address, name=name)
        membership = Membership.objects.create(user=user, organization=organization)
        # Linked to their directory records as a sign-in would: Overlap books only in the directory's mailboxes.
        DirectoryEntry.objects.create(
            organization=organization,
            membership=membership,
            object_id=emulator.user_id(address),
            user_principal_name=address,
            mail=address,
        )
        people.append(membership)
    return people[0], people[1]


def _free_slots(organizer: Membership, colleague: Membership, count: int) -> list[datetime]:
    """Free half hours for both, 16:00-22:00 UTC on weekdays from nine days ahead."""
    import integrations.calendars as calendars

    slots: list[datetime] = []
    day = (datetime.now(UTC) + timedelta(days=9)).replace(hour=16, minute=0, second=0, microsecond=0)
    while len(slots) < count:
        if day.weekday() < 5:
            found = calendars.free_busy(
                organizer=organizer, people=[MEGAN, ADELE], start=day, end=day + timedelta(hours=6)
            )
            busy = [i for s in found.values() for i in s.items if i.status != "free"]
            for n in range(12):
                start = day + timedelta(minutes=30 * n)
                if not any(i.start < start + timedelta(minutes=30) and start < i.end for i in busy):
                    slots.append(start)
        day += timedelta(days=1)
    return slots[:count]


def _calls(emulator: EmulatorProcess, since: int) -> list[dict[str, Any]]:
    return [e for e in emulator.log(since) if e["path"].startswith("/v1.0") and e["batch"] is None]


def _endpoint(path: str) -> str:
    parts = path.split("/")
    return "events/{id}" if len(parts) > 2 and parts[-2] == "events" else parts[-1]


def _describe(calls: list[dict[str, Any]]) -> str:
    names = Counter(f"{c['method']} {_endpoint(c['path'])}" for c in calls)
    return ", ".join(f"{n} x {name}" for name, n in sorted(names.items())) or "none"


def _line(action: str, calls: list[dict[str, Any]], expected: int, took: str = "") -> None:
    verdict = "ok" if len(calls) == expected else "DIFFERENT"
    timing = f", {took}" if took else ""
    print(f"{action:<50} expected {expected:>3}, counted {len(calls):>3}  {verdict}  ({_describe(calls)}{timing})")


def _tokens(emulator: EmulatorProcess, since: int) -> list[dict[str, Any]]:
    return [e for e in emulator.log(since) if e["path"].endswith("/oauth2/v2.0/token")]


def _crowd(emulator: EmulatorProcess, count: int) -> list[str]:
    """`count` more people in the emulator's Contoso (one control call each); their addresses."""
    addresses = [f"crowd.person{n:05d}@contoso.onmicrosoft.com" for n in range(count)]
    for n, address in enumerate(addresses):
        body = {"userPrincipalName": address, "displayName": f"Crowd Person {n:05d}"}
        emulator.control("POST", f"/tenants/{emulator.tenant_id}/users", body)
    return addresses


def _members(organization: Organization, addresses: list[str]) -> list[Membership]:
    made = []
    for address in addresses:
        user = User.objects.filter(email=address).first() or User.objects.create_user(address, name=address)
        made.append(Membership.objects.get_or_create(user=user, organization=organization)[0])
    return made


def _organization_actions(emulator: EmulatorProcess, megan: Membership, adele: Membership, crowd: list[str]) -> None:
    """The connection check, the directory sync and the searches, each counted."""
    from booking.search import availability
    from integrations.connection.health import connection_check
    from integrations.directory.sync import directory_sync

    organization = megan.organization
    since = emulator.last_seq()
    connection_check(organization=organization)
    _line("connection check (token + call)", _tokens(emulator, since) + _calls(emulator, since), 2)
    tenant = next(t for t in emulator.control("GET", "/tenants")["tenants"] if t["id"] == emulator.tenant_id)
    since = emulator.last_seq()
    directory_sync(organization=organization)
    people = len(tenant["users"])
    # A first (full) sync also asks Graph for the delta link later syncs read from: one call.
    _line(f"first directory sync of {people} people", _calls(emulator, since), -(-people // 999) + 1)
    since = emulator.last_seq()
    directory_sync(organization=organization)
    _line("next directory sync (nobody changed)", _calls(emulator, since), 1)
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    colleagues = _members(organization, crowd[:44])
    searches = [([adele], []), (colleagues[:10], []), (colleagues[:19], []), (colleagues[:19], colleagues[19:39])]
    for required, optional in searches:
        availability.availability_forget(organization=organization, people=[megan, *required, *optional])
        for attempt in ("", " again (cached)"):
            since, began = emulator.last_seq(), clock.perf_counter()
            availability.availability_search(
                organizer=megan,
                required=required,
                optional=optional,
                widened=required,  # Megan's (Pacific) and Adele's (Europe) hours never meet: let times exist
                minutes=30,
                window_start=start,
                window_end=start + timedelta(days=14),
            )
            took = f"{(clock.perf_counter() - began) * 1000:.0f} ms"
            who = f"{len(required) + 1} people" + (f" + {len(optional)} optional" if optional else "")
            _line(f"suggestions for {who}{attempt}", _calls(emulator, since), 0 if attempt else 1, took)
    since = emulator.last_seq()
    availability._free_busy(megan, [megan, *colleagues], start + timedelta(days=20), start + timedelta(days=34))
    _line(f"free/busy of {len(colleagues) + 1} people", _calls(emulator, since), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meetings", type=int, nargs="+", default=[1, 20, 21, 45])
    parser.add_argument("--people", type=int, default=5000, help="people added to the tenant for the sync")
    args = parser.parse_args()
    from booking import readback, services
    from booking.engine import Slot
    from booking.models import Booking

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    emulator = EmulatorProcess.start_thread()
    try:
        emulator.reset(fixture="demo", seed=1)
        _point_at(emulator)
        megan, adele = _organization(emulator)
        crowd = _crowd(emulator, max(args.people, 44))
        _organization_actions(emulator, megan, adele, crowd)
        slots = _free_slots(megan, adele, max(args.meetings) + 1)
        per_booking = []
        for start in slots:
            since = emulator.last_seq()
            booking = services.booking_create(
                organizer=megan,
                required=[adele],
                optional=[],
                slot=Slot(start, start + timedelta(minutes=30)),
                subject="Benchmark",
            )
            booking.refresh_from_db()
            assert booking.state == Booking.State.CONFIRMED, booking.failure_reason
            per_booking.append(_calls(emulator, since))
        _line(f"book (each of {len(slots)})", max(per_booking, key=len), 2)
        bookings = list(Booking.objects.order_by("start"))
        for n in args.meetings:
            since = emulator.last_seq()
            readback.read_back(organizer=megan, bookings=bookings[:n])
            _line(f"read back {n} meeting(s)", _calls(emulator, since), -(-n // 20))
        moved, cancelled = bookings[-1], bookings[0]
        since = emulator.last_seq()
        services.booking_reschedule(
            booking=moved,
            actor=megan.user,
            slot=Slot(moved.start + timedelta(days=7), moved.end + timedelta(days=7)),
        )
        _line("reschedule", _calls(emulator, since), 2)
        since = emulator.last_seq()
        services.booking_cancel(booking=cancelled, actor=megan.user, comment="Benchmark")
        _line("cancel", _calls(emulator, since), 1)
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
