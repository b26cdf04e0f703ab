"""Where one search's CPU goes: the booking page's search as its form sends it, answered from the free/busy cache.

    DATABASE_URL=postgres://…/overlap_x REDIS_URL=redis://…/5 python -m bench.search_profile [--searches 200]

The database of DATABASE_URL (PostgreSQL) is dropped and made afresh; without it, a new SQLite file in a temp folder.
The world of `bench.load` in one process: a domain-wide organization on the Microsoft 365 emulator (in a thread),
an organizer and a colleague with empty calendars, the search of 14 days for 30 minutes (every quarter hour of
their working days: the most times a search can show), through Django's test client with `HX-Request` (the
results part), signed in with a database session. The first search fills the free/busy cache; the rest are timed.
Without REDIS_URL the cache is local memory (no round trips); with it, as in production.

Prints the milliseconds of a search (best and median of `--searches`, wall and CPU time), the database queries
one costs, the size of its answer, and, from cProfile over the same searches, each part's share: the middleware
and view around the search, the engine, the search's answer made into suggestions, the page's layout by day, the
template, the database and the cache.

By default the same search's answer is kept (`booking.search.page`) and every timed search reads it back; with
`--fresh` no answer is kept, so that each search ranks, words, lays out and renders its answer from the cached
free/busy (the first search of a range, or one after a booking).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pkgutil
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.django_env import django_ready, domain_wide_connection

# (part, the function whose cumulative time it is, as module:name); each counted at its outermost call.
PARTS = (
    ("the engine (ranking every start)", "booking.engine.search:search"),
    ("suggestions from the engine", "booking.search.availability:_from_engine"),
    ("the page's layout by day", "booking.search.page:_by_day"),
    ("template rendering", "django.template.base:Template.render"),
    ("database queries", "django.db.backends.utils:CursorWrapper.execute"),
    ("cache reads (Redis or memory)", "django.core.cache.backends.redis:RedisCache.get_many"),
)


def world(emulator: Any) -> tuple[Any, Any, Any]:
    """The organization, an organizer and a colleague (empty calendars), and the search's URL and query."""
    from accounts.models import Membership, Organization, User
    from integrations.models import DirectoryEntry

    organization = Organization.objects.create(name="Profile")
    emulator.grant_admin_consent()
    domain_wide_connection(organization, emulator)
    members = []
    for role in ("organizer", "colleague"):  # new mailboxes: empty calendars, working 08:00-17:00 UTC
        email, name = f"profile.{role}@{emulator.tenant_domain}", f"Profile {role.title()}"
        body = {"userPrincipalName": email, "displayName": name}
        object_id = emulator.control("POST", f"/tenants/{emulator.tenant_id}/users", body)["user"]["id"]
        user = User.objects.create_user(email, name=name)
        membership = Membership.objects.create(user=user, organization=organization)
        DirectoryEntry.objects.create(
            organization=organization, membership=membership, object_id=object_id, user_principal_name=email
        )
        members.append(membership)
    return members[0], members[1], organization


def search_url(organization: Any, colleague: Any) -> tuple[str, dict[str, str]]:
    from django.urls import reverse

    start = datetime.now(UTC).date() + timedelta(days=1)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    query = {
        "minutes": "30",
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=13)).isoformat(),
        "required": str(colleague.user.uuid),
    }
    return reverse("booking_page", kwargs={"code": organization.code}), query


def timed(searches: int, call: Callable[[], object]) -> tuple[list[float], list[float]]:
    """Each call's wall time and CPU time (the machine is shared: CPU time leaves out waiting for a core)."""
    wall, cpu = [], []
    for _ in range(searches):
        began, began_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return wall, cpu


def _code(name: str) -> tuple[str, int, str]:
    """cProfile's key of a function named "module:qualified.name"."""
    code = pkgutil.resolve_name(name).__code__
    return code.co_filename, code.co_firstlineno, code.co_name


