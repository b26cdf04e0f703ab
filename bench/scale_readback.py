"""One round of the periodic read-back of N upcoming meetings, against the emulator with Graph's limits on.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python -m bench.scale_readback [--meetings 1000 10000]

Starts the emulator in-process, adds organizers to its Contoso (one per 50 meetings, at least 10), creates
their meetings in their calendars through Graph (latency off), and records them as confirmed bookings in the
database of DATABASE_URL (a fresh organization each run). Then turns on 150 ms latency and Outlook's limits
(4 concurrent requests and 10,000 per 10 minutes per app and mailbox) and runs one round as production
does: `readback.read_back_plan()` (what the beat task enqueues), then each chunk on a pool of workers at its
countdown, as Celery workers with ETAs would; the mailbox limiter is Redis's when REDIS_URL is set. Prints
the Graph requests ($batch calls and the requests inside them), the 429s received, the round's length, the
most requests the emulator saw in flight at once for one mailbox, and how many meetings were left unread.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.django_env import django_ready, domain_wide_connection

LATENCY_MS = 150
PER_ORGANIZER = 50


def measure(meetings: int, *, workers: int = 8, latency_ms: int = LATENCY_MS) -> dict[str, Any]:
    """One read-back round of `meetings` meetings spread over many organizers; see the module's docstring."""
    django_ready()
    logging.getLogger("integrations.microsoft").setLevel(logging.WARNING)  # one line per call drowns the figures
    from m365_emulator.testing import EmulatorProcess

    emulator = EmulatorProcess.start_thread()
    try:
        emulator.reset(fixture="demo", seed=1)
        _point_at(emulator)
        organization, organizers = _organization(emulator, max(10, meetings // PER_ORGANIZER))
        _meetings(organization, organizers, meetings)
        emulator.control("POST", "/throttle", {"clear": True, "concurrency": 4, "rate": 10_000, "window": 600})
        emulator.control("POST", "/latency", {"ms": latency_ms})
        return _round(emulator, organization, meetings, workers) | {"organizers": len(organizers)}
    finally:
        emulator.stop()


def _round(emulator: Any, organization: Any, meetings: int, workers: int) -> dict[str, Any]:
    from django.db import connection

    from booking import readback
    from booking.models import Booking

    since = emulator.last_seq()
    started = time.monotonic()
    plan = readback.read_back_plan()

    def run(chunk: readback.Chunk) -> None:
        wait = started + chunk.countdown - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            readback.read_back_chunk(membership_id=chunk.organizer_id, booking_ids=chunk.booking_ids)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, plan))
    length = time.monotonic() - started
    log = [e for e in emulator.log(since) if str(e["path"]).startswith("/v1.0")]
    peaks = emulator.control("GET", "/throttle")["peak_in_flight"]
    unread = Booking.objects.filter(organization=organization, read_back_at__isnull=True).count()
    return {
        "meetings": meetings,
        "chunks": len(plan),
        "batch_calls": sum(1 for e in log if e["batch"] is None),
        "requests_in_batches": sum(1 for e in log if e["batch"] is not None),
        "throttled_429": sum(1 for e in log if e["status"] == 429),
        "round_seconds": round(length, 1),
        "max_in_flight_per_mailbox": max(peaks.values(), default=0),
        "unread": unread,
        "workers": workers,
    }


def _point_at(emulator: Any) -> None:
    from django.conf import settings

    settings.MICROSOFT_LOGIN_URL = settings.MICROSOFT_GRAPH_URL = emulator.base_url
    settings.MICROSOFT_CA_BUNDLE = emulator.ca_file
    settings.MICROSOFT_CLIENT_ID = emulator.client_id
    settings.MICROSOFT_CLIENT_SECRET = emulator.client_secret


def _organization(emulator: Any, count: int) -> tuple[Any, list[Any]]:
    """A fresh domain-wide organization on the emulator's Contoso, with `count` organizers who have mailboxes."""
    from accounts.models import Membership, Organization, User
    from integrations.models import Connection

    Organization.objects.filter(name="Scale read-back").delete()
    # A tenant belongs to one organization: another bench run in this database (bench.scale's sync) may hold it.
    Connection.objects.filter(tenant_guid=emulator.tenant_id).delete()
    User.objects.filter(email__endswith=f".readback@{emulator.tenant_domain}").delete()
    organization = Organization.objects.create(name="Scale read-back")
    emulator.grant_admin_consent()
    domain_wide_connection(organization, emulator)
    organizers = []
    for n in range(count):
        address = f"organizer{n}.readback@{emulator.tenant_domain}"
        person = {"userPrincipalName": address, "mail": address, "displayName": f"Organizer {n}", "hasMailbox": True}
        emulator.control("POST", f"/tenants/{emulator.tenant_id}/users", person)
        user = User.objects.create_user(address, name=f"Organizer {n}")
        organizers.append(Membership.objects.create(user=user, organization=organization))
    return organization, organizers


def _meetings(organization: Any, organizers: list[Any], count: int) -> None:
    """`count` meetings over the next two weeks, round-robin over the organizers, in Outlook and as bookings."""
    from django.utils import timezone

    from booking.models import Booking
    from integrations.connection.clients import organization_client
    from integrations.microsoft.types import NewEvent

    client = organization_client(organization=organization)
    first = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    wanted = [
        (organizers[n % len(organizers)], first + timedelta(minutes=30 * (n // len(organizers)))) for n in range(count)
    ]

    def create(item: tuple[Any, Any]) -> Booking:
        organizer, start = item
        end = start + timedelta(minutes=30)
        event = client.create_event(organizer.user.email, NewEvent("Scale", start, end, teams=False))
        return Booking(
            organization=organization,
            organizer=organizer,
            start=start,
            end=end,
            subject="Scale",
            state=Booking.State.CONFIRMED,
            event_id=event.id,
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        Booking.objects.bulk_create(list(pool.map(create, wanted)), batch_size=1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meetings", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    for meetings in args.meetings:
        f = measure(meetings, workers=args.workers)
        print(
            f"read-back of {f['meetings']} meetings ({f['organizers']} organizers, {f['workers']} workers): "
            f"{f['batch_calls']} $batch calls holding {f['requests_in_batches']} requests in {f['chunks']} chunks; "
            f"{f['throttled_429']} x 429; round {f['round_seconds']} s; "
            f"most in flight for one mailbox {f['max_in_flight_per_mailbox']}; {f['unread']} left unread"
        )


if __name__ == "__main__":
    main()
