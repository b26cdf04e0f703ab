"""A tenant belongs to at most one organization, proven by its admin's own sign-in at Microsoft."""

from __future__ import annotations

import html
import re

import pytest
from django.db import IntegrityError
from django.test import Client

from accounts.models import Membership, Organization, User
from integrations.models import Connection, DirectoryEntry
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import (
    ADELE,
    CONTOSO,
    CONTOSO_ID,
    FABRIKAM_ID,
    HOST,
    MicrosoftBrowser,
    back_to_overlap,
    browser,
    come_back,
    connect,
    consent_at_microsoft,
    query,
    save_tenant,
    sign_in_then,
    start_consent,
)

DIEGO = "diego.siciliani@fabrikam.onmicrosoft.com"  # Fabrikam's Global Administrator
MEGAN = "megan.bowen@contoso.onmicrosoft.com"
TAKEN = "This Microsoft 365 tenant is already connected to another organization in Overlap"


def messages_of(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'class="message[^"]*">(.*?)</li>', page, re.S)]


def _connection(org: Org) -> Connection:
    return Connection.objects.get(organization=org.organization)


def _people(org: Org) -> int:
    return Membership.objects.filter(organization=org.organization).count()


class TestConsentHijack:
    def test_the_reported_hijack_typing_the_callback_without_visiting_microsoft_connects_nothing(
        self, org: Org, other_org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)  # Contoso uses Overlap
        attacker = browser(other_org.admin)
        save_tenant(attacker, other_org, CONTOSO)
        own_state = query(attacker.post(f"/orgs/{other_org.code}/integrations/microsoft/consent")["Location"])["state"]
        before, people = emulator_settings.last_seq(), _people(other_org)

        page = come_back(attacker, admin_consent="True", tenant=CONTOSO_ID, state=own_state)

        assert any("not issued by Overlap" in m and "Nothing was changed" in m for m in messages_of(page))
        assert (_connection(other_org).status, _connection(other_org).tenant_guid) == ("awaiting_consent", "")
        assert _people(other_org) == people
        assert emulator_settings.log(before) == []

    def test_a_typed_callback_with_another_tenants_id_connects_nothing(
        self, org: Org, other_org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)  # Contoso uses Overlap
        attacker = browser(other_org.admin)
        save_tenant(attacker, other_org, "fabrikam.onmicrosoft.com")
        own_state = query(start_consent(attacker, other_org, emulator_settings, login=DIEGO))["state"]
        before, people = emulator_settings.last_seq(), _people(other_org)

        page = come_back(attacker, admin_consent="True", tenant=CONTOSO_ID, state=own_state)

        assert any("does not match the tenant you signed in for" in m for m in messages_of(page))
        connection = _connection(other_org)
        assert (connection.status, connection.tenant_guid) == ("awaiting_consent", FABRIKAM_ID)
        assert _people(other_org) == people
        assert not [e for e in emulator_settings.log(before) if e.get("tenant") == CONTOSO_ID]

    def test_typing_another_tenant_sends_the_admin_to_that_tenants_sign_in_where_an_outsider_cannot_pass(
        self, org: Org, other_org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)
        attacker = browser(other_org.admin)
        save_tenant(attacker, other_org, CONTOSO)
        before = emulator_settings.last_seq()

        location = attacker.post(f"/orgs/{other_org.code}/integrations/microsoft/consent")["Location"]
        ms = MicrosoftBrowser(emulator_settings)
        answer = ms.sign_in(ms.open(location), DIEGO)

        assert location.startswith(f"{emulator_settings.browser_url}/{CONTOSO_ID}/oauth2/v2.0/authorize?")
        assert answer.status_code == 200 and "Location" not in answer.headers  # Microsoft keeps him there
        assert _connection(other_org).tenant_guid == ""
        assert not any("adminconsent" in e["path"] for e in emulator_settings.log(before))

    def test_a_second_organization_cannot_take_a_connected_tenant_even_with_its_real_admin(
        self, org: Org, other_org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)
        second = browser(other_org.admin)
        save_tenant(second, other_org, CONTOSO)
        before = emulator_settings.last_seq()

        page = consent_at_microsoft(second, other_org, emulator_settings, ADELE, "accept")

        refusal = [m for m in messages_of(page) if TAKEN in m]
        assert refusal and org.organization.name not in refusal[0]
        assert (_connection(other_org).tenant_guid, _connection(other_org).status) == ("", "awaiting_consent")
        assert _connection(org).status == "active"
        assert not any("adminconsent" in e["path"] for e in emulator_settings.log(before))

    def test_the_database_holds_a_tenant_to_one_organization(self, org: Org, other_org: Org) -> None:
        Connection.objects.create(organization=org.organization, tenant_guid=CONTOSO_ID)

        with pytest.raises(IntegrityError):
            Connection.objects.create(organization=other_org.organization, tenant_guid=CONTOSO_ID)

    def test_a_registration_without_the_roles_claim_is_explained_in_plain_words(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        emulator_settings.control(
            "POST", f"/apps/{emulator_settings.client_id}/group-membership-claims", {"value": "None"}
        )
        client = browser(org.admin)
        save_tenant(client, org, CONTOSO)
        before = emulator_settings.last_seq()

        page = consent_at_microsoft(client, org, emulator_settings, ADELE, "accept")

        assert any("Microsoft did not say which admin roles you hold" in m for m in messages_of(page))
        assert any("Token configuration → Add groups claim" in m and "Directory roles" in m for m in messages_of(page))
        assert _connection(org).tenant_guid == ""
        assert not any("adminconsent" in e["path"] for e in emulator_settings.log(before))

    def test_an_admin_whose_role_cannot_grant_consent_is_refused_before_consent(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        save_tenant(client, org, CONTOSO)
        joni = "joni.sherman@contoso.onmicrosoft.com"  # User Administrator

        page = consent_at_microsoft(client, org, emulator_settings, joni, "accept")

        assert f"{joni} holds no Microsoft Entra role that can grant Overlap's permissions" in html.unescape(page)
        assert _connection(org).tenant_guid == ""

    @pytest.mark.parametrize(
        "login",
        [
            "nestor.wilke@contoso.onmicrosoft.com",  # Privileged Role Administrator
            "diego.siciliani@fabrikam.onmicrosoft.com",  # Global Administrator (of Fabrikam)
        ],
    )
    def test_each_role_that_can_grant_consent_is_accepted(
        self, login: str, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        tenant, tenant_id = (CONTOSO, CONTOSO_ID) if "contoso" in login else ("fabrikam.onmicrosoft.com", FABRIKAM_ID)
        save_tenant(client, org, tenant)

        location = client.post(f"/orgs/{org.code}/integrations/microsoft/consent")["Location"]
        onward = sign_in_then(client, MicrosoftBrowser(emulator_settings), location, login)

        assert "/adminconsent?" in onward
        assert _connection(org).tenant_guid == tenant_id


class TestStartWithMicrosoft365:
    def _start(self, emulator: EmulatorProcess, login: str) -> tuple[Client, str]:
        client = Client(HTTP_HOST=HOST)
        assert "Start with Microsoft 365" in client.get("/start").content.decode()
        location = client.post("/start/microsoft")["Location"]
        ms = MicrosoftBrowser(emulator)
        onward = sign_in_then(client, ms, location, login)
        if not onward.startswith(emulator.browser_url):
            return client, onward
        return client, back_to_overlap(client, ms.decide(ms.open(onward), "accept"))

    def test_a_tenant_admin_starts_an_organization_and_connects_it_in_one_path(
        self, db: None, emulator_settings: EmulatorProcess
    ) -> None:
        client, page = self._start(emulator_settings, ADELE)

        adele = User.objects.get(email=ADELE)
        assert client.session["_auth_user_id"] == str(adele.pk)
        membership = Membership.objects.get(user=adele)
        assert membership.role == "admin"
        connection = Connection.objects.get(organization=membership.organization)
        assert (connection.tenant_guid, connection.status) == (CONTOSO_ID, "active")
        assert DirectoryEntry.objects.get(membership=membership).object_id == emulator_settings.user_id(ADELE)
        assert "Connected. Overlap checked the connection" in page
        assert Membership.objects.filter(organization=membership.organization, user__email=MEGAN).exists()

    def test_a_person_without_an_admin_role_cannot_start_one(
        self, db: None, emulator_settings: EmulatorProcess
    ) -> None:
        client, page = self._start(emulator_settings, MEGAN)

        assert "_auth_user_id" not in client.session
        assert "holds no Microsoft Entra role that can grant Overlap's permissions" in html.unescape(page)
        assert not Organization.objects.exists() and not User.objects.exists()

    def test_a_tenant_already_in_overlap_cannot_start_a_second_organization(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)
        organizations = Organization.objects.count()

        client, page = self._start(emulator_settings, "allan.deyoung@contoso.onmicrosoft.com")

        assert any(TAKEN in m for m in messages_of(page))
        assert Organization.objects.count() == organizations
        assert "_auth_user_id" not in client.session


class TestOpenSignUpIsClosed:
    def test_nobody_signs_up_with_an_address_of_their_choosing(self, db: None) -> None:
        client = Client()
        page = client.get("/accounts/signup/").content.decode()
        client.post(
            "/accounts/signup/",
            {
                "email": "lee.gu@contoso.onmicrosoft.com",
                "password1": "pre-registered-1",
                "password2": "pre-registered-1",
            },
        )

        assert "Sign up closed" in page or "closed" in page.lower()
        assert not User.objects.filter(email="lee.gu@contoso.onmicrosoft.com").exists()


class TestNoOtherDoor:
    def test_allauths_microsoft_login_is_not_installed(self, db: None) -> None:
        assert Client().post("/accounts/microsoft/login/").status_code == 404

    def test_linking_and_confirming_a_sync_are_for_the_organizations_own_people(
        self, org: Org, other_org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        outsider = browser(other_org.admin)

        assert outsider.post(f"/orgs/{org.code}/integrations/microsoft/link").status_code == 404
        assert outsider.post(f"/orgs/{org.code}/integrations/microsoft/sync/confirm").status_code == 404
        assert Client().post(f"/orgs/{org.code}/integrations/microsoft/link").status_code == 302

    def test_a_sign_in_callback_without_its_flow_changes_nothing(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        save_tenant(client, org, CONTOSO)

        page = client.get("/integrations/microsoft/signin/callback?code=stolen&state=guessed", follow=True)

        assert any("already used, or was started in another browser" in m for m in messages_of(page.content.decode()))
        assert _connection(org).tenant_guid == ""
