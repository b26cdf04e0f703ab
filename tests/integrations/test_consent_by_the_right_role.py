"""Consent by the right role: only a Global Administrator or a Privileged Role Administrator can grant Overlap's
application permissions of Microsoft Graph, and nobody holds a tenant by starting without consenting."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import Membership, Organization, User
from integrations import tasks
from integrations.models import Connection, IntegrationEvent
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import (
    ADELE,
    CONTOSO,
    CONTOSO_ID,
    HOST,
    MicrosoftBrowser,
    back_to_overlap,
    browser,
    consent_at_microsoft,
    save_tenant,
    sign_in_then,
)

APP_ADMIN = "ada.appadmin@contoso.onmicrosoft.com"
CLOUD_APP_ADMIN = "allan.deyoung@contoso.onmicrosoft.com"  # Cloud Application Administrator in the demo
NESTOR = "nestor.wilke@contoso.onmicrosoft.com"  # Privileged Role Administrator
DIEGO = "diego.siciliani@fabrikam.onmicrosoft.com"  # Fabrikam's Global Administrator
WHO_CAN = "Only a Global Administrator or a Privileged Role Administrator of your organization can grant"
TAKEN = "This Microsoft 365 tenant is already connected to another organization in Overlap"


@pytest.fixture
def app_admin(emulator_settings: EmulatorProcess) -> str:
    """A person of Contoso who holds Application Administrator and nothing more."""
    emulator_settings.control(
        "POST",
        f"/tenants/{CONTOSO}/users",
        {
            "userPrincipalName": APP_ADMIN,
            "displayName": "Ada Appadmin",
            "directoryRoles": ["Application Administrator"],
        },
    )
    return APP_ADMIN


def _start(emulator: EmulatorProcess, login: str, decision: str | None = "accept") -> tuple[Client, str]:
    """ "Start with Microsoft 365" as `login`; `decision` at Microsoft's consent page (None: leave it open)."""
    client = Client(HTTP_HOST=HOST)
    ms = MicrosoftBrowser(emulator)
    onward = sign_in_then(client, ms, client.post("/start/microsoft")["Location"], login)
    if decision is None or not onward.startswith(emulator.browser_url):
        return client, html.unescape(onward)
    return client, html.unescape(back_to_overlap(client, ms.decide(ms.open(onward), decision)))


def _handed_link(page: str) -> str:
    found = re.search(r'id="handed-link" type="text" readonly value="([^"]+)"', page)
    assert found, page[:3000]
    return html.unescape(found.group(1))


def _connection_of(login: str) -> Connection:
    return Connection.objects.get(organization__memberships__user__email=login)


def _adminconsent_calls(emulator: EmulatorProcess, since: int) -> list[dict[str, object]]:
    return [e for e in emulator.log(since) if "adminconsent" in str(e["path"])]


class TestAnAdministratorWhoCannotGrant:
    @pytest.mark.parametrize("role", ["Application Administrator", "Cloud Application Administrator"])
    def test_an_application_administrator_who_starts_is_told_who_can_grant_and_holds_nothing(
        self, role: str, db: None, app_admin: str, emulator_settings: EmulatorProcess
    ) -> None:
        emulator_settings.control("POST", f"/tenants/{CONTOSO}/users", {"user": app_admin, "directoryRoles": [role]})
        before = emulator_settings.last_seq()

        client, page = _start(emulator_settings, app_admin)

        assert f"{app_admin} holds no Microsoft Entra role that can grant Overlap's permissions" in page
        assert WHO_CAN in page
        assert _handed_link(page) == f"http://{HOST}/start"  # the right person starts it themselves
        assert "_auth_user_id" not in client.session
        assert not Organization.objects.exists() and not User.objects.exists()
        assert _adminconsent_calls(emulator_settings, before) == []

    def test_an_application_administrator_on_the_settings_page_hands_a_link_to_a_global_administrator(
        self, org: Org, other_org: Org, app_admin: str, emulator_settings: EmulatorProcess
    ) -> None:
        admin = browser(org.admin)
        save_tenant(admin, org, CONTOSO)

        refused = html.unescape(consent_at_microsoft(admin, org, emulator_settings, app_admin, "accept"))
        link = _handed_link(refused)
        assert WHO_CAN in refused and org.organization.name in refused
        assert Connection.objects.get(organization=org.organization).tenant_guid == ""

        adele = Client(HTTP_HOST=HOST)  # the Global Administrator, who has no Overlap account yet
        path = link[len(f"http://{HOST}") :]
        assert org.organization.name in adele.get(path).content.decode()
        ms = MicrosoftBrowser(emulator_settings)
        onward = sign_in_then(adele, ms, adele.post(path)["Location"], ADELE)
        page = back_to_overlap(adele, ms.decide(ms.open(onward), "accept"))

        assert "Connected. Overlap checked the connection" in page
        connection = Connection.objects.get(organization=org.organization)
        assert (connection.status, connection.tenant_guid) == ("active", CONTOSO_ID)
        joined = Membership.objects.get(organization=org.organization, user__email=ADELE)
        assert joined.role == "admin"
        assert not Membership.objects.filter(organization=other_org.organization, user__email=ADELE).exists()

    def test_a_handed_link_used_by_a_global_administrator_of_another_tenant_changes_nothing(
        self, org: Org, app_admin: str, emulator_settings: EmulatorProcess
    ) -> None:
        admin = browser(org.admin)
        save_tenant(admin, org, CONTOSO)
        path = _handed_link(html.unescape(consent_at_microsoft(admin, org, emulator_settings, app_admin, "accept")))
        path = path[len(f"http://{HOST}") :]
        outsider = Client(HTTP_HOST=HOST)
        before = emulator_settings.last_seq()

        location = outsider.post(path)["Location"]
        answer = MicrosoftBrowser(emulator_settings).sign_in(MicrosoftBrowser(emulator_settings).open(location), DIEGO)

        assert location.startswith(f"{emulator_settings.browser_url}/{CONTOSO_ID}/")  # Contoso's own sign-in
        assert "Location" not in answer.headers  # Microsoft does not let Fabrikam's admin through
        assert not Membership.objects.filter(organization=org.organization, user__email=DIEGO).exists()
        assert Connection.objects.get(organization=org.organization).tenant_guid == ""
        assert _adminconsent_calls(emulator_settings, before) == []

    def test_a_forged_handed_link_changes_nothing(self, org: Org, emulator_settings: EmulatorProcess) -> None:
        people = Membership.objects.filter(organization=org.organization).count()
        forged = f"/integrations/microsoft/consent/handed/{org.code}"

        page = Client(HTTP_HOST=HOST).get(forged, follow=True)
        sent = Client(HTTP_HOST=HOST).post(forged)

        assert "This link was not issued by Overlap. Nothing was changed." in html.unescape(page.content.decode())
        assert sent["Location"] == "/start"  # never on to Microsoft
        assert Membership.objects.filter(organization=org.organization).count() == people


