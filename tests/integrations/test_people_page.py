"""The people page: admins see and manage everyone in their organization, and nobody else's."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Membership, User
from integrations.models import CalendarGrant, Connection
from tests.conftest import Org, signed_in
from tests.factories import MembershipFactory, UserFactory, reach_found


def _url(org: Org, action: str = "") -> str:
    return f"/orgs/{org.code}/people/{action}"


def _membership(org: Org, user: User) -> Membership:
    return Membership.objects.get(organization=org.organization, user=user)


def test_an_admin_sees_the_organizations_people_and_nobody_from_another(
    admin_client: Client, org: Org, other_org: Org
) -> None:
    response = admin_client.get(_url(org))
    assert response.status_code == 200
    assert "Contoso Admin" in response.text
    assert "member@contoso.example" in response.text
    assert "2 people" in response.text
    assert "fabrikam.example" not in response.text


def test_a_member_cannot_open_the_people_page_and_an_outsider_does_not_find_it(
    member_client: Client, outsider_client: Client, org: Org
) -> None:
    assert member_client.get(_url(org)).status_code == 403
    assert outsider_client.get(_url(org)).status_code == 404


def test_the_search_finds_people_by_part_of_their_name_or_address(admin_client: Client, org: Org) -> None:
    response = admin_client.get(_url(org), {"q": "MEMBER@contoso"})
    assert "1 person match" in response.text
    assert "member@contoso.example" in response.text
    assert "admin@contoso.example" not in response.text
    assert "Nobody matches “zebra”" in admin_client.get(_url(org), {"q": "zebra"}).text


def test_people_come_fifty_to_a_page(admin_client: Client, org: Org) -> None:
    for n in range(60):
        MembershipFactory.create(organization=org.organization, user=UserFactory.create(name=f"Zed {n:02}"))
    first = admin_client.get(_url(org))
    assert first.text.count("<tr>") == 50 + 1  # the header row and fifty people
    last = admin_client.get(_url(org), {"page": "2"})
    assert "Page 2 of 2" in last.text
    assert last.text.count("<tr>") == 12 + 1
    assert "Zed 59" in last.text


def test_an_admin_makes_a_member_admin_and_back(admin_client: Client, org: Org) -> None:
    admin_client.post(_url(org, f"{org.member.uuid}/role"), {"role": "admin"})
    assert _membership(org, org.member).role == Membership.Role.ADMIN
    response = admin_client.post(_url(org, f"{org.member.uuid}/role"), {"role": "member"}, follow=True)
    assert _membership(org, org.member).role == Membership.Role.MEMBER
    assert "Contoso Member is now member." in response.text


def test_the_last_admin_cannot_step_down_and_is_told_why(admin_client: Client, org: Org) -> None:
    response = admin_client.post(_url(org, f"{org.admin.uuid}/role"), {"role": "member"}, follow=True)
    assert _membership(org, org.admin).role == Membership.Role.ADMIN
    assert "keeps at least one active admin" in response.text


def test_a_deactivated_admin_does_not_count_as_the_one_that_remains(admin_client: Client, org: Org) -> None:
    MembershipFactory.create(organization=org.organization, role=Membership.Role.ADMIN, is_active=False)
    admin_client.post(_url(org, f"{org.admin.uuid}/role"), {"role": "member"})
    assert _membership(org, org.admin).role == Membership.Role.ADMIN


def test_an_admin_deactivates_and_reactivates_a_member(admin_client: Client, org: Org) -> None:
    response = admin_client.post(_url(org, f"{org.member.uuid}/access"), {"active": "no", "q": "mem"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/orgs/{org.code}/people/?q=mem"
    assert "Contoso Member can no longer use Overlap" in response.text
    assert signed_in(org.member).get(f"/orgs/{org.code}/").status_code == 404
    admin_client.post(_url(org, f"{org.member.uuid}/access"), {"active": "yes"})
    assert signed_in(org.member).get(f"/orgs/{org.code}/").status_code == 200


def test_an_admin_cannot_deactivate_themselves(admin_client: Client, org: Org) -> None:
    MembershipFactory.create(organization=org.organization, role=Membership.Role.ADMIN)
    response = admin_client.post(_url(org, f"{org.admin.uuid}/access"), {"active": "no"}, follow=True)
    assert _membership(org, org.admin).is_active
    assert "You cannot deactivate yourself" in response.text


def test_once_the_other_admin_is_deactivated_the_last_one_cannot_step_down(org: Org) -> None:
    second = MembershipFactory.create(organization=org.organization, role=Membership.Role.ADMIN)
    signed_in(org.admin).post(_url(org, f"{second.user.uuid}/access"), {"active": "no"})
    assert not Membership.objects.get(pk=second.pk).is_active
    response = signed_in(org.admin).post(_url(org, f"{org.admin.uuid}/role"), {"role": "member"}, follow=True)
    assert _membership(org, org.admin).role == Membership.Role.ADMIN
    assert "make someone else admin first" in response.text


@pytest.mark.parametrize("action", ["role", "access"])
def test_another_organizations_person_cannot_be_changed_from_here(
    admin_client: Client, org: Org, other_org: Org, action: str
) -> None:
    data = {"role": "member"} if action == "role" else {"active": "no"}
    response = admin_client.post(_url(org, f"{other_org.admin.uuid}/{action}"), data)
    assert response.status_code == 404
    theirs = _membership(other_org, other_org.admin)
    assert theirs.is_active and theirs.role == Membership.Role.ADMIN


def test_a_forged_role_changes_nothing(admin_client: Client, org: Org) -> None:
    response = admin_client.post(_url(org, f"{org.member.uuid}/role"), {"role": "owner"}, follow=True)
    assert _membership(org, org.member).role == Membership.Role.MEMBER
    assert "Choose admin or member." in response.text


def test_domain_wide_shows_who_the_last_reach_check_could_reach(admin_client: Client, org: Org) -> None:
    Connection.objects.create(organization=org.organization, mode=Connection.Mode.DOMAIN_WIDE)
    reach_found(_membership(org, org.member), reachable=False, reason="Not in the group")
    response = admin_client.get(_url(org))
    assert "Not reachable" in response.text
    assert "Not in the group" in response.text
    assert "Not checked" in response.text  # the admin was not in that report


def test_individual_mode_shows_each_persons_calendar_connection(admin_client: Client, org: Org) -> None:
    Connection.objects.create(organization=org.organization, mode=Connection.Mode.DELEGATED)
    CalendarGrant.objects.create(membership=_membership(org, org.member), status=CalendarGrant.Status.CONNECTED)
    response = admin_client.get(_url(org))
    assert '<span class="badge ok">Connected</span>' in response.text
    assert '<span class="badge warn">Not connected</span>' in response.text
