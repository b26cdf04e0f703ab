"""The admin consent round trip through the emulator's own sign-in and consent pages, as a browser does it."""

from __future__ import annotations

from integrations.models import Connection
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import CONTOSO, browser, consent_at_microsoft, save_tenant, url

ADELE = "adele.vance@contoso.onmicrosoft.com"  # a Global Administrator in the demo tenant
MEGAN = "megan.bowen@contoso.onmicrosoft.com"  # not an admin
DIEGO = "diego.siciliani@fabrikam.onmicrosoft.com"  # Fabrikam's admin


def _status(org: Org) -> str:
    return Connection.objects.get(organization=org.organization).status


def test_a_tenant_admin_who_accepts_connects_the_organization(org: Org, emulator_settings: EmulatorProcess) -> None:
    client = browser(org.admin)
    save_tenant(client, org, CONTOSO)

    page = consent_at_microsoft(client, org, emulator_settings, ADELE, "accept")

    assert "Connected. Overlap checked the connection with Microsoft and it works." in page
    assert _status(org) == "active"
    assert "Last synchronised" in client.get(url(org)).content.decode()


def test_an_admin_who_cancels_at_microsoft_is_told_nothing_was_granted(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    client = browser(org.admin)
    save_tenant(client, org, CONTOSO)

    page = consent_at_microsoft(client, org, emulator_settings, ADELE, "cancel")

    assert "Overlap is not connected" in page and "What to do:" in page
    assert _status(org) == "awaiting_consent"


def test_a_person_who_is_not_a_tenant_admin_is_told_who_must_consent_before_any_consent(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    client = browser(org.admin)
    save_tenant(client, org, CONTOSO)
    before = emulator_settings.last_seq()

    page = consent_at_microsoft(client, org, emulator_settings, MEGAN, "accept")

    assert f"{MEGAN} holds no Microsoft Entra role that can grant Overlap&#x27;s permissions" in page
    assert "Only a Global Administrator or a Privileged Role Administrator of your organization can" in page
    assert _status(org) == "awaiting_consent"
    assert Connection.objects.get(organization=org.organization).tenant_guid == ""
    assert not any("adminconsent" in e["path"] for e in emulator_settings.log(before))
