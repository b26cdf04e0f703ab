"""One set of words from the invitation to signing in again: an invitation is followed to *join* the organization,
and the Start and sign-in pages send an invited person the same way."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.conftest import Org


def invitation_link(org: Org, admin_client: Client) -> str:
    admin_client.post(
        reverse("invitations", kwargs={"code": org.code}), {"email": "new@contoso.example", "role": "member"}
    )
    found = re.search(r"http://testserver(/invitations/\S+)", str(mail.outbox[-1].body))
    assert found is not None
    return found.group(1)


def test_the_invitation_its_page_and_the_sign_in_pages_speak_of_joining(
    org: Org, other_org: Org, admin_client: Client
) -> None:
    link = invitation_link(org, admin_client)
    sent = mail.outbox[-1]
    page = Client().get(link).content.decode()

    assert "You are invited to join an organization on Overlap" in sent.body
    assert "Join and choose your password here" in sent.body
    assert "Join Contoso on Overlap" in page and '<button type="submit">Join Contoso</button>' in page
    assert "Fabrikam" not in sent.body + page
    assert "Invited by email? Follow the link in your invitation to join." in Client().get("/start").content.decode()
    login = Client().get(reverse("account_login")).content.decode()
    assert "Invited by email?" in login and "the password you chose when you joined" in login


def test_the_admins_invitation_page_says_what_the_person_will_get(org: Org, admin_client: Client) -> None:
    page = admin_client.get(reverse("invitations", kwargs={"code": org.code})).content.decode()
    assert "an email invitation with a link that works once, for a week, to join and choose a password" in page
