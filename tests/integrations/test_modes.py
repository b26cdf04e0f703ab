"""Switching mode or tenant after the set-up: explained, logged, and safe."""

from __future__ import annotations

from django.test import TestCase

from accounts.models import Membership
from integrations.models import Connection, IntegrationEvent
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import CONTOSO, CONTOSO_ID, browser, connect, url

MEGAN = "megan.bowen@contoso.onmicrosoft.com"


def test_switching_to_domain_wide_asks_first_then_keeps_the_consent_and_brings_in_the_directory(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings, mode="delegated")
    assert not Membership.objects.filter(user__email=MEGAN).exists()

    asked = client.post(url(org, "integration_tenant"), {"tenant": CONTOSO, "mode": "domain_wide"}).content.decode()
    assert "Switch to domain-wide mode?" in asked and "It brings in your directory now" in asked
    assert Connection.objects.get(organization=org.organization).mode == "delegated"

    with TestCase.captureOnCommitCallbacks(execute=True):
        page = client.post(
            url(org, "integration_tenant"), {"tenant": CONTOSO, "mode": "domain_wide", "confirm": "yes"}, follow=True
        ).content.decode()

    connection = Connection.objects.get(organization=org.organization)
    assert (connection.status, connection.mode) == ("active", "domain_wide")
    assert "Switched to domain-wide mode. The connection stays active" in page
    assert "Next: grant admin consent" not in page
    assert Membership.objects.filter(user__email=MEGAN, organization=org.organization, is_active=True).exists()
    assert IntegrationEvent.objects.filter(kind="mode_changed", detail__contains="→ Domain-wide").exists()


def test_a_typo_in_the_tenant_of_a_working_connection_asks_first_and_changes_nothing_until_confirmed(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings)
    before, events = emulator_settings.last_seq(), IntegrationEvent.objects.count()

    asked = client.post(
        url(org, "integration_tenant"), {"tenant": "fabrikam.onmicrosoft.com", "mode": "domain_wide"}
    ).content.decode()

    assert "Change the tenant to fabrikam.onmicrosoft.com?" in asked
    assert "Nobody can book until an admin of the new tenant signs in" in asked
    connection = Connection.objects.get(organization=org.organization)
    assert (connection.status, connection.tenant_guid, connection.tenant) == ("active", CONTOSO_ID, CONTOSO)
    assert IntegrationEvent.objects.count() == events
    assert [e for e in emulator_settings.log(before) if "/token" in e["path"] or "/v1.0/" in e["path"]] == []


def test_changing_the_tenant_once_confirmed_asks_for_consent_again(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings)

    page = client.post(
        url(org, "integration_tenant"),
        {"tenant": "fabrikam.onmicrosoft.com", "mode": "domain_wide", "confirm": "yes"},
        follow=True,
    ).content.decode()

    assert 'data-status="awaiting_consent"' in page
    assert "Tenant ID changed" in page and "contoso.onmicrosoft.com → fabrikam.onmicrosoft.com" in page
    assert Connection.objects.get(organization=org.organization).tenant_guid == ""


def test_disconnect_asks_first_and_says_what_it_stops(org: Org, emulator_settings: EmulatorProcess) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings)

    asked = client.post(url(org, "integration_disconnect")).content.decode()

    assert "Disconnect Microsoft 365?" in asked and "stops every call to your Microsoft 365 tenant" in asked
    assert "every member&#x27;s calendar connection" in asked
    assert Connection.objects.get(organization=org.organization).status == "active"


def test_clearing_the_security_group_says_it_was_removed(org: Org, emulator_settings: EmulatorProcess) -> None:
    client = browser(org.admin)
    client.post(url(org, "integration_group"), {"access_group": "overlap-users@contoso.onmicrosoft.com"}, follow=True)

    page = client.post(url(org, "integration_group"), {"access_group": ""}, follow=True).content.decode()

    assert "Removed the security group." in page and "Saved the security group" not in page


def test_a_member_in_domain_wide_mode_has_nothing_to_connect(org: Org, emulator_settings: EmulatorProcess) -> None:
    connect(browser(org.admin), org, emulator_settings)

    page = browser(org.member).get(url(org, "calendar_connection")).content.decode()

    assert "Nothing to do" in page and "domain-wide" in page


def test_a_member_before_the_set_up_is_told_to_ask_an_admin(org: Org) -> None:
    page = browser(org.member).get(url(org, "calendar_connection")).content.decode()

    assert "Ask one of its admins" in page


def test_a_persons_address_is_refused_as_the_security_group(org: Org, emulator_settings: EmulatorProcess) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings)

    response = client.post(url(org, "integration_group"), {"access_group": MEGAN})

    assert response.status_code == 200
    assert f"{MEGAN} is the address of a person in your directory (Megan Bowen)" in response.content.decode()
    assert Connection.objects.get(organization=org.organization).access_group == ""


def test_a_group_address_unknown_as_a_person_is_saved(org: Org, emulator_settings: EmulatorProcess) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings)

    client.post(url(org, "integration_group"), {"access_group": "overlap-users@contoso.onmicrosoft.com"})

    assert Connection.objects.get(organization=org.organization).access_group == "overlap-users@contoso.onmicrosoft.com"