def shares(profile: cProfile.Profile, searches: int) -> list[tuple[str, float, int]]:
    """Milliseconds per search of each part and its calls per search, from the profile's cumulative times."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    found = []
    for part, dotted in PARTS:
        _cc, calls, _tt, cumulative, _callers = stats.get(_code(dotted), (0, 0, 0.0, 0.0, {}))
        found.append((part, cumulative * 1000 / searches, calls // searches))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--queries", action="store_true", help="also print the SQL of one search")
    parser.add_argument("--top", type=int, default=0, help="also print cProfile's top N functions by own time")
    parser.add_argument("--fresh", action="store_true", help="keep no answer: every search makes its own")
    parser.add_argument("--dump", help="also write the cProfile statistics to this file (for pstats or snakeviz)")
    args = parser.parse_args()
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        from bench.load import fresh_database

        fresh_database(os.environ["DATABASE_URL"])  # dropped and made afresh, as bench.load does
    else:  # a SQLite file of its own, never the demo's db.sqlite3 (a second run would find its world there)
        scratch = Path(tempfile.mkdtemp(prefix="overlap-profile-")) / "profile.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}"
    django_ready()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from booking.search import page
    from m365_emulator.testing import EmulatorProcess

    if args.fresh:
        page.ANSWER_SECONDS = 0  # Django's cache keeps nothing for no time
    settings.ALLOWED_HOSTS = ["*"]
    settings.RATE_LIMIT_SEARCHES = "1000000/m"
    emulator = EmulatorProcess.start_thread()
    try:
        emulator.reset(fixture="demo", seed=1)
        settings.MICROSOFT_LOGIN_URL = settings.MICROSOFT_GRAPH_URL = emulator.base_url
        settings.MICROSOFT_CA_BUNDLE = emulator.ca_file
        settings.MICROSOFT_CLIENT_ID, settings.MICROSOFT_CLIENT_SECRET = emulator.client_id, emulator.client_secret
        cache.clear()
        organizer, colleague, organization = world(emulator)
        client = Client()
        client.force_login(organizer.user)
        url, query = search_url(organization, colleague)

        sizes: list[int] = []

        def search() -> None:
            response = client.get(url, query, headers={"HX-Request": "true"})
            assert response.status_code == 200 and b"Pick this time" in response.content, response.status_code
            sizes.append(len(response.content))

        search()  # fills the free/busy cache
        search()  # and keeps the answer
        statements: list[str] = []

        def counted(run: Callable[..., Any], sql: str, *rest: Any) -> Any:
            statements.append(sql)
            return run(sql, *rest)

        with connection.execute_wrapper(counted):
            search()
        timings, cpu = timed(args.searches, search)
        profile = cProfile.Profile()
        profile.runcall(timed, args.searches, search)
    finally:
        emulator.stop()
    cached = "Redis" if os.environ.get("REDIS_URL") else "local memory"
    print(f"Load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores); cache: {cached}")
    kept = "its answer made afresh" if args.fresh else "its answer kept"
    print(
        f"one search from the cached free/busy, {kept}: best {min(timings) * 1000:.1f} ms, median "
        f"{statistics.median(timings) * 1000:.1f} ms of {args.searches}; CPU best {min(cpu) * 1000:.1f} ms, median "
        f"{statistics.median(cpu) * 1000:.1f} ms; {len(statements)} queries; {sizes[-1]:,} bytes"
    )
    stats = pstats.Stats(profile)
    total = stats.total_tt * 1000 / args.searches  # type: ignore[attr-defined]
    calls = stats.total_calls / args.searches  # type: ignore[attr-defined]
    print(f"under cProfile {total:.1f} ms and {calls:,.0f} Python calls a search (they do not move with load):")
    for part, ms, calls in shares(profile, args.searches):
        print(f"  {part:<34} {ms:6.2f} ms  {ms / total:4.0%}  ({calls} calls)")
    if args.queries:
        print("\n".join(f"  {sql[:150]}" for sql in statements))
    if args.dump:
        stats.dump_stats(args.dump)
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_callees("booking_page_view|find_times")


if __name__ == "__main__":
    main()
