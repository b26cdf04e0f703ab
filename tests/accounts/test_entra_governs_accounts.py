"""allauth's password and address pages: Entra ID governs a Microsoft person's sign-in and address, a password
account changes its address only by verifying the new one, and nobody takes or relays through a colleague's."""

from __future__ import annotations

import html
import importlib
import re
from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core import mail
from django.core.cache import cache
from django.test import Client

from accounts import services
from accounts.adapters import ADDRESS_HELD, ENTRA_GOVERNS
from accounts.models import Membership, User
from integrations.models import Connection, DirectoryEntry
from tests.conftest import Org

TENANT = "6f1c3b8e-2b7a-4c1e-9d51-0f0e7e1c2a11"
OUTSIDE = "somebody@outside.example"


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    """allauth counts in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def megan(org: Org) -> User:
    """A Microsoft person of our organization, as the directory sync brings one in."""
    user = services.microsoft_person(
        tenant=TENANT, object_id="0d4f3c2b-1a09-4e8d-8c7b-6a5f4e3d2c1b", email="megan@contoso.example", name="Megan"
    )
    Membership.objects.create(user=user, organization=org.organization)
    return user


def _signed_in(user: User) -> Client:
    client = Client()
    user.refresh_from_db()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _page(response: object) -> str:
    return html.unescape(response.content.decode())  # type: ignore[attr-defined]


def _addresses(user: User) -> set[str]:
    return set(EmailAddress.objects.filter(user=user).values_list("email", flat=True))


class TestMicrosoftAccountsAreGovernedByEntraId:
    def test_setting_a_local_password_on_a_microsoft_account_is_refused(self, megan: User, other_org: Org) -> None:
        client = _signed_in(megan)

        shown = _page(client.get("/accounts/password/set/"))
        answer = client.post(
            "/accounts/password/set/", {"password1": "a-Fresh-password-77", "password2": "a-Fresh-password-77"}
        )

        assert ENTRA_GOVERNS in shown and 'name="password1"' not in shown
        assert ENTRA_GOVERNS in _page(answer)
        megan.refresh_from_db()
        assert not megan.has_usable_password()
        assert not Client().login(email=megan.email, password="a-Fresh-password-77")

    def test_changing_a_password_a_microsoft_person_set_before_is_refused(self, megan: User) -> None:
        megan.set_password("set-before-the-change-1")  # what the password page allowed before
        megan.save()
        client = _signed_in(megan)

        shown = _page(client.get("/accounts/password/change/"))
        answer = client.post(
            "/accounts/password/change/",
            {"oldpassword": "set-before-the-change-1", "password1": "Another-pass-88", "password2": "Another-pass-88"},
        )

        assert ENTRA_GOVERNS in shown and 'name="password1"' not in shown
        assert ENTRA_GOVERNS in _page(answer)
        megan.refresh_from_db()
        assert not megan.check_password("Another-pass-88")

    def test_a_microsoft_person_never_signs_in_with_a_password(self, megan: User) -> None:
        megan.set_password("set-before-the-change-1")
        megan.save()

        answer = Client().post("/accounts/login/", {"login": megan.email, "password": "set-before-the-change-1"})

        assert "_auth_user_id" not in Client().session
        assert answer.status_code == 200  # the form again, not a signed-in redirect
        assert not Client().login(email=megan.email, password="set-before-the-change-1")

    def test_a_password_reset_by_mail_gives_a_microsoft_person_no_link_to_set_a_password(
        self, megan: User, org: Org
    ) -> None:
        Client().post("/accounts/password/reset/", {"email": megan.email})

        [sent] = mail.outbox
        assert sent.to == [megan.email]
        assert ENTRA_GOVERNS in str(sent.body)
        assert "/accounts/password/reset/key/" not in str(sent.body)

    def test_adding_an_address_to_a_microsoft_account_to_write_into_another_mailbox_is_refused(
        self, megan: User, org: Org
    ) -> None:
        client = _signed_in(megan)
        page = _page(client.get("/accounts/email/"))

        answer = client.post("/accounts/email/", {"action_add": "", "email": "cfo@contoso.example"})

        assert ENTRA_GOVERNS in page and 'name="email"' not in page
        assert ENTRA_GOVERNS in _page(answer)
        assert "cfo@contoso.example" not in _addresses(megan)
        assert mail.outbox == []

    def test_removing_a_microsoft_persons_address_is_refused(self, megan: User) -> None:
        client = _signed_in(megan)
        client.get("/accounts/email/")

        answer = client.post("/accounts/email/", {"action_remove": "", "email": megan.email}, follow=True)

        assert ENTRA_GOVERNS in _page(answer)
        assert _addresses(megan) == {megan.email}

    def test_an_address_added_before_the_change_goes_and_the_old_password_stops_working_on_upgrade(
        self, org: Org
    ) -> None:
        megan = User.objects.create_user(email="megan@contoso.example", password="set-before-the-change-1")
        membership = Membership.objects.create(user=megan, organization=org.organization)
        Connection.objects.create(organization=org.organization, tenant=TENANT, tenant_guid=TENANT)
        DirectoryEntry.objects.create(organization=org.organization, membership=membership, object_id="ABC-1")
        EmailAddress.objects.create(user=megan, email="cfo@contoso.example", verified=False)
        User.objects.filter(pk=megan.pk).update(microsoft_object_id="")  # as before the upgrade

        importlib.import_module("integrations.migrations.0010_microsoft_people_identity").forwards(apps, None)

        megan.refresh_from_db()
        assert (megan.microsoft_tenant, megan.microsoft_object_id) == (TENANT, "abc-1")
        assert not Client().login(email=megan.email, password="set-before-the-change-1")
        assert "cfo@contoso.example" not in _addresses(megan)


class TestPasswordAccountsChangeTheirAddressByVerifyingIt:
    def test_making_a_colleagues_address_primary_answers_no_500_and_leaves_no_row(
        self, org: Org, other_org: Org
    ) -> None:
        client = _signed_in(org.member)

        for colleague in (org.admin.email, other_org.admin.email):
            cache.clear()  # each try within the address page's rate limit
            added = client.post("/accounts/email/", {"action_add": "", "email": colleague})
            primary = client.post("/accounts/email/", {"action_primary": "", "email": colleague})

            assert ADDRESS_HELD in _page(added)
            assert primary.status_code == 302
        org.member.refresh_from_db()
        assert org.member.email == "member@contoso.example"
        assert not EmailAddress.objects.filter(email__in=[org.admin.email, other_org.admin.email], user=org.member)
        assert mail.outbox == []

    def test_a_password_account_changes_its_address_only_after_verifying_it(self, org: Org) -> None:
        client = _signed_in(org.member)

        client.post("/accounts/email/", {"action_add": "", "email": OUTSIDE})
        client.post("/accounts/email/", {"action_primary": "", "email": OUTSIDE})
        org.member.refresh_from_db()
        assert org.member.email == "member@contoso.example"  # not before the new address answered

        [sent] = mail.outbox
        assert sent.to == [OUTSIDE]
        link = re.search(r"https?://\S+/accounts/confirm-email/\S+", str(sent.body))
        assert link is not None
        path = link.group(0).split("testserver", 1)[-1]
        client.post(path)
        org.member.refresh_from_db()
        assert org.member.email == OUTSIDE
        assert _addresses(org.member) == {OUTSIDE}

    def test_after_the_upgrade_an_unverified_address_added_before_cannot_become_the_login(self, org: Org) -> None:
        EmailAddress.objects.filter(user=org.member).update(verified=False)  # as allauth's page left them
        EmailAddress.objects.create(user=org.member, email=OUTSIDE, verified=False)
        importlib.import_module("accounts.migrations.0008_password_accounts_verified_address").forwards(apps, None)
        client = _signed_in(org.member)

        answer = client.post("/accounts/email/", {"action_primary": "", "email": OUTSIDE}, follow=True)

        org.member.refresh_from_db()
        assert org.member.email == "member@contoso.example"
        assert "verified" in _page(answer)
        assert EmailAddress.objects.get(user=org.member, primary=True).email == "member@contoso.example"

    def test_adding_addresses_in_bulk_to_relay_mail_is_stopped_by_the_rate_limit(self, org: Org) -> None:
        client = _signed_in(org.member)

        answers = [
            client.post("/accounts/email/", {"action_add": "", "email": f"target{n}@outside.example"}).status_code
            for n in range(10)
        ]

        assert len(mail.outbox) <= 5
        assert answers.count(429) >= 5
        assert "Please wait before trying again" in _page(
            client.post("/accounts/email/", {"action_add": "", "email": OUTSIDE})
        )
