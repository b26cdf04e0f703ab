"""The admin's people page among thousands: one page of 50, the same few queries at any size, each person's
reach from their own row, and the reach check's progress on the settings page."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from bench.crowd import crowd_create
from integrations.directory.people import PER_PAGE
from integrations.models import Connection
from tests.conftest import Org
from tests.factories import reach_found


def _page(client: Client, org: Org, **params: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as counted:
        response = client.get(reverse("people", kwargs={"code": org.code}), params)
    assert response.status_code == 200
    return response.content.decode(), len(counted)


def test_the_page_costs_the_same_queries_for_ten_or_a_thousand_people(admin_client: Client, org: Org) -> None:
    Connection.objects.create(organization=org.organization, mode=Connection.Mode.DOMAIN_WIDE)
    crowd_create(organization=org.organization, count=60, domain="crowd.contoso.example")
    small = [_page(admin_client, org)[1], _page(admin_client, org, q="ana", page="1")[1]]
    crowd_create(organization=org.organization, count=1200, domain="crowd.contoso.example")
    for membership in Membership.objects.filter(organization=org.organization)[:300]:
        reach_found(membership, reachable=False, reason="Outside the security group.")

    page, big = _page(admin_client, org, page="7")
    searched = _page(admin_client, org, q="ana", page="1")[1]

    assert [big, searched] == small
    assert page.count("<tr>") == PER_PAGE + 1  # the header and one page of people
    assert "1202 people" in page and "Page 7 of 25" in page


def test_the_admin_sees_only_those_overlap_could_not_reach_and_pages_keep_the_filter(
    admin_client: Client, org: Org, other_org: Org
) -> None:
    Connection.objects.create(organization=org.organization, mode=Connection.Mode.DOMAIN_WIDE)
    crowd_create(organization=org.organization, count=120, domain="crowd.contoso.example")
    crowd_create(organization=other_org.organization, count=10, domain="fabrikam.example")
    people = list(Membership.objects.filter(organization=org.organization).order_by("pk"))
    for membership in people[:60]:
        reach_found(membership, reachable=False, reason="Outside the security group.")
    for membership in people[60:]:
        reach_found(membership, reachable=True)
    for membership in Membership.objects.filter(organization=other_org.organization):
        reach_found(membership, reachable=False, reason="Theirs.")

    page, _ = _page(admin_client, org, reach="no")

    assert "60 people" in page and "Overlap could not reach" in page
    assert "Theirs." not in page and "fabrikam.example" not in page
    assert page.count('<span class="badge bad">Not reachable</span>') == PER_PAGE
    assert "reach=no&amp;page=2" in page


def test_the_settings_page_shows_how_far_the_reach_check_got(admin_client: Client, org: Org) -> None:
    now = timezone.now()
    Connection.objects.create(
        organization=org.organization,
        mode=Connection.Mode.DOMAIN_WIDE,
        reach_requested_at=now,
        reach_progress_at=now,
        reach_total=1200,
        reach_done=400,
    )

    page = admin_client.get(reverse("integration_settings", kwargs={"code": org.code})).content.decode()

    assert "400 of 1200 people checked" in page and 'value="33"' in page