class TestAHeldTenantIsReleased:
    @pytest.mark.parametrize(
        ("decision", "said"),
        [("cancel", "declined at Microsoft, so Overlap is not connected"), ("back", "may not grant consent")],
    )
    def test_a_declined_consent_releases_the_tenant_and_a_global_administrator_then_starts(
        self, decision: str, said: str, db: None, emulator_settings: EmulatorProcess
    ) -> None:
        _, declined = _start(emulator_settings, NESTOR, decision)

        assert said in declined
        held = _connection_of(NESTOR)
        assert (held.status, held.tenant_guid) == ("awaiting_consent", "")
        assert IntegrationEvent.objects.filter(organization=held.organization, kind="tenant_released").exists()

        _, page = _start(emulator_settings, ADELE)

        assert "Connected. Overlap checked the connection" in page
        assert (_connection_of(ADELE).status, _connection_of(ADELE).tenant_guid) == ("active", CONTOSO_ID)

    def test_a_consent_left_open_holds_the_tenant_only_for_a_day_then_the_periodic_task_releases_it(
        self, db: None, emulator_settings: EmulatorProcess
    ) -> None:
        nestor, _ = _start(emulator_settings, NESTOR, decision=None)  # never answers Microsoft's consent page
        assert _connection_of(NESTOR).tenant_guid == CONTOSO_ID
        settings_page = nestor.get(f"/orgs/{_connection_of(NESTOR).organization.code}/integrations/microsoft/")
        assert "Your tenant is held for" in settings_page.content.decode()
        _, refused = _start(emulator_settings, ADELE)
        assert TAKEN in refused

        assert settings.CELERY_BEAT_SCHEDULE["integrations-release-stale-tenants"]["task"] == (
            "integrations.tasks.release_stale_tenants"
        )
        with time_machine.travel(timezone.now() + timedelta(hours=23), tick=True):
            assert tasks.release_stale_tenants() == 0
        with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1), tick=True):
            assert tasks.release_stale_tenants() == 1

        assert _connection_of(NESTOR).tenant_guid == ""
        _, page = _start(emulator_settings, ADELE)
        assert "Connected. Overlap checked the connection" in page
        assert _connection_of(ADELE).tenant_guid == CONTOSO_ID

    def test_a_tenant_held_for_more_than_a_day_is_released_when_a_global_administrator_starts(
        self, db: None, emulator_settings: EmulatorProcess
    ) -> None:
        _start(emulator_settings, NESTOR, decision=None)
        Connection.objects.filter(tenant_guid=CONTOSO_ID).update(tenant_proven_at=timezone.now() - timedelta(hours=25))

        _, page = _start(emulator_settings, ADELE)

        assert "Connected. Overlap checked the connection" in page
        assert _connection_of(NESTOR).tenant_guid == ""
        assert _connection_of(ADELE).tenant_guid == CONTOSO_ID

    def test_a_connected_tenant_is_never_released(self, org: Org, emulator_settings: EmulatorProcess) -> None:
        _, page = _start(emulator_settings, ADELE)
        assert "Connected. Overlap checked the connection" in page
        Connection.objects.filter(tenant_guid=CONTOSO_ID).update(tenant_proven_at=timezone.now() - timedelta(days=9))

        assert tasks.release_stale_tenants() == 0
        assert (_connection_of(ADELE).status, _connection_of(ADELE).tenant_guid) == ("active", CONTOSO_ID)
