"""Finding a colleague among thousands: bounded answers, every word matched, the same few queries whatever the
size, and nobody of another organization (runs on SQLite and, in the services pass, on PostgreSQL)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from bench.crowd import crowd_create, person_name
from booking.search.colleagues import MOST_FOUND, colleagues_matching
from tests.conftest import Org, signed_in

CROWD = 2000


@pytest.fixture
def crowd(org: Org, other_org: Org) -> Membership:
    """Our organization with 3,000 more people, and 300 in the outsider's; the member searches."""
    crowd_create(organization=org.organization, count=CROWD, domain="crowd.contoso.example")
    crowd_create(organization=other_org.organization, count=300, domain="fabrikam.example")
    return Membership.objects.select_related("user", "organization").get(user=org.member)


def _names(page: str) -> list[str]:
    return re.findall(r'data-name="([^"]+)"', page)


def _queries(client: object, org: Org, q: str) -> int:
    with CaptureQueriesContext(connection) as counted:
        client.get(reverse("booking_people", kwargs={"code": org.code}), {"q": q})  # type: ignore[attr-defined]
    return len(counted)


def test_colleagues_found_match_every_word_come_by_name_and_never_from_another_organization(
    crowd: Membership,
) -> None:
    for typed in ("ana", "son", "ELENA S", "sato.16", "ria mar"):
        found = colleagues_matching(organizer=crowd, query=typed)

        assert 0 < len(found) <= MOST_FOUND, typed
        for person in found:
            text = f"{person.name} {person.email}".lower()
            assert all(word in text for word in typed.lower().split()), (typed, person.name)
        assert [p.name for p in found] == sorted(p.name for p in found)
    assert colleagues_matching(organizer=crowd, query="fabrikam") == []


def test_one_or_two_letters_find_names_that_start_with_them_and_a_rare_one_is_found(crowd: Membership) -> None:
    index = CROWD - 7
    wanted = person_name(index)

    short = colleagues_matching(organizer=crowd, query="zo")
    rare = colleagues_matching(organizer=crowd, query=f"{wanted.split()[1].lower()}.{index}@")

    assert len(short) == MOST_FOUND and all(p.name.lower().startswith("zo") for p in short)
    assert [p.name for p in rare] == [wanted]


def test_a_keystroke_costs_the_same_queries_among_ten_or_three_thousand(org: Org) -> None:
    client = signed_in(org.member)
    small = [_queries(client, org, q) for q in ("m", "mar", "maria wa")]
    crowd_create(organization=org.organization, count=CROWD, domain="crowd.contoso.example")
    big = [_queries(client, org, q) for q in ("m", "mar", "maria wa")]

    assert big == small or big == [n + 1 for n in small]  # + who is not enabled, asked only when someone is found
    assert max(big) <= 6  # session, user, membership, the search, who is not enabled


def test_postgresql_has_the_trigram_index_on_exactly_the_sql_the_search_emits(db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only")
    from django.db.models import F

    from accounts.models import User
    from accounts.search import SearchText

    found = User.objects.annotate(text=SearchText(F("name"), F("email"))).filter(text__icontains="xyzzy")
    sql, params = found.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table would rather be read whole
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Bitmap Index Scan on accounts_user_search_trgm" in plan


def test_postgresql_connections_plan_for_ssd_so_the_search_takes_its_index(db: None) -> None:
    """PostgreSQL's default random_page_cost of 4 reads the whole directory for common fragments among 100,000."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
