from __future__ import annotations

import re
import uuid

from django.test import Client

from accounts.models import Membership
from tests.conftest import Org, signed_in
from tests.factories import MembershipFactory, UserFactory


def test_an_admin_sees_the_admin_next_steps(admin_client: Client, org: Org) -> None:
    response = admin_client.get(f"/orgs/{org.code}/")
    assert response.status_code == 200
    assert "What to do next, as an admin" in response.text
    assert "Connect Microsoft 365" in response.text


def test_a_member_sees_the_member_next_steps(member_client: Client, org: Org) -> None:
    response = member_client.get(f"/orgs/{org.code}/")
    assert response.status_code == 200
    assert "Pick a colleague" in response.text
    assert "as an admin" not in response.text


def test_an_outsider_gets_404_on_another_organizations_page(outsider_client: Client, org: Org) -> None:
    assert outsider_client.get(f"/orgs/{org.code}/").status_code == 404


def test_a_missing_organization_and_a_foreign_one_look_the_same(outsider_client: Client, org: Org) -> None:
    foreign = outsider_client.get(f"/orgs/{org.code}/")
    missing = outsider_client.get(f"/orgs/{uuid.uuid4()}/")
    assert foreign.status_code == missing.status_code == 404
    # The pages are the same apart from the sign-out form's CSRF token, which is masked anew on every page.
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub(b"", foreign.content) == token.sub(b"", missing.content)


def test_a_deactivated_member_can_no_longer_open_the_organization(member_client: Client, org: Org) -> None:
    Membership.objects.filter(user=org.member).update(is_active=False)
    assert member_client.get(f"/orgs/{org.code}/").status_code == 404


def test_the_home_page_sends_a_person_with_one_organization_there(member_client: Client, org: Org) -> None:
    response = member_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"/orgs/{org.code}/"


def test_the_home_page_lets_a_person_in_two_organizations_choose(org: Org, other_org: Org) -> None:
    MembershipFactory.create(user=org.member, organization=other_org.organization)
    response = signed_in(org.member).get("/")
    assert response.status_code == 200
    assert "Contoso" in response.text and "Fabrikam" in response.text


def test_a_person_without_an_organization_is_told_what_to_do(db: None) -> None:
    response = signed_in(UserFactory.create(email="loner@example.com")).get("/")
    assert "You are not in an organization yet" in response.text


def test_a_visitor_reads_what_overlap_does_and_can_sign_in_or_start_at_once(db: None) -> None:
    response = Client().get("/")
    assert response.status_code == 200
    assert "For an employee" in response.text
    assert "For an organization" in response.text
    assert 'action="/sign-in/microsoft"' in response.text  # straight to Microsoft, no page in between
    assert 'action="/start/microsoft"' in response.text
    assert 'action="/accounts/login/"' in response.text  # invited people's passwords
    assert "/accounts/signup/" not in response.text


def test_a_person_signs_in_with_email_and_password(org: Org) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": org.member.email, "password": "correct horse battery staple"}, follow=True
    )
    assert response.status_code == 200
    assert "Pick a colleague" in response.text


def test_a_wrong_password_is_refused_with_a_message(org: Org) -> None:
    response = Client().post("/accounts/login/", {"login": org.member.email, "password": "wrong"})
    assert response.status_code == 200
    assert "not correct" in response.text
