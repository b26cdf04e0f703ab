"""Switching mode or tenant after the set-up: explained, logged, and safe."""

from __future__ import annotations

from django.test import TestCase

from accounts.models import Membership
from integrations.models import Connection, IntegrationEvent
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import CONTOSO, browser, connect, url

MEGAN = "megan.bowen@contoso.onmicrosoft.com"


def test_switching_to_domain_wide_keeps_the_consent_and_brings_in_the_directory(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings, mode="delegated")
    assert not Membership.objects.filter(user__email=MEGAN).exists()

    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(url(org, "integration_tenant"), {"tenant": CONTOSO, "mode": "domain_wide"})

    connection = Connection.objects.get(organization=org.organization)
    assert (connection.status, connection.mode) == ("active", "domain_wide")
    assert Membership.objects.filter(user__email=MEGAN, organization=org.organization, is_active=True).exists()
    assert IntegrationEvent.objects.filter(kind="mode_changed", detail__contains="→ Domain-wide").exists()


def test_changing_the_tenant_asks_for_consent_again(org: Org, emulator_settings: EmulatorProcess) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings)

    page = client.post(
        url(org, "integration_tenant"), {"tenant": "fabrikam.onmicrosoft.com", "mode": "domain_wide"}, follow=True
    ).content.decode()

    assert 'data-status="awaiting_consent"' in page
    assert "Tenant ID changed" in page and "contoso.onmicrosoft.com → fabrikam.onmicrosoft.com" in page
    assert Connection.objects.get(organization=org.organization).tenant_guid == ""


def test_a_member_in_domain_wide_mode_has_nothing_to_connect(org: Org, emulator_settings: EmulatorProcess) -> None:
    connect(browser(org.admin), org, emulator_settings)

    page = browser(org.member).get(url(org, "calendar_connection")).content.decode()

    assert "Nothing to do" in page and "domain-wide" in page


def test_a_member_before_the_set_up_is_told_to_ask_an_admin(org: Org) -> None:
    page = browser(org.member).get(url(org, "calendar_connection")).content.decode()

    assert "Ask one of its admins" in page
