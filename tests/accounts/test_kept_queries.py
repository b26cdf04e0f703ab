"""Kept statements (`accounts.kept_queries`): the rows, the joined objects and the SQL the ORM gives, with each
request's values, while the SQL is made once; and the pages that read through them (session, user, membership,
a search's people) still refuse what they refused."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock
from uuid import UUID

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Q, QuerySet, Value
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import integrations.calendars as calendars
from accounts.kept_queries import KeptQuery
from accounts.models import Membership, Organization, User
from booking.search.colleagues import colleagues_by_uuid
from tests.conftest import Org, signed_in
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _people(organization_id: int, organizer_id: int, uuids: list[UUID]) -> QuerySet[Membership]:
    return calendars.with_reach(
        Membership.objects.filter(organization_id=organization_id, is_active=True, user__uuid__in=uuids)
        .exclude(pk=organizer_id)
        .select_related("user", "organization")
        .order_by("pk")
    )


def _seen(m: Membership) -> tuple[str, str, object]:
    return m.user.email, m.organization.name, m.__dict__["_reach_in_directory"]  # an annotation


def _colleagues(org: Org, count: int) -> list[Membership]:
    users = UserFactory.create_batch(count)
    return [MembershipFactory.create(user=u, organization=org.organization) for u in users]


def _made_sql() -> mock._patch[mock.MagicMock]:
    return mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql)


def test_a_kept_query_gives_the_orms_rows_objects_and_sql_for_each_value(org: Org, other_org: Org) -> None:
    people = _colleagues(org, 3)
    organizer = Membership.objects.get(user=org.admin)
    kept = KeptQuery(_people)
    for chosen in (people[:1], people[1:], [people[2], people[0]], people):
        uuids = [m.user.uuid for m in chosen]
        with CaptureQueriesContext(connection) as orm_sql:
            expected = list(_people(org.organization.pk, organizer.pk, uuids))
        with CaptureQueriesContext(connection) as kept_sql:
            found = kept.all(org.organization.pk, organizer.pk, uuids)
            names = [_seen(m) for m in found]  # no query more
        assert [m.pk for m in found] == [m.pk for m in expected] == sorted(m.pk for m in chosen)
        assert names == [_seen(m) for m in expected]
        assert [q["sql"] for q in kept_sql.captured_queries] == [q["sql"] for q in orm_sql.captured_queries]
    # Another organization's values find nothing of ours, and an empty list asks nothing.
    outsider = Membership.objects.get(user=other_org.admin)
    assert kept.all(other_org.organization.pk, outsider.pk, [people[0].user.uuid]) == []
    with CaptureQueriesContext(connection) as none_asked:
        assert kept.all(org.organization.pk, organizer.pk, []) == []
    assert none_asked.captured_queries == []


def test_a_kept_statement_is_made_once_for_each_shape_of_its_filters(org: Org) -> None:
    people = _colleagues(org, 3)
    organizer = Membership.objects.get(user=org.admin)
    kept = KeptQuery(_people)
    kept.all(org.organization.pk, organizer.pk, [people[0].user.uuid])
    with _made_sql() as made:
        found = kept.all(org.organization.pk, organizer.pk, [people[1].user.uuid])
    assert [m.pk for m in found] == [people[1].pk]
    assert made.call_count == 0  # the same shape, another value: the SQL was not made again
    with _made_sql() as made:
        found = kept.all(org.organization.pk, organizer.pk, [m.user.uuid for m in people[1:]])
    assert [m.pk for m in found] == [m.pk for m in people[1:]]
    assert made.call_count == 1  # two people where there was one: made and kept anew


def test_once_its_values_are_placed_a_query_is_not_built_again(org: Org, other_org: Org) -> None:
    built: list[int | str] = []

    def build(pk: int | str, email: str) -> QuerySet[User]:
        built.append(pk)
        return User.objects.filter(pk=pk, email=email)

    kept = KeptQuery(build)
    assert kept.get(org.admin.pk, org.admin.email) == org.admin
    first = len(built)  # the real values, the stand-ins that find each one's place, the copy each run starts from
    assert kept.get(org.member.pk, org.member.email) == org.member
    assert kept.get(other_org.admin.pk, other_org.admin.email) == other_org.admin
    with pytest.raises(User.DoesNotExist):
        kept.get(org.member.pk, org.admin.email)
    assert len(built) == first  # placed: neither built nor made again
    assert kept.get(str(org.member.pk), org.member.email) == org.member  # another type: built, as the ORM would


def test_a_value_used_twice_is_still_given_its_own_answer(org: Org) -> None:
    kept = KeptQuery(lambda pk: User.objects.filter(Q(pk=pk) | Q(pk=pk + 0), email__contains="@"))
    assert kept.all(org.admin.pk) == [org.admin]
    assert kept.all(org.member.pk) == [org.member]


def test_a_statement_with_values_outside_its_filters_is_run_by_the_orm(org: Org) -> None:
    kept: KeptQuery[Organization] = KeptQuery(
        lambda name: Organization.objects.annotate(said=Value(name)).filter(name__in=["Contoso"])
    )
    assert [getattr(o, "said") for o in kept.all("first")] == ["first"]  # noqa: B009  (an annotation)
    assert [getattr(o, "said") for o in kept.all("second")] == ["second"]  # noqa: B009  # never the first value, kept


def test_get_says_which_row_is_missing_or_doubled(org: Org) -> None:
    kept = KeptQuery(lambda email: User.objects.filter(email__endswith=email))
    assert kept.get("admin@contoso.example") == org.admin
    with pytest.raises(User.DoesNotExist):
        kept.get("nobody@contoso.example")
    with pytest.raises(User.MultipleObjectsReturned):
        kept.get("contoso.example")


def test_an_expired_session_no_longer_signs_in_though_its_statement_is_kept(org: Org) -> None:
    client = signed_in(org.member)
    home = f"/orgs/{org.code}/"
    assert client.get(home).status_code == 200
    assert client.get(home).status_code == 200  # read again through the kept statement
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(home)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_deactivated_person_or_membership_is_refused_on_their_next_request(org: Org) -> None:
    member, admin = signed_in(org.member), signed_in(org.admin)
    home = f"/orgs/{org.code}/"
    assert member.get(home).status_code == admin.get(home).status_code == 200
    User.objects.filter(pk=org.member.pk).update(is_active=False)
    Membership.objects.filter(user=org.admin).update(is_active=False)
    assert member.get(home).status_code == 302  # signed out: the user is read afresh, not kept
    assert admin.get(home).status_code == 404  # no longer a member


def test_a_search_reads_only_its_own_organizations_people(org: Org, other_org: Org) -> None:
    ours = _colleagues(org, 2)
    theirs = Membership.objects.get(user=other_org.member)
    organizer = Membership.objects.select_related("organization", "user").get(user=org.admin)
    wanted = [str(ours[0].user.uuid), str(theirs.user.uuid), "not-a-uuid", str(org.admin.uuid)]
    found = colleagues_by_uuid(organizer=organizer, uuids=wanted)
    assert set(found) == {str(ours[0].user.uuid)}  # not the outsider, not the organizer
    found = colleagues_by_uuid(organizer=organizer, uuids=[str(theirs.user.uuid), str(ours[1].user.uuid)])
    assert set(found) == {str(ours[1].user.uuid)}
