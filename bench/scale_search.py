"""How fast the booking page finds a colleague among N people, as they type.

    DATABASE_URL=postgres://… python -m bench.scale_search [--people 1000 10000 100000] [--queries 200]

Builds the people in the database of DATABASE_URL (once per size, one organization each; see bench.crowd),
then times `colleagues_matching`, what the as-you-type view calls, for realistic queries: the first 1 to 4
letters of a first name, a part of a last name, "first la" (two words), a fragment of an address. Prints,
per size, p50/p95/max in milliseconds, the most rows one answer held, the SQL queries one keystroke costs,
and on PostgreSQL whether the plan of a three-letter query uses the trigram index.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.django_env import django_ready

ORGANIZATION = "Scale search"


def measure(people: int, *, queries: int = 200, seed: int = 7) -> dict[str, Any]:
    """Time `queries` as-you-type searches among `people` colleagues; figures in milliseconds."""
    django_ready()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Membership, Organization
    from bench.crowd import crowd_create
    from booking.search.colleagues import colleagues_matching

    organization, _ = Organization.objects.get_or_create(name=f"{ORGANIZATION} {people}")
    crowd_create(organization=organization, count=people, domain=_domain(people))
    organizer = Membership.objects.filter(organization=organization).select_related("user", "organization").first()
    assert organizer is not None
    typed = typed_queries(people, queries, random.Random(seed), _domain(people))
    colleagues_matching(organizer=organizer, query=typed[0])  # a warm connection, as a running server has
    times, rows, per_keystroke = [], 0, 0
    for query in typed:
        with CaptureQueriesContext(connection) as counted:
            started = time.perf_counter()
            found = colleagues_matching(organizer=organizer, query=query)
            times.append((time.perf_counter() - started) * 1000)
        rows, per_keystroke = max(rows, len(found)), max(per_keystroke, len(counted))
    return {
        "people": Membership.objects.filter(organization=organization).count(),
        "database": connection.vendor,
        "queries": len(typed),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(_percentile(times, 95), 2),
        "max_ms": round(max(times), 2),
        "rows_max": rows,
        "sql_per_keystroke": per_keystroke,
        "trigram_index_used": _uses_trigram(organizer, "mar"),
    }


def _domain(people: int) -> str:
    return f"search{people}.example.com"  # one organization per size, so a smaller run is really smaller


def typed_queries(people: int, count: int, rng: random.Random, domain: str) -> list[str]:
    """What people type into the colleague box, for people who exist among the first `people`."""
    from bench.crowd import person_email, person_name

    made: list[str] = []
    while len(made) < count:
        index = rng.randrange(people)
        first, last = person_name(index).lower().split()
        email = person_email(index, domain)
        kind = len(made) % 5
        if kind == 0:
            made.append(first[: rng.randint(1, 4)])
        elif kind == 1:
            start = rng.randrange(max(len(last) - 3, 1))
            made.append(last[start : start + rng.randint(3, 5)])
        elif kind == 2:
            made.append(f"{first} {last[: rng.randint(1, 3)]}")
        elif kind == 3:
            made.append(email.split("@")[0][-rng.randint(3, 6) :])
        else:
            made.append(first[:2])
    return made


def _percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _uses_trigram(organizer: Any, word: str) -> bool | None:
    """Whether PostgreSQL's plan for the search of `word` reads the trigram index (None elsewhere)."""
    from django.db import connection

    from accounts.search import by_name, memberships_matching
    from booking.search.colleagues import MOST_FOUND, colleagues

    if connection.vendor != "postgresql":
        return None
    found = memberships_matching(colleagues(organizer=organizer), word).order_by(*by_name(word))[:MOST_FOUND]
    sql, params = found.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return "accounts_user_search_trgm" in plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    for people in sorted(args.people):
        figures = measure(people, queries=args.queries)
        print(
            f"search among {figures['people']:>7} people ({figures['database']}): "
            f"p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, max {figures['max_ms']:.1f} ms; "
            f"{figures['queries']} queries, at most {figures['rows_max']} rows and "
            f"{figures['sql_per_keystroke']} SQL queries each; trigram index used: {figures['trigram_index_used']}"
        )


if __name__ == "__main__":
    main()
