"""Sign-in with Microsoft: a person is their tenant and object id from a verified ID token, never an address."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from accounts.models import Membership, User
from integrations.models import DirectoryEntry
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import CONTOSO_ID, HOST, MicrosoftBrowser, browser, connect, query, sign_in_then

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
ALEX = "alex.wilber@contoso.onmicrosoft.com"
ADELE = "adele.vance@contoso.onmicrosoft.com"
DIEGO = "diego.siciliani@fabrikam.onmicrosoft.com"


def sign_in_with_microsoft(emulator: EmulatorProcess, login: str, client: Client | None = None) -> tuple[Client, str]:
    client = client or Client(HTTP_HOST=HOST)
    location = client.post("/sign-in/microsoft")["Location"]
    return client, sign_in_then(client, MicrosoftBrowser(emulator), location, login)


def messages_of(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'class="message[^"]*">(.*?)</li>', page, re.S)]


def signed_in_as(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_it_asks_microsoft_for_an_openid_sign_in_with_pkce_and_a_nonce(
    db: None, emulator_settings: EmulatorProcess
) -> None:
    location = Client(HTTP_HOST=HOST).post("/sign-in/microsoft")["Location"]

    sent = query(location)
    assert location.startswith(f"{emulator_settings.browser_url}/organizations/oauth2/v2.0/authorize?")
    assert {"openid", "profile"} <= set(sent["scope"].split())
    assert sent["code_challenge_method"] == "S256" and sent["code_challenge"] and sent["nonce"]


def test_a_person_of_the_connected_tenant_signs_in_as_their_directory_entry(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    connect(browser(org.admin), org, emulator_settings)

    client, page = sign_in_with_microsoft(emulator_settings, MEGAN)

    megan = signed_in_as(client)
    assert megan is not None and megan.email == MEGAN
    assert DirectoryEntry.objects.get(membership__user=megan).object_id == emulator_settings.user_id(MEGAN)
    assert "Megan Bowen" in page


def test_a_person_of_another_tenant_is_refused_and_nothing_is_created(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    connect(browser(org.admin), org, emulator_settings)
    users = User.objects.count()

    client, page = sign_in_with_microsoft(emulator_settings, DIEGO)

    assert signed_in_as(client) is None
    assert any("does not use Overlap yet" in message for message in messages_of(page))
    assert User.objects.count() == users


def test_nobody_signs_in_with_microsoft_before_the_organization_is_connected(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    emulator_settings.grant_admin_consent()

    client, page = sign_in_with_microsoft(emulator_settings, MEGAN)

    assert signed_in_as(client) is None
    assert any("does not use Overlap yet" in message for message in messages_of(page))
    assert not User.objects.filter(email=MEGAN).exists()


def test_in_individual_mode_people_appear_as_they_sign_in(org: Org, emulator_settings: EmulatorProcess) -> None:
    connect(browser(org.admin), org, emulator_settings, mode="delegated")
    assert not User.objects.filter(email=MEGAN).exists()

    client, page = sign_in_with_microsoft(emulator_settings, MEGAN)

    megan = signed_in_as(client)
    assert megan is not None and megan.email == MEGAN
    assert Membership.objects.filter(user=megan, organization=org.organization, role="member").exists()
    assert DirectoryEntry.objects.get(membership__user=megan).object_id == emulator_settings.user_id(MEGAN)
    assert "Your calendar connection" in page


class TestTakeoverByAddress:
    """A connected tenant's admin can set anybody's `mail`; Entra ID does not verify it."""

    def test_a_forged_mail_signs_in_as_its_owner_not_as_the_person_whose_address_it_copies(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)
        adele = User.objects.get(email=ADELE)
        emulator_settings.control("POST", f"/tenants/{CONTOSO_ID}/users", {"user": ALEX, "mail": ADELE})

        client, _ = sign_in_with_microsoft(emulator_settings, ALEX)

        who = signed_in_as(client)
        assert who is not None and who != adele and who.email == ALEX

    def test_a_forged_mail_of_a_platform_operator_never_reaches_the_operator(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        operator = User.objects.create_superuser(email="ops@overlap.example", password="x" * 20)
        connect(browser(org.admin), org, emulator_settings, mode="delegated")
        emulator_settings.control("POST", f"/tenants/{CONTOSO_ID}/users", {"user": ALEX, "mail": operator.email})

        client, _ = sign_in_with_microsoft(emulator_settings, ALEX)

        assert signed_in_as(client) != operator
        assert not operator.memberships.exists()

    def test_an_operator_linked_to_a_directory_entry_still_cannot_sign_in_with_microsoft(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)
        User.objects.filter(email=MEGAN).update(is_staff=True)

        client, page = sign_in_with_microsoft(emulator_settings, MEGAN)

        assert signed_in_as(client) is None
        assert any("operator accounts cannot sign in with Microsoft" in m for m in messages_of(page))

    def test_address_squatting_by_a_password_account_blocks_nobody_and_merges_nothing(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings, mode="delegated")
        squatter = User.objects.create_user(email=MEGAN, password="an-early-bird-password")

        client, _ = sign_in_with_microsoft(emulator_settings, MEGAN)

        megan = signed_in_as(client)
        assert megan is not None and megan != squatter and megan.email == MEGAN
        assert megan.microsoft_object_id == emulator_settings.user_id(MEGAN)
        assert not squatter.memberships.exists()
        assert DirectoryEntry.objects.get(object_id=emulator_settings.user_id(MEGAN)).membership.user == megan
        assert Client().login(email=MEGAN, password="an-early-bird-password")  # the squatter is still themselves


@pytest.mark.parametrize("mode", ["domain_wide", "delegated"])
def test_a_deactivated_person_is_refused_in_either_mode(
    mode: str, org: Org, emulator_settings: EmulatorProcess
) -> None:
    connect(browser(org.admin), org, emulator_settings, mode=mode)
    sign_in_with_microsoft(emulator_settings, MEGAN)
    Membership.objects.filter(user__email=MEGAN).update(is_active=False)

    client, page = sign_in_with_microsoft(emulator_settings, MEGAN)

    assert signed_in_as(client) is None
    assert any("access to Contoso in Overlap has been removed" in m for m in messages_of(page))


def test_a_password_account_connects_microsoft_from_its_profile_then_signs_in_with_it(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    connect(browser(org.admin), org, emulator_settings, mode="delegated")
    megan = User.objects.create_user(email=MEGAN, password="her-own-password-1")
    Membership.objects.create(user=megan, organization=org.organization)
    own = browser(megan)
    assert "Connect Microsoft" in own.get(f"/orgs/{org.code}/").content.decode()

    location = own.post(f"/orgs/{org.code}/integrations/microsoft/link")["Location"]
    page = sign_in_then(own, MicrosoftBrowser(emulator_settings), location, MEGAN)
    client, _ = sign_in_with_microsoft(emulator_settings, MEGAN)

    assert f"Your Microsoft account {MEGAN} is connected" in page
    assert signed_in_as(client) == megan


def test_connecting_a_colleagues_microsoft_account_from_a_profile_is_refused(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    connect(browser(org.admin), org, emulator_settings)  # the sync links Alex's object to Alex
    own = browser(org.member)

    location = own.post(f"/orgs/{org.code}/integrations/microsoft/link")["Location"]
    page = sign_in_then(own, MicrosoftBrowser(emulator_settings), location, ALEX)

    assert any(f"You signed in at Microsoft as {ALEX}, which is someone else's account" in m for m in messages_of(page))
    assert not DirectoryEntry.objects.filter(membership__user=org.member).exists()
