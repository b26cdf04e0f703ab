"""Password accounts exist only for people an admin invited: a single-use link that expires."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Invitation, Membership, User
from tests.conftest import Org

NEW = "lee.gu@contoso.example"
PASSWORD = "a-long-and-unusual-password"


def _invite(client: Client, org: Org, email: str = NEW) -> str:
    response = client.post(reverse("invitations", kwargs={"code": org.code}), {"email": email, "role": "member"})
    assert response.status_code == 302
    found = re.search(r"http://testserver(/invitations/\S+)", str(mail.outbox[-1].body))
    assert found
    return found.group(1)


def _accept(link: str, client: Client | None = None) -> tuple[Client, int, str]:
    client = client or Client()
    response = client.post(link, {"name": "Lee Gu", "password1": PASSWORD, "password2": PASSWORD}, follow=True)
    return client, response.status_code, response.content.decode()


def test_an_invited_person_chooses_a_password_and_joins(org: Org, admin_client: Client) -> None:
    link = _invite(admin_client, org)

    client, status, page = _accept(link)

    lee = User.objects.get(email=NEW)
    assert status == 200 and org.organization.name in page
    assert client.session["_auth_user_id"] == str(lee.pk) and lee.check_password(PASSWORD)
    assert Membership.objects.filter(user=lee, organization=org.organization, role="member").exists()
    assert mail.outbox[-1].to == [NEW]
    assert Invitation.objects.get(email=NEW).secret_hash not in link  # only its hash is stored


def test_the_link_works_once(org: Org, admin_client: Client) -> None:
    link = _invite(admin_client, org)
    _accept(link)

    _, status, page = _accept(link)

    assert status == 410 and "already used" in page
    assert User.objects.filter(email=NEW).count() == 1


def test_an_expired_link_is_refused(org: Org, admin_client: Client) -> None:
    link = _invite(admin_client, org)
    Invitation.objects.update(expires_at=Invitation.objects.get().created - timedelta(seconds=1))

    _, status, page = _accept(link)

    assert status == 410 and "expired" in page
    assert not User.objects.filter(email=NEW).exists()


def test_a_new_invitation_replaces_the_old_link(org: Org, admin_client: Client) -> None:
    old = _invite(admin_client, org)
    _invite(admin_client, org)

    _, status, _ = _accept(old)

    assert status == 410 and not User.objects.filter(email=NEW).exists()


def test_an_invitation_to_an_existing_address_never_touches_that_account(org: Org, admin_client: Client) -> None:
    link = _invite(admin_client, org, email=org.member.email)
    before = org.member.password

    _accept(link)

    org.member.refresh_from_db()
    assert org.member.password == before


def test_only_the_organizations_admins_invite(org: Org, member_client: Client, outsider_client: Client) -> None:
    address = reverse("invitations", kwargs={"code": org.code})

    assert member_client.post(address, {"email": NEW, "role": "admin"}).status_code == 403
    assert outsider_client.post(address, {"email": NEW, "role": "admin"}).status_code == 404
    assert Client().get(address).status_code == 302
    assert not Invitation.objects.exists() and not mail.outbox
